// The trace rule's state: recent traces by id, each with the lanes its requests carried into each
// service and the requests each service's sidecars sent. Bounded in time (a trace is judged once
// it has been quiet for settleMs, so hops logged out of order are all in) and in size (the oldest
// trace is judged early when the index is full). Judging a trace yields, per sending instance,
// "forwarded lane L" or "dropped lane L"; a trace where a service received requests in more than
// one lane (or also without one) says nothing about it: a client reusing a trace id is not a drop.
import type { HopRecord } from './hop-record.js';

/** What one trace showed about one sending instance of a service. */
export interface TraceVerdict {
  service: string;
  nodeId: string;
  /** The sending instance's own lane (node metadata), when known. */
  senderLane: string | undefined;
  lane: string;
  forwarded: boolean;
  traceId: string;
  at: number;
}

interface Sent {
  nodeId: string;
  senderLane: string | undefined;
  lane: string | undefined;
}

interface TraceState {
  id: string;
  firstAt: number;
  lastAt: number;
  /** Hops recorded (at most maxHopsPerTrace). */
  hops: number;
  /** Per callee service: the lanes its incoming requests carried ("" for none). */
  into: Map<string, Set<string>>;
  /** Per sending service: what its sidecars sent. */
  sent: Map<string, Sent[]>;
}

export interface TraceIndexLimits {
  maxTraces: number;
  settleMs: number;
  /** Services and sends remembered per trace: a runaway fan-out stops counting, not growing. */
  maxHopsPerTrace: number;
}

export const DEFAULT_TRACE_LIMITS: TraceIndexLimits = { maxTraces: 20_000, settleMs: 3_000, maxHopsPerTrace: 64 };

const NO_LANE = '';

function judge(trace: TraceState, out: TraceVerdict[]): void {
  for (const [service, sends] of trace.sent) {
    const into = trace.into.get(service);
    if (!into || into.size !== 1) continue;
    const [lane] = into as Set<string> & Iterable<string>;
    if (lane === undefined || lane === NO_LANE) continue;
    for (const send of sends) {
      if (send.lane !== undefined && send.lane !== lane) continue; // another lane on purpose: not ours to judge
      out.push({ service, nodeId: send.nodeId, senderLane: send.senderLane, lane, forwarded: send.lane === lane, traceId: trace.id, at: trace.lastAt });
    }
  }
}

export class TraceIndex {
  // Insertion order is first-seen order: the head is always the oldest trace.
  private readonly traces = new Map<string, TraceState>();

  constructor(private readonly limits: TraceIndexLimits = DEFAULT_TRACE_LIMITS) {}

  get size(): number {
    return this.traces.size;
  }

  /** Adds a hop with a trace id; judged traces' verdicts go to `out`. */
  add(hop: HopRecord & { traceId: string }, now: number, out: TraceVerdict[]): void {
    let trace = this.traces.get(hop.traceId);
    if (!trace) {
      if (this.traces.size >= this.limits.maxTraces) this.judgeOldest(out);
      trace = { id: hop.traceId, firstAt: now, lastAt: now, hops: 0, into: new Map(), sent: new Map() };
      this.traces.set(hop.traceId, trace);
    }
    trace.lastAt = now;
    if (trace.hops >= this.limits.maxHopsPerTrace) return;
    trace.hops++;
    let into = trace.into.get(hop.callee);
    if (!into) trace.into.set(hop.callee, (into = new Set()));
    into.add(hop.lane ?? NO_LANE);
    const sender = hop.sender.service;
    if (hop.sender.kind !== 'sidecar' || sender === undefined) return;
    let sent = trace.sent.get(sender);
    if (!sent) trace.sent.set(sender, (sent = []));
    sent.push({ nodeId: hop.sender.nodeId, senderLane: hop.sender.lane, lane: hop.lane });
  }

  /** Judges every trace quiet for settleMs (and, with `all`, every trace). */
  settle(now: number, out: TraceVerdict[], all = false): void {
    for (const trace of this.traces.values()) {
      if (!all && trace.firstAt > now - this.limits.settleMs) break;
      if (!all && trace.lastAt > now - this.limits.settleMs) continue;
      this.traces.delete(trace.id);
      judge(trace, out);
    }
  }

  private judgeOldest(out: TraceVerdict[]): void {
    const oldest = this.traces.values().next().value;
    if (!oldest) return;
    this.traces.delete(oldest.id);
    judge(oldest, out);
  }
}

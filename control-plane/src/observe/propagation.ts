// Propagation analysis: hop records in, per service "ok / drops the lane / likely drops / no data"
// out, each problem with its evidence. Two rules:
//   by trace:  in a trace whose requests into S all carried lane L, a request S's sidecar sent
//              without a lane means that instance of S dropped L (named, with example traces);
//              one it sent with L clears it, so a fixed service returns to ok.
//   by volume: S received requests in lane L within the window, its sidecars sent requests, none
//              with L, and no trace showed it forwarding L: S likely drops the lane.
// Pure apart from the clock the caller passes; all state is bounded (trace-index.ts, volume-window.ts).
import type { HopRecord } from './hop-record.js';
import { DEFAULT_TRACE_LIMITS, TraceIndex, type TraceIndexLimits, type TraceVerdict } from './trace-index.js';
import { DEFAULT_VOLUME_LIMITS, instanceKey, VolumeWindow, type ServiceVolume, type VolumeLimits } from './volume-window.js';

export type PropagationStatus = 'ok' | 'drops-lane' | 'likely-drops-lane' | 'no-data';

export interface PropagationProblem {
  rule: 'trace' | 'volume';
  lane: string;
  /** Sidecars of the service that sent requests without the lane (node id, and the instance's own lane when known). */
  instances: Array<{ nodeId: string; lane?: string }>;
  /** trace: requests sent without the lane; volume: requests received in the lane. */
  requests: number;
  exampleTraces: string[];
  firstSeen?: string;
  lastSeen?: string;
  /** One line saying what is wrong and what to fix. */
  advice: string;
}

export interface ServicePropagation {
  service: string;
  status: PropagationStatus;
  received: { inLanes: Record<string, number>; withoutLane: number };
  sent: { withLane: Record<string, number>; withoutLane: number };
  problems: PropagationProblem[];
}

export interface PropagationLimits {
  trace: TraceIndexLimits;
  volume: VolumeLimits;
  /** How long a trace finding stays without new evidence. */
  findingTtlMs: number;
  maxFindings: number;
  /** The volume rule needs at least this many requests received in the lane, and sent without one. */
  minRequests: number;
  exampleTraces: number;
}

export const DEFAULT_PROPAGATION_LIMITS: PropagationLimits = {
  trace: DEFAULT_TRACE_LIMITS,
  volume: DEFAULT_VOLUME_LIMITS,
  findingTtlMs: 10 * 60_000,
  maxFindings: 10_000,
  minRequests: 5,
  exampleTraces: 3,
};

/** What the trace rule knows about one sending instance of a service in one lane. */
interface Finding {
  service: string;
  lane: string;
  nodeId: string;
  senderLane: string | undefined;
  drops: number;
  firstDropAt: number;
  lastDropAt: number;
  lastForwardAt: number;
  traces: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();
const short = (traceId: string) => `${traceId.slice(0, 6)}…`;

export class PropagationAnalysis {
  private readonly traces: TraceIndex;
  private readonly volumes: VolumeWindow;
  private readonly findings = new Map<string, Finding>();
  private readonly verdicts: TraceVerdict[] = [];
  /** Hops a cap refused (volume counts or findings full). */
  overLimit = 0;

  constructor(private readonly limits: PropagationLimits = DEFAULT_PROPAGATION_LIMITS) {
    this.traces = new TraceIndex(limits.trace);
    this.volumes = new VolumeWindow(limits.volume);
  }

  get indexedTraces(): number {
    return this.traces.size;
  }

  record(hop: HopRecord, now: number): void {
    if (!this.volumes.add(hop, now)) this.overLimit++;
    if (hop.traceId !== undefined) this.traces.add(hop as HopRecord & { traceId: string }, now, this.verdicts);
    this.traces.settle(now, this.verdicts);
    this.applyVerdicts();
  }

  /** Every service named (the model's) or seen, in name order. */
  report(services: readonly string[], now: number, laneHeader: string): ServicePropagation[] {
    this.traces.settle(now, this.verdicts);
    this.applyVerdicts();
    this.expire(now);
    const byService = new Map<string, Finding[]>();
    for (const f of this.findings.values()) {
      const list = byService.get(f.service);
      if (list) list.push(f);
      else byService.set(f.service, [f]);
    }
    const names = [...new Set([...services, ...this.volumes.serviceNames(), ...byService.keys()])].sort();
    return names.map((service) => this.serviceReport(service, byService.get(service) ?? [], now, laneHeader));
  }

  private applyVerdicts(): void {
    for (const v of this.verdicts) {
      const key = `${v.service}\n${v.lane}\n${v.nodeId}`;
      let finding = this.findings.get(key);
      if (!finding) {
        if (!v.forwarded && this.findings.size >= this.limits.maxFindings) {
          this.overLimit++;
          continue;
        }
        if (v.forwarded && this.findings.size >= this.limits.maxFindings) continue;
        finding = { service: v.service, lane: v.lane, nodeId: v.nodeId, senderLane: v.senderLane, drops: 0, firstDropAt: 0, lastDropAt: 0, lastForwardAt: 0, traces: [] };
        this.findings.set(key, finding);
      }
      if (v.forwarded) {
        finding.lastForwardAt = Math.max(finding.lastForwardAt, v.at);
        continue;
      }
      // Evidence since the last forward only: a fixed instance starts afresh.
      if (finding.lastForwardAt >= finding.lastDropAt) Object.assign(finding, { drops: 0, firstDropAt: v.at, traces: [] });
      finding.drops++;
      finding.lastDropAt = Math.max(finding.lastDropAt, v.at);
      if (finding.traces.length < this.limits.exampleTraces) finding.traces.push(v.traceId);
    }
    this.verdicts.length = 0;
  }

  private expire(now: number): void {
    this.volumes.expire(now);
    for (const [key, f] of this.findings) {
      if (Math.max(f.lastDropAt, f.lastForwardAt) < now - this.limits.findingTtlMs) this.findings.delete(key);
    }
  }

  private serviceReport(service: string, findings: readonly Finding[], now: number, laneHeader: string): ServicePropagation {
    const volume = this.volumes.volume(service, now);
    const problems = findings.filter((f) => f.lastDropAt > f.lastForwardAt).map((f) => traceProblem(f, laneHeader));
    const windowStart = now - this.limits.volume.bucketMs * this.limits.volume.buckets;
    const forwardedRecently = (lane: string) => findings.some((f) => f.lane === lane && f.lastForwardAt >= windowStart);
    for (const candidate of this.volumeCandidates(service, now)) {
      if (problems.some((p) => p.lane === candidate.lane) || forwardedRecently(candidate.lane)) continue;
      problems.push(volumeProblem(service, candidate, laneHeader));
    }
    problems.sort((a, b) => (a.lane < b.lane ? -1 : a.lane > b.lane ? 1 : a.rule < b.rule ? -1 : a.rule > b.rule ? 1 : 0));
    const status: PropagationStatus = problems.some((p) => p.rule === 'trace')
      ? 'drops-lane'
      : problems.length > 0 ? 'likely-drops-lane' : volume || findings.length > 0 ? 'ok' : 'no-data';
    return {
      service,
      status,
      received: { inLanes: Object.fromEntries(volume?.received ?? []), withoutLane: volume?.receivedWithoutLane ?? 0 },
      sent: { withLane: Object.fromEntries(volume?.sent ?? []), withoutLane: volume?.sentWithoutLane ?? 0 },
      problems,
    };
  }

  /**
   * Lanes the volume rule flags: per instance (requests into the lane's cluster of S against what
   * the sidecars naming that lane sent) when S's sidecars name their lanes; per service otherwise.
   */
  private volumeCandidates(service: string, now: number): VolumeCandidate[] {
    const instances = this.volumes.instancesOf(service).map((instance) => ({ instance, volume: this.volumes.volume(instanceKey(service, instance), now) }));
    const perInstance = instances.some(({ volume }) => volume !== undefined && sendsAny(volume));
    const scopes = perInstance ? instances : [{ instance: undefined, volume: this.volumes.volume(service, now) }];
    const out: VolumeCandidate[] = [];
    for (const { instance, volume } of scopes) {
      if (!volume) continue;
      for (const [lane, received] of [...volume.received].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        if (received < this.limits.minRequests || (volume.sent.get(lane) ?? 0) > 0 || volume.sentWithoutLane < this.limits.minRequests) continue;
        if (!out.some((c) => c.lane === lane)) out.push({ lane, received, volume, ...(instance !== undefined && { instance }) });
      }
    }
    return out;
  }
}

function traceProblem(f: Finding, laneHeader: string): PropagationProblem {
  const instance = f.senderLane === undefined ? f.nodeId : `${f.nodeId} (lane ${f.senderLane})`;
  return {
    rule: 'trace',
    lane: f.lane,
    instances: [{ nodeId: f.nodeId, ...(f.senderLane !== undefined && { lane: f.senderLane }) }],
    requests: f.drops,
    exampleTraces: f.traces,
    firstSeen: iso(f.firstDropAt),
    lastSeen: iso(f.lastDropAt),
    advice: `${f.service} (instance ${instance}) received requests in lane ${f.lane} and sent ${f.drops} without ${laneHeader} or baggage in the same trace; forward ${laneHeader} (or baggage) from incoming to outgoing requests (traces ${f.traces.map(short).join(', ')})`,
  };
}

interface VolumeCandidate {
  lane: string;
  received: number;
  volume: ServiceVolume;
  /** The instance (its lane, or "stable") when judged per instance. */
  instance?: string;
}

const sendsAny = (volume: ServiceVolume) => volume.sentWithoutLane > 0 || volume.sent.size > 0;

function volumeProblem(service: string, { lane, received, volume, instance }: VolumeCandidate, laneHeader: string): PropagationProblem {
  const who = instance === undefined ? service : `${service} (instance ${instance})`;
  return {
    rule: 'volume',
    lane,
    instances: volume.sendersWithoutLane.map((nodeId) => ({ nodeId, ...(instance !== undefined && { lane: instance }) })),
    requests: received,
    exampleTraces: [],
    advice: `${who} received ${received} requests in lane ${lane} and forwarded none with ${laneHeader} or baggage (it sent ${volume.sentWithoutLane} without a lane, from ${volume.sendersWithoutLane.join(', ')}); forward them from incoming to outgoing requests`,
  };
}

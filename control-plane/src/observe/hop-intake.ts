// Where the AccessLogService's streams land: names each stream's proxy from its node, caps what
// one proxy may send (a token bucket per stream: a flood costs drops, counted, not memory), turns
// entries into hop records and hands them to the analysis. Every entry is counted once: used,
// ignored (not a routed request to a Laneway cluster) or rejected with a reason.
import type { AccessLogEntry, AccessLogSink, AccessLogStream, RejectReason } from '../xds/access-log-service.js';
import type { NodeInfo } from '../xds/stream-core.js';
import { hopFromEntry, type HopHeaders, type HopSender } from './hop-record.js';
import type { PropagationAnalysis } from './propagation.js';

export interface IntakeLimits {
  /** Entries per second one proxy stream may deliver, and the burst above that. */
  entriesPerSecond: number;
  burst: number;
}

export const DEFAULT_INTAKE_LIMITS: IntakeLimits = { entriesPerSecond: 5_000, burst: 10_000 };

export interface HopCounts {
  used: number;
  ignored: number;
  rejected: Record<RejectReason, number>;
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

function text(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadata[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The sender a node describes (envoy-configs/ bootstraps' metadata); undefined for nodes that are not Laneway proxies. */
export function senderOf(node: NodeInfo): HopSender | undefined {
  const kind = text(node.metadata, 'laneway.kind') ?? 'sidecar';
  const lane = text(node.metadata, 'laneway.lane');
  if (node.id.length > 256 || (lane !== undefined && !NAME.test(lane))) return undefined;
  if (kind === 'ingress') return { nodeId: node.id, kind };
  const service = text(node.metadata, 'laneway.service') ?? (node.cluster || undefined);
  if (kind !== 'sidecar' || service === undefined || !NAME.test(service)) return undefined;
  return { nodeId: node.id, kind, service, ...(lane !== undefined && { lane }) };
}

export class HopIntake implements AccessLogSink {
  readonly counts: HopCounts = { used: 0, ignored: 0, rejected: { malformed: 0, no_node: 0, unknown_proxy: 0, over_limit: 0 } };

  constructor(
    private readonly analysis: PropagationAnalysis,
    /** The header names in effect (the settings' lane and served-by headers, lower-case). */
    private readonly headers: () => HopHeaders,
    private readonly now: () => number = Date.now,
    private readonly limits: IntakeLimits = DEFAULT_INTAKE_LIMITS,
  ) {}

  open(node: NodeInfo): AccessLogStream | undefined {
    const sender = senderOf(node);
    return sender && new IntakeStream(this, sender, this.limits, this.now);
  }

  reject(reason: RejectReason, count: number): void {
    this.counts.rejected[reason] += count;
  }

  /** Entries a stream let through its cap. */
  take(sender: HopSender, entries: readonly AccessLogEntry[], now: number): void {
    const headers = this.headers();
    for (const entry of entries) {
      const hop = hopFromEntry(entry, sender, headers);
      if (!hop) {
        this.counts.ignored++;
        continue;
      }
      this.counts.used++;
      this.analysis.record(hop, now);
    }
  }
}

class IntakeStream implements AccessLogStream {
  private tokens: number;
  private refilledAt: number;

  constructor(
    private readonly intake: HopIntake,
    private readonly sender: HopSender,
    private readonly limits: IntakeLimits,
    private readonly now: () => number,
  ) {
    this.tokens = limits.burst;
    this.refilledAt = now();
  }

  entries(entries: readonly AccessLogEntry[]): void {
    const now = this.now();
    this.tokens = Math.min(this.limits.burst, this.tokens + ((now - this.refilledAt) / 1000) * this.limits.entriesPerSecond);
    this.refilledAt = now;
    const allowed = Math.max(0, Math.min(entries.length, Math.floor(this.tokens)));
    this.tokens -= allowed;
    if (allowed < entries.length) this.intake.reject('over_limit', entries.length - allowed);
    if (allowed > 0) this.intake.take(this.sender, allowed === entries.length ? entries : entries.slice(0, allowed), now);
  }

  close(): void {}
}

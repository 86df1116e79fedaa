// The volume rule's state: per service, over a sliding window (buckets of bucketMs), how many
// requests it received in each lane and how many its sidecars sent with each lane or none, and
// which sidecars sent without one. Bounded: services, lanes per service and senders named are capped.
import type { HopRecord } from './hop-record.js';

export interface VolumeLimits {
  bucketMs: number;
  buckets: number;
  maxServices: number;
  maxLanesPerService: number;
  maxSendersNamed: number;
}

export const DEFAULT_VOLUME_LIMITS: VolumeLimits = { bucketMs: 10_000, buckets: 6, maxServices: 2_000, maxLanesPerService: 64, maxSendersNamed: 8 };

interface Bucket {
  start: number;
  received: Map<string, number>;
  sent: Map<string, number>;
  sentWithoutLane: number;
  sendersWithoutLane: Set<string>;
}

/** A service's counts over the window. */
export interface ServiceVolume {
  received: Map<string, number>;
  receivedWithoutLane: number;
  sent: Map<string, number>;
  sentWithoutLane: number;
  /** Sidecars (node ids) that sent requests without a lane. */
  sendersWithoutLane: string[];
}

const NO_LANE = '';

function emptyBucket(start: number): Bucket {
  return { start, received: new Map(), sent: new Map(), sentWithoutLane: 0, sendersWithoutLane: new Set() };
}

function bump(counts: Map<string, number>, key: string, cap: number): void {
  const n = counts.get(key);
  if (n !== undefined) counts.set(key, n + 1);
  else if (counts.size < cap) counts.set(key, 1);
}

function addAll(into: Map<string, number>, from: Map<string, number>): void {
  for (const [key, n] of from) into.set(key, (into.get(key) ?? 0) + n);
}

export class VolumeWindow {
  private readonly services = new Map<string, Bucket[]>();

  constructor(private readonly limits: VolumeLimits = DEFAULT_VOLUME_LIMITS) {}

  /** Counts a hop: received by its callee, sent by its sidecar's service. False when a cap refused it. */
  add(hop: HopRecord, now: number): boolean {
    const callee = this.bucket(hop.callee, now);
    if (!callee) return false;
    bump(callee.received, hop.lane ?? NO_LANE, this.limits.maxLanesPerService);
    const sender = hop.sender.kind === 'sidecar' ? hop.sender.service : undefined;
    if (sender === undefined) return true;
    const bucket = this.bucket(sender, now);
    if (!bucket) return false;
    if (hop.lane !== undefined) {
      bump(bucket.sent, hop.lane, this.limits.maxLanesPerService);
      return true;
    }
    bucket.sentWithoutLane++;
    if (bucket.sendersWithoutLane.size < this.limits.maxSendersNamed) bucket.sendersWithoutLane.add(hop.sender.nodeId);
    return true;
  }

  /** The service's counts over the window ending at `now`; undefined when nothing was seen. */
  volume(service: string, now: number): ServiceVolume | undefined {
    const buckets = this.services.get(service);
    if (!buckets) return undefined;
    const since = now - this.limits.bucketMs * this.limits.buckets;
    const received = new Map<string, number>();
    const sent = new Map<string, number>();
    let sentWithoutLane = 0;
    const senders = new Set<string>();
    for (const bucket of buckets) {
      if (bucket.start < since) continue;
      addAll(received, bucket.received);
      addAll(sent, bucket.sent);
      sentWithoutLane += bucket.sentWithoutLane;
      for (const node of bucket.sendersWithoutLane) if (senders.size < this.limits.maxSendersNamed) senders.add(node);
    }
    const receivedWithoutLane = received.get(NO_LANE) ?? 0;
    received.delete(NO_LANE);
    return { received, receivedWithoutLane, sent, sentWithoutLane, sendersWithoutLane: [...senders].sort() };
  }

  /** Services with counts, in name order. */
  serviceNames(): string[] {
    return [...this.services.keys()].sort();
  }

  /** Drops services with nothing in the window. */
  expire(now: number): void {
    const since = now - this.limits.bucketMs * this.limits.buckets;
    for (const [service, buckets] of this.services) {
      if (buckets.every((b) => b.start < since)) this.services.delete(service);
    }
  }

  private bucket(service: string, now: number): Bucket | undefined {
    const start = now - (now % this.limits.bucketMs);
    let buckets = this.services.get(service);
    if (!buckets) {
      if (this.services.size >= this.limits.maxServices) return undefined;
      this.services.set(service, (buckets = []));
    }
    const last = buckets[buckets.length - 1];
    if (last && last.start === start) return last;
    const bucket = emptyBucket(start);
    buckets.push(bucket);
    if (buckets.length > this.limits.buckets) buckets.shift();
    return bucket;
  }
}

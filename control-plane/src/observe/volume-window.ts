// The volume rule's state: per service, and per instance of a service ("orders/feature-x": the
// cluster a request went to, and the sidecars whose node says that lane), over a sliding window
// (buckets of bucketMs): how many requests it received in each lane, how many its sidecars sent
// with each lane or none, and which sidecars sent without one. Bounded: keys, lanes per key and
// senders named are capped.
import type { HopRecord } from './hop-record.js';

export interface VolumeLimits {
  bucketMs: number;
  buckets: number;
  /** Services plus instances counted. */
  maxServices: number;
  maxLanesPerService: number;
  maxSendersNamed: number;
}

export const DEFAULT_VOLUME_LIMITS: VolumeLimits = { bucketMs: 10_000, buckets: 6, maxServices: 4_000, maxLanesPerService: 64, maxSendersNamed: 8 };

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

/** "orders/feature-x": one instance of a service (names are DNS labels, so "/" cannot clash). */
export const instanceKey = (service: string, instance: string) => `${service}/${instance}`;

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

  /**
   * Counts a hop: received by its callee (the service and the instance chosen), sent by its
   * sidecar's service (and instance, when the node names its lane). False when a cap refused it.
   */
  add(hop: HopRecord, now: number): boolean {
    let counted = this.received(hop.callee, hop, now) && this.received(instanceKey(hop.callee, hop.instance), hop, now);
    const { service, lane } = hop.sender;
    if (hop.sender.kind !== 'sidecar' || service === undefined) return counted;
    counted = this.sent(service, hop, now) && counted;
    return (lane === undefined || this.sent(instanceKey(service, lane), hop, now)) && counted;
  }

  private received(key: string, hop: HopRecord, now: number): boolean {
    const bucket = this.bucket(key, now);
    if (bucket) bump(bucket.received, hop.lane ?? NO_LANE, this.limits.maxLanesPerService);
    return bucket !== undefined;
  }

  private sent(key: string, hop: HopRecord, now: number): boolean {
    const bucket = this.bucket(key, now);
    if (!bucket) return false;
    if (hop.lane !== undefined) {
      bump(bucket.sent, hop.lane, this.limits.maxLanesPerService);
      return true;
    }
    bucket.sentWithoutLane++;
    if (bucket.sendersWithoutLane.size < this.limits.maxSendersNamed) bucket.sendersWithoutLane.add(hop.sender.nodeId);
    return true;
  }

  /** The counts of a service (or an instance: instanceKey) over the window ending at `now`; undefined when nothing was seen. */
  volume(key: string, now: number): ServiceVolume | undefined {
    const buckets = this.services.get(key);
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
    return [...this.services.keys()].filter((key) => !key.includes('/')).sort();
  }

  /** The instances of `service` with counts (lane names, "stable"), in name order. */
  instancesOf(service: string): string[] {
    const prefix = `${service}/`;
    return [...this.services.keys()].filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length)).sort();
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

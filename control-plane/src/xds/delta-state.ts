// What one delta stream knows about one resource type: the client's subscriptions, the resources
// it holds (as far as this stream told it), and the diff that brings it up to a snapshot.
import type { DeltaDiscoveryRequest } from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import type { CachedResource, TypeSnapshot } from './snapshot.js';
import { isWildcardType } from './type-urls.js';

/** The wildcard resource name of the incremental protocol. */
export const WILDCARD = '*';
/** Responses remembered per type until (N)ACKed; a client that never answers cannot grow it further. */
const MAX_IN_FLIGHT = 16;

export interface SentResponse {
  version: string;
  /** What the client holds once it applies the response (for config dumps). */
  resources: readonly CachedResource[];
}

export interface DeltaDiff {
  updated: CachedResource[];
  removed: string[];
}

const EMPTY = new Uint8Array(0);

function byName(a: { name: string } | string, b: { name: string } | string): number {
  const x = typeof a === 'string' ? a : a.name;
  const y = typeof b === 'string' ? b : b.name;
  return x < y ? -1 : x > y ? 1 : 0;
}

export class DeltaTypeState {
  wildcard = false;
  readonly subscribed = new Set<string>();
  /** name -> the resource the client holds; a version-only stub until it matches the cache. */
  readonly held = new Map<string, CachedResource>();
  /** Names to send (or report removed) on the next push even if the client holds them: re-subscribes. */
  readonly forced = new Set<string>();
  /** Answer the next push even when the diff is empty (first request of the type). */
  mustAnswer = true;
  /** Responses sent and not yet (N)ACKed, oldest first. */
  readonly inFlight = new Map<string, SentResponse>();
  /** The version of the last ACKed response. */
  ackedVersion = '';

  constructor(readonly typeUrl: string) {}

  /** The first request of the type: subscriptions, then what the client already holds. */
  applyInitial(req: DeltaDiscoveryRequest): void {
    if (req.resourceNamesSubscribe.length === 0 && isWildcardType(this.typeUrl)) this.wildcard = true;
    for (const [name, version] of Object.entries(req.initialResourceVersions)) {
      if (name === WILDCARD) continue;
      this.held.set(name, Object.freeze({ name, version, anyBytes: EMPTY }));
    }
    this.applySubscriptions(req, true);
    if (!this.wildcard) for (const name of [...this.held.keys()]) if (!this.subscribed.has(name)) this.held.delete(name);
  }

  /** Honoured whatever the nonce: the protocol makes subscription changes independent of ACKs. */
  applySubscriptions(req: DeltaDiscoveryRequest, initial: boolean): void {
    for (const name of req.resourceNamesSubscribe) {
      if (name === WILDCARD) {
        this.wildcard = true;
        this.mustAnswer = true;
        continue;
      }
      this.subscribed.add(name);
      // A re-subscribe is always answered; on the first request, what the client holds is not resent.
      if (!initial || !this.held.has(name)) this.forced.add(name);
    }
    for (const name of req.resourceNamesUnsubscribe) {
      if (name === WILDCARD) this.leaveWildcard();
      else this.unsubscribe(name);
    }
  }

  private leaveWildcard(): void {
    this.wildcard = false;
    for (const name of [...this.held.keys()]) if (!this.subscribed.has(name)) this.held.delete(name);
  }

  /** Unsubscribing a name the client never had changes nothing. */
  private unsubscribe(name: string): void {
    this.subscribed.delete(name);
    this.forced.delete(name);
    if (!this.wildcard) this.held.delete(name);
  }

  get wantsPush(): boolean {
    return this.mustAnswer || this.forced.size > 0;
  }

  /**
   * What to send so the client matches `snapshot`: resources whose version differs from what it
   * holds (or that it re-subscribed), and names it holds (or asked for) that do not exist.
   */
  diff(snapshot: TypeSnapshot): DeltaDiff {
    const updated: CachedResource[] = [];
    const removed: string[] = [];
    const consider = (name: string) => {
      const current = snapshot.resources.get(name);
      const held = this.held.get(name);
      if (current) {
        if (held?.version !== current.version || this.forced.has(name)) updated.push(current);
        else if (held !== current) this.held.set(name, current); // a stub from initial versions
      } else if (held || this.forced.has(name)) {
        removed.push(name);
      }
    };
    if (this.wildcard) {
      for (const name of snapshot.resources.keys()) consider(name);
      for (const name of this.subscribed) if (!snapshot.resources.has(name)) consider(name);
      for (const name of this.held.keys()) if (!snapshot.resources.has(name) && !this.subscribed.has(name)) consider(name);
    } else {
      for (const name of this.subscribed) consider(name);
    }
    return { updated: updated.sort(byName), removed: removed.sort(byName) };
  }

  /** Records a response as sent: the client holds what it carried, minus what it removed. */
  recordSent(nonce: string, version: string, diff: DeltaDiff): SentResponse {
    for (const r of diff.updated) this.held.set(r.name, r);
    for (const name of diff.removed) this.held.delete(name);
    this.forced.clear();
    this.mustAnswer = false;
    const sent = { version, resources: [...this.held.values()].sort(byName) };
    this.inFlight.set(nonce, sent);
    if (this.inFlight.size > MAX_IN_FLIGHT) this.inFlight.delete(this.inFlight.keys().next().value!);
    return sent;
  }

  /** The response a request's nonce answers (forgetting it and every older one); undefined: stale or unknown. */
  takeAnswered(nonce: string): SentResponse | undefined {
    const sent = this.inFlight.get(nonce);
    if (!sent) return undefined;
    for (const key of [...this.inFlight.keys()]) {
      this.inFlight.delete(key);
      if (key === nonce) break;
    }
    return sent;
  }
}

// What one delta stream knows about one resource type: the client's subscriptions, the resources
// it holds (as far as this stream told it), and the diff that brings it up to a snapshot.
import type { DeltaDiscoveryRequest } from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { HeldResources, versionStub } from './delta-held.js';
import { SUBSCRIPTIONS, type NameList } from './name-list.js';
import type { CachedResource, TypeSnapshot } from './snapshot.js';
import { SparseSet } from './sparse-set.js';
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

function byName(a: { name: string }, b: { name: string }): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

export class DeltaTypeState {
  wildcard = false;
  /** Subscribed names, shared with every stream (of any group) that subscribed to the same. */
  subscribed: NameList = SUBSCRIPTIONS.of([]);
  /**
   * Names sent ahead of the client's subscription (endpoints of clusters it was just sent), until
   * it subscribes to them or answers the response that carried them.
   */
  readonly anticipated = new SparseSet();
  /** Nonce of the latest response since names were anticipated: the client subscribes before it answers that. */
  private anticipatedIn?: string;
  readonly held = new HeldResources(this);
  /** Names to send (or report removed) on the next push even if the client holds them: re-subscribes. */
  readonly forced = new SparseSet();
  /** Answer the next push even when the diff is empty (first request of the type). */
  mustAnswer = true;
  /** Responses sent and not yet (N)ACKed, oldest first (an array: usually none or one, and a Map's table is not small). */
  private readonly inFlight: Array<{ nonce: string; sent: SentResponse }> = [];
  /** The version of the last ACKed response. */
  ackedVersion = '';

  constructor(readonly typeUrl: string) {}

  /** Whether the client wants `name`: subscribed, anticipated, or every name while wildcard. */
  inScope(name: string): boolean {
    return this.wildcard || this.subscribed.has(name) || this.anticipated.has(name);
  }

  /** Whether it wants every name (wildcard), so no name needs asking. */
  allInScope(): boolean {
    return this.wildcard;
  }

  /** The first request of the type: subscriptions, then what the client already holds. */
  applyInitial(req: DeltaDiscoveryRequest): void {
    if (req.resourceNamesSubscribe.length === 0 && isWildcardType(this.typeUrl)) this.wildcard = true;
    for (const [name, version] of Object.entries(req.initialResourceVersions)) {
      if (name !== WILDCARD) this.held.set(versionStub(name, version));
    }
    this.applySubscriptions(req, true);
    this.held.pruneOutOfScope();
  }

  /** Honoured whatever the nonce: the protocol makes subscription changes independent of ACKs. */
  applySubscriptions(req: DeltaDiscoveryRequest, initial: boolean): void {
    // No closures here or in diff: tsx keeps function names, which costs a property store for
    // every closure created, and these run for every request and push of every delta stream.
    let added: string[] = [];
    for (const name of req.resourceNamesSubscribe) {
      if (name === WILDCARD) {
        this.subscribeAdded(added);
        added = [];
        this.held.freezeOutOfScope();
        this.wildcard = true;
        this.mustAnswer = true;
        continue;
      }
      const holds = this.held.has(name);
      // A re-subscribe is always answered; on the first request, what the client holds is not resent.
      // A name sent ahead crossed this subscription on the wire: the response carrying it answers it.
      if (this.anticipated.delete(name) ? !holds : !initial || !holds) this.forced.add(name);
      added.push(name);
    }
    this.subscribeAdded(added);
    // Unsubscribing a name the client never had changes nothing.
    const removed = new Set<string>();
    for (const name of req.resourceNamesUnsubscribe) {
      if (name === WILDCARD) {
        this.unsubscribeRemoved(removed);
        this.wildcard = false;
        this.held.pruneOutOfScope();
      } else {
        removed.add(name);
        this.forced.delete(name);
      }
    }
    const unsubscribed = removed.size > 0;
    this.unsubscribeRemoved(removed);
    if (unsubscribed && !this.wildcard) this.held.pruneOutOfScope();
  }

  private subscribeAdded(added: readonly string[]): void {
    if (added.length > 0) this.subscribed = SUBSCRIPTIONS.extend(this.subscribed, added);
  }

  /** Drops `removed` from the subscriptions and empties it. */
  private unsubscribeRemoved(removed: Set<string>): void {
    if (removed.size > 0) this.subscribed = SUBSCRIPTIONS.of(this.subscribed.sorted.filter((name) => !removed.has(name)));
    removed.clear();
  }

  /**
   * Sends `names` with the next push although the client has not subscribed yet: it is about to
   * (Envoy creates the EDS watch of a cluster while it applies the CDS response, and takes
   * endpoints that arrive after it). Names the client does not subscribe to by the time it answers
   * that push are dropped again.
   */
  anticipate(names: readonly string[]): void {
    for (const name of names) if (!this.wildcard && !this.subscribed.has(name)) this.anticipated.add(name);
  }

  /** After an answer to a response: names still anticipated once their response was answered are not wanted. */
  settleAnticipated(): void {
    const answeredIn = this.anticipatedIn;
    if (answeredIn === undefined || this.inFlight.some((r) => r.nonce === answeredIn)) return;
    this.anticipatedIn = undefined;
    this.anticipated.clear();
    this.held.pruneOutOfScope();
  }

  get wantsPush(): boolean {
    return this.mustAnswer || this.forced.size > 0;
  }

  /**
   * What to send so the client matches `snapshot`: resources whose version differs from what it
   * holds (or that it re-subscribed), and names it holds (or asked for) that do not exist.
   */
  diff(snapshot: TypeSnapshot): DeltaDiff {
    // A wildcard client holding exactly an earlier snapshot, nothing forced or named besides.
    const base = this.wildcard && this.subscribed.size === 0 && this.forced.size === 0 && this.anticipated.size === 0 ? this.held.plainBase() : undefined;
    if (base) return snapshot.resources.changesFrom(base.resources);
    const changes: DeltaDiff = { updated: [], removed: [] };
    const resources = snapshot.resources;
    if (this.wildcard) {
      for (const name of resources.keys()) this.consider(name, resources, changes);
      for (const name of this.subscribed.sorted) if (!resources.has(name)) this.consider(name, resources, changes);
      for (const name of this.held.names()) if (!resources.has(name) && !this.subscribed.has(name)) this.consider(name, resources, changes);
    } else {
      for (const name of this.subscribed.sorted) this.consider(name, resources, changes);
      for (const name of this.anticipated) if (!this.subscribed.has(name)) this.consider(name, resources, changes);
    }
    changes.updated.sort(byName);
    changes.removed.sort();
    return changes;
  }

  /** Adds `name` to `changes` if the client must get it again (or hear it is gone). */
  private consider(name: string, resources: TypeSnapshot['resources'], changes: DeltaDiff): void {
    const current = resources.get(name);
    if (current) {
      const held = this.held.get(name);
      if ((held !== current && held?.version !== current.version) || this.forced.has(name)) changes.updated.push(current);
    } else if (this.held.has(name) || this.forced.has(name)) {
      changes.removed.push(name);
    }
  }

  /**
   * Records a response as sent: the client now holds `snapshot` for every name it wants, except
   * `kept`, removals held back (make before break), which it still holds from before.
   */
  recordSent(nonce: string, version: string, snapshot: TypeSnapshot, kept: readonly string[]): SentResponse {
    const keptResources = kept.map((name) => this.held.get(name)).filter((r): r is CachedResource => r !== undefined);
    this.held.syncTo(snapshot, keptResources);
    this.forced.clear();
    this.mustAnswer = false;
    if (this.anticipated.size > 0) this.anticipatedIn = nonce;
    const sent = { version, resources: this.held.list() };
    this.inFlight.push({ nonce, sent });
    if (this.inFlight.length > MAX_IN_FLIGHT) this.inFlight.shift();
    return sent;
  }

  /** The response a request's nonce answers (forgetting it and every older one); undefined: stale or unknown. */
  takeAnswered(nonce: string): SentResponse | undefined {
    const index = this.inFlight.findIndex((r) => r.nonce === nonce);
    if (index < 0) return undefined;
    return this.inFlight.splice(0, index + 1)[index]!.sent;
  }
}

// State of the World over one ADS stream: per type the latest version and nonce, wildcard (LDS,
// CDS: every resource) or named (RDS, EDS: the names asked for) responses, and which request is an
// ACK, a NACK or stale. Admission, scheduling, flushing and make before break are the core's.
import type { DiscoveryRequest } from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { SUBSCRIPTIONS, type NameList } from './name-list.js';
import type { CachedResource, Snapshot, TypeSnapshot } from './snapshot.js';
import { AdsStreamCore, type StreamContext, type StreamSink } from './stream-core.js';
import { TypeUrl, isWildcardType } from './type-urls.js';
import { DiscoveryResponseBytes } from './wire.js';

const NO_NAMES = SUBSCRIPTIONS.of([]);

interface TypeState {
  /** Subscribed names (named types only), shared with every stream that subscribed to the same. */
  names: NameList;
  /** Nonce of the latest response of this type; undefined until one was sent on this stream. */
  lastNonce?: string;
  sentVersion?: string;
  /** The resources of the latest response, in name order (named types only). */
  sent: readonly CachedResource[];
}

export class SotwStream extends AdsStreamCore<DiscoveryRequest, TypeState> {
  /** Clusters in the latest CDS response on this stream (often the snapshot's own list, shared). */
  private sentClusters: readonly CachedResource[] = [];

  constructor(ctx: StreamContext, sink: StreamSink) {
    super(ctx, sink, 'DiscoveryRequest', {});
  }

  protected handleRequest(req: DiscoveryRequest): void {
    const state = this.types.get(req.typeUrl);
    if (!state || state.lastNonce === undefined) this.onInitialRequest(req, state);
    else if (req.responseNonce !== state.lastNonce) {
      this.log.debug({ typeUrl: req.typeUrl, nonce: req.responseNonce, latest: state.lastNonce }, 'stale request ignored');
    } else {
      if (req.errorDetail) this.recordNack(req.typeUrl, req.responseNonce, state.sentVersion ?? '', req.versionInfo, req.errorDetail);
      else this.recordAck(req.typeUrl, req.versionInfo, req.responseNonce);
      this.onNames(req, state);
      this.answered(req.responseNonce);
    }
  }

  /** First request of a type on this stream (whatever nonce it carries, e.g. one from an earlier stream). */
  private onInitialRequest(req: DiscoveryRequest, known: TypeState | undefined): void {
    let state = known;
    if (!state) {
      // Every field from the start, so the record never grows a separate property store.
      state = { names: NO_NAMES, lastNonce: undefined, sentVersion: undefined, sent: [] };
      this.addType(req.typeUrl, state);
    }
    state.names = SUBSCRIPTIONS.of(req.resourceNames);
    this.schedule(req.typeUrl, true);
  }

  /** Added names are answered at once; removed names need no answer (an empty list unsubscribes). */
  private onNames(req: DiscoveryRequest, state: TypeState): void {
    if (isWildcardType(req.typeUrl)) return;
    // Most ACKs repeat the names: keep the list the stream holds, not the request's strings as well.
    if (state.names.sameAs(req.resourceNames)) return;
    const next = new Set(req.resourceNames);
    const added = req.resourceNames.some((n) => !state.names.has(n));
    // What was sent of names no longer subscribed does not count as sent: dropping them needs no answer.
    state.sent = state.sent.filter((r) => next.has(r.name));
    state.names = SUBSCRIPTIONS.of(req.resourceNames);
    if (added) this.schedule(req.typeUrl, true);
  }

  /** Make before break: a CDS response that would remove clusters still in use keeps them. */
  private clustersToSend(typeSnapshot: TypeSnapshot): readonly CachedResource[] {
    const current = typeSnapshot.resources.list;
    const removed = this.sentClusters.filter((r) => !typeSnapshot.resources.has(r.name));
    if (!this.holdRemovedClusters(removed.length)) return current;
    return [...current, ...removed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** `requested`: answered even when this stream's content did not change. */
  protected push(snapshot: Snapshot, typeUrl: string, typeSnapshot: TypeSnapshot, requested: boolean): void {
    const state = this.types.get(typeUrl)!;
    const named = isWildcardType(typeUrl) ? undefined : state.names.resolve(typeSnapshot.resources);
    if (!requested && !(named ? differs(named, state.sent) : typeSnapshot.version !== state.sentVersion)) return;
    const isCds = typeUrl === TypeUrl.Cluster;
    const resources = isCds ? this.clustersToSend(typeSnapshot) : (named ?? typeSnapshot.resources.list);
    const version = isCds ? this.clusterVersion(typeSnapshot.version) : typeSnapshot.version;
    const nonce = this.nextNonce();
    const previousClusters = this.sentClusters;
    const rewarms = isCds && (state.lastNonce === undefined || changesAny(previousClusters, resources));
    const response = new DiscoveryResponseBytes({
      versionInfo: version,
      resources: resources.map((r) => r.anyBytes),
      typeUrl,
      nonce,
      ...(this.ctx.replicaId ? { controlPlaneId: this.ctx.replicaId } : {}),
    });
    state.lastNonce = nonce;
    state.sentVersion = version;
    if (named) state.sent = resources;
    const eds = isCds ? this.types.get(TypeUrl.ClusterLoadAssignment) : undefined;
    if (isCds) this.sentClusters = resources;
    if (eds) {
      // Envoy re-warms a cluster whose config changed and waits for a fresh ClusterLoadAssignment
      // (envoy#13009); the first CDS answer on a stream may change any.
      if (rewarms) this.addPending(TypeUrl.ClusterLoadAssignment, true);
      else if (anticipateEndpointNames(previousClusters, resources, snapshot, eds)) this.addPending(TypeUrl.ClusterLoadAssignment, false);
    }
    this.send(response, { typeUrl, version, nonce, resources }, { resources: resources.length });
  }
}

/**
 * An added EDS cluster makes Envoy ask for its endpoints by name, a round trip before it can use
 * the cluster. Its watch exists as soon as Envoy applied the CDS response, so endpoints sent right
 * after it are taken (Istio pushes EDS with CDS the same way). Adds the names of added clusters that
 * have a ClusterLoadAssignment to the stream's EDS names; Envoy's next EDS request or ACK states
 * the real names again and replaces them. Both lists in name order; true if any name was added.
 */
function anticipateEndpointNames(sent: readonly CachedResource[], next: readonly CachedResource[], snapshot: Snapshot, eds: TypeState): boolean {
  const endpoints = snapshot.types.get(TypeUrl.ClusterLoadAssignment)?.resources;
  if (!endpoints) return false;
  const added: string[] = [];
  let i = 0;
  for (const cluster of next) {
    while (i < sent.length && sent[i]!.name < cluster.name) i++;
    if (i < sent.length && sent[i]!.name === cluster.name) continue;
    if (eds.names.has(cluster.name) || !endpoints.has(cluster.name)) continue;
    added.push(cluster.name);
  }
  if (added.length === 0) return false;
  eds.names = SUBSCRIPTIONS.extend(eds.names, added);
  return true;
}

/** Whether a resource in both lists (each in name order) has a different version in `next`. */
function changesAny(sent: readonly CachedResource[], next: readonly CachedResource[]): boolean {
  let i = 0;
  let j = 0;
  while (i < sent.length && j < next.length) {
    const a = sent[i]!;
    const b = next[j]!;
    if (a.name < b.name) i++;
    else if (a.name > b.name) j++;
    else {
      if (a !== b && a.version !== b.version) return true;
      i++;
      j++;
    }
  }
  return false;
}

/** Whether what a stream would get now differs from what it was last sent (NACKed or not); both in name order. */
function differs(now: readonly CachedResource[], sent: readonly CachedResource[]): boolean {
  if (now === sent) return false;
  if (now.length !== sent.length) return true;
  for (let i = 0; i < now.length; i++) {
    const a = now[i]!;
    const b = sent[i]!;
    if (a !== b && (a.name !== b.name || a.version !== b.version)) return true;
  }
  return false;
}

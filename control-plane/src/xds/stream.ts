// State of the World over one ADS stream: node, subscriptions, nonces, ACK/NACK, ordered and
// coalesced pushes. Knows type URLs, versions and nonces only; the transport is a StreamSink.
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { DiscoveryRequest } from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import type { SnapshotCache } from './cache.js';
import type { ProxyStatusRegistry } from './proxy-status.js';
import { StreamLog } from './stream-log.js';
import { StreamPushGate, type PushLimiter } from './push-limiter.js';
import { SUBSCRIPTIONS, type NameList } from './name-list.js';
import type { CachedResource, Snapshot, TypeSnapshot } from './snapshot.js';
import { TypeUrl, inPushOrder, isWildcardType, shortTypeName } from './type-urls.js';
import type { EncodedResponse } from './response-scratch.js';
import { DiscoveryResponseBytes } from './wire.js';

const NO_NAMES = SUBSCRIPTIONS.of([]);

export interface NodeInfo {
  id: string;
  cluster: string;
  /** google.protobuf.Struct as plain JSON. */
  metadata: Record<string, unknown>;
}

export type GroupForNode = (node: NodeInfo) => { group: string } | { error: string };

export interface StreamSink {
  /** false: the transport is full; call onDrain() when it empties. Encoded when the transport serializes it. */
  write(response: EncodedResponse): boolean;
  /** Ends the stream with a non-OK status. */
  fail(code: status, details: string): void;
}

export interface StreamContext {
  streamId: number;
  cache: SnapshotCache;
  registry: ProxyStatusRegistry;
  groupForNode: GroupForNode;
  logger: Logger;
  replicaId?: string;
  peer?: string;
  /** Caps the change pushes in flight across streams; none: unbounded. */
  pushLimiter?: PushLimiter;
}

interface TypeState {
  /** Subscribed names (named types only), shared with every stream that subscribed to the same. */
  names: NameList;
  /** Nonce of the latest response of this type; undefined until one was sent on this stream. */
  lastNonce?: string;
  sentVersion?: string;
  /** The resources of the latest response, in name order (named types only). */
  sent: readonly CachedResource[];
}

export class SotwStream {
  private node?: NodeInfo;
  private group?: string;
  private readonly log: StreamLog;
  private readonly types = new Map<string, TypeState>();
  /** Types waiting to be pushed -> whether to send even if this stream's content did not change. */
  private readonly pending = new Map<string, boolean>();
  private readonly noncePrefix = randomBytes(4).toString('hex');
  private nonceCount = 0;
  private flushScheduled = false;
  /** Clusters in the latest CDS response on this stream (often the snapshot's own list, shared). */
  private sentClusters: readonly CachedResource[] = [];
  /** A CDS response kept removed clusters; they go once the routes no longer point at them. */
  private holdingRemovedClusters = false;
  /** Nonce of the RDS response whose ACK or NACK releases the held clusters. */
  private releaseOnRdsNonce?: string;
  private blocked = false;
  private closed = false;
  private unwatch?: () => void;
  private readonly gate: StreamPushGate;

  constructor(
    private readonly ctx: StreamContext,
    private readonly sink: StreamSink,
  ) {
    this.log = new StreamLog(ctx.logger, { streamId: ctx.streamId });
    this.gate = new StreamPushGate(ctx.pushLimiter, () => this.kick());
  }

  get nodeId(): string | undefined {
    return this.node?.id;
  }

  onRequest(req: DiscoveryRequest): void {
    if (this.closed) return;
    if (!this.node && !this.start(req)) return;
    if (!req.typeUrl) {
      this.fail(status.INVALID_ARGUMENT, 'DiscoveryRequest without type_url: on an ADS stream every request names its type');
      return;
    }
    if (req.responseNonce) this.gate.answered(req.responseNonce);
    const state = this.types.get(req.typeUrl);
    if (!state || state.lastNonce === undefined) this.onInitialRequest(req);
    else if (req.responseNonce !== state.lastNonce) {
      this.log.debug({ typeUrl: req.typeUrl, nonce: req.responseNonce, latest: state.lastNonce }, 'stale request ignored');
    } else {
      if (req.errorDetail) this.onNack(req, state);
      else this.onAck(req);
      this.onNames(req, state);
      if (req.responseNonce === this.releaseOnRdsNonce) this.releaseRemovedClusters();
    }
  }

  /** The transport can take more responses. */
  onDrain(): void {
    this.blocked = false;
    this.flush();
  }

  /** Forgets the stream (the transport is already closed or closing). */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.unwatch?.();
    this.gate.close();
    if (this.node) {
      this.ctx.registry.recordDisconnect(this.ctx.streamId);
      this.log.info({ reason }, 'proxy disconnected');
    }
  }

  private fail(code: status, details: string): void {
    this.log.warn({ code: status[code], details, peer: this.ctx.peer }, 'ending stream');
    this.sink.fail(code, details);
    this.close(details);
  }

  private start(req: DiscoveryRequest): boolean {
    const id = req.node?.id;
    if (!id) {
      this.fail(status.INVALID_ARGUMENT, 'the first DiscoveryRequest of a stream must carry node.id (set node.id in the Envoy bootstrap)');
      return false;
    }
    const node: NodeInfo = { id, cluster: req.node?.cluster ?? '', metadata: req.node?.metadata ?? {} };
    let result: ReturnType<GroupForNode>;
    try {
      result = this.ctx.groupForNode(node);
    } catch (err) {
      this.log.error({ err, nodeId: id }, 'mapping the node to a snapshot group failed');
      this.fail(status.INTERNAL, `node ${id}: the control plane could not choose a configuration for this node`);
      return false;
    }
    if ('error' in result) {
      this.fail(status.INVALID_ARGUMENT, result.error);
      return false;
    }
    this.node = node;
    this.group = result.group;
    this.log.bind({ nodeId: id });
    const { streamId, registry, cache } = this.ctx;
    registry.recordConnect({ streamId, nodeId: id, cluster: node.cluster, metadata: node.metadata, group: this.group, connectedAt: new Date() });
    this.log.info({ cluster: node.cluster, group: this.group, peer: this.ctx.peer, hasSnapshot: cache.hasGroup(this.group) }, 'proxy connected');
    this.unwatch = cache.watch(this.group, (changed) => this.onSnapshotChanged(changed));
    return true;
  }

  /** First request of a type on this stream (whatever nonce it carries, e.g. one from an earlier stream). */
  private onInitialRequest(req: DiscoveryRequest): void {
    let state = this.types.get(req.typeUrl);
    if (!state) {
      // Every field from the start, so the record never grows a separate property store.
      state = { names: NO_NAMES, lastNonce: undefined, sentVersion: undefined, sent: [] };
      this.types.set(req.typeUrl, state);
      this.ctx.registry.recordRequested(this.ctx.streamId, req.typeUrl);
    }
    state.names = this.internedNames(req);
    this.schedule(req.typeUrl, true);
  }

  private onAck(req: DiscoveryRequest): void {
    this.ctx.registry.recordAck(this.ctx.streamId, req.typeUrl, req.versionInfo, req.responseNonce);
    this.log.debug({ typeUrl: req.typeUrl, version: req.versionInfo }, 'ACK');
  }

  /** Recorded, not answered: the same content would be rejected again. */
  private onNack(req: DiscoveryRequest, state: TypeState): void {
    const error = req.errorDetail?.message || `NACK without a message (code ${req.errorDetail?.code ?? 0})`;
    const version = state.sentVersion ?? '';
    this.ctx.registry.recordNack(this.ctx.streamId, {
      typeUrl: req.typeUrl, version, nonce: req.responseNonce, acceptedVersion: req.versionInfo, error,
    });
    this.log.warn({ type: shortTypeName(req.typeUrl), typeUrl: req.typeUrl, version, acceptedVersion: req.versionInfo, error }, 'NACK: proxy rejected config');
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
    state.names = this.internedNames(req);
    if (added) this.schedule(req.typeUrl, true);
  }

  /** The request's names as the cache's own strings where it has them (see SnapshotCache.internName). */
  private internedNames(req: DiscoveryRequest): NameList {
    return SUBSCRIPTIONS.of(req.resourceNames.map((name) => this.ctx.cache.internName(req.typeUrl, name)));
  }

  private onSnapshotChanged(changed: readonly string[]): void {
    for (const typeUrl of changed) if (this.types.has(typeUrl)) this.schedule(typeUrl, false);
  }

  /** Coalesces: a type pending twice is pushed once, from the newest snapshot. */
  private schedule(typeUrl: string, force: boolean): void {
    this.pending.set(typeUrl, force || this.pending.get(typeUrl) === true);
    this.kick();
  }

  private kick(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private flush(): void {
    if (this.closed || this.blocked || !this.group) return;
    const snapshot = this.ctx.cache.getSnapshot(this.group);
    if (!snapshot) return; // keep pending: serve nothing rather than nothing-yet
    // Forced pushes (initial requests, new names) do not wait for a slot; change pushes do.
    const forced = [...this.pending.values()].some(Boolean);
    if (this.pending.size > 0 && !forced && !this.gate.tryEnter()) return;
    while (this.pending.size > 0 && !this.blocked && !this.closed) {
      const typeUrl = inPushOrder(this.pending.keys())[0]!;
      const force = this.pending.get(typeUrl)!;
      this.pending.delete(typeUrl);
      this.push(snapshot, typeUrl, force);
    }
    this.gate.flushed();
    // No route update was needed to stop using the removed clusters: drop them now.
    if (this.holdingRemovedClusters && this.releaseOnRdsNonce === undefined && !this.pending.has(TypeUrl.RouteConfiguration)) {
      this.releaseRemovedClusters();
    }
  }

  private releaseRemovedClusters(): void {
    this.releaseOnRdsNonce = undefined;
    this.schedule(TypeUrl.Cluster, false);
  }

  /**
   * Make before break: a CDS response that would remove clusters still in use keeps them, so a
   * route never points at a missing cluster; they are removed after the new routes are answered.
   */
  private clustersToSend(typeSnapshot: TypeSnapshot): { resources: readonly CachedResource[]; version: string } {
    const current = typeSnapshot.resources.list;
    const removed = this.sentClusters.filter((r) => !typeSnapshot.resources.has(r.name));
    if (this.holdingRemovedClusters || removed.length === 0 || !this.types.has(TypeUrl.RouteConfiguration)) {
      this.holdingRemovedClusters = false;
      return { resources: current, version: typeSnapshot.version };
    }
    this.holdingRemovedClusters = true;
    const resources = [...current, ...removed].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return { resources, version: `${typeSnapshot.version}+draining` };
  }

  private push(snapshot: Snapshot, typeUrl: string, force: boolean): void {
    const state = this.types.get(typeUrl)!;
    const typeSnapshot = snapshot.types.get(typeUrl);
    if (!typeSnapshot) {
      this.log.debug({ typeUrl }, 'requested type is not in the snapshot; not answering');
      return;
    }
    const named = isWildcardType(typeUrl) ? undefined : this.resourcesFor(state, typeSnapshot);
    if (!force && !(named ? differs(named, state.sent) : typeSnapshot.version !== state.sentVersion)) return;
    const { resources, version } =
      typeUrl === TypeUrl.Cluster
        ? this.clustersToSend(typeSnapshot)
        : { resources: named ?? typeSnapshot.resources.list, version: typeSnapshot.version };
    const nonce = `${this.noncePrefix}-${++this.nonceCount}`;
    const previousClusters = this.sentClusters;
    const rewarms = typeUrl === TypeUrl.Cluster && (state.lastNonce === undefined || changesAny(previousClusters, resources));
    const response = new DiscoveryResponseBytes({
      versionInfo: version,
      resources: resources.map((r) => r.anyBytes),
      typeUrl,
      nonce,
      ...(this.ctx.replicaId ? { controlPlaneId: this.ctx.replicaId } : {}),
    });
    state.lastNonce = nonce;
    state.sentVersion = version;
    this.gate.sent(nonce);
    if (named) state.sent = resources;
    if (typeUrl === TypeUrl.Cluster) this.sentClusters = resources;
    if (typeUrl === TypeUrl.RouteConfiguration && this.holdingRemovedClusters) this.releaseOnRdsNonce = nonce;
    this.ctx.registry.recordSent(this.ctx.streamId, typeUrl, version, nonce, resources);
    this.log.debug({ typeUrl, version, nonce, resources: resources.length }, 'response sent');
    const eds = typeUrl === TypeUrl.Cluster ? this.types.get(TypeUrl.ClusterLoadAssignment) : undefined;
    if (eds) {
      // Envoy re-warms a cluster whose config changed and waits for a fresh ClusterLoadAssignment
      // (envoy#13009); the first CDS answer on a stream may change any.
      if (rewarms) this.pending.set(TypeUrl.ClusterLoadAssignment, true);
      else if (anticipateEndpointNames(previousClusters, resources, snapshot, eds)) this.pending.set(TypeUrl.ClusterLoadAssignment, this.pending.get(TypeUrl.ClusterLoadAssignment) === true);
    }
    if (!this.sink.write(response)) this.blocked = true;
  }

  /** The subscribed resources the snapshot has, in name order (shared with the streams of the same names). */
  private resourcesFor(state: TypeState, typeSnapshot: TypeSnapshot): readonly CachedResource[] {
    return state.names.resolve(typeSnapshot.resources);
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

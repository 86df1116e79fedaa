// Incremental (delta) xDS over one ADS stream: per-resource versions, subscribe/unsubscribe,
// wildcard, initial_resource_versions on reconnect, removals, ACK/NACK per nonce, and the same
// push order and make-before-break as State of the World. Knows type URLs and versions only.
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { DeltaDiscoveryRequest } from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { DeltaTypeState, type DeltaDiff, type Intern } from './delta-state.js';
import { DeltaDiscoveryResponseBytes } from './delta-wire.js';
import type { Snapshot, TypeSnapshot } from './snapshot.js';
import { StreamLog } from './stream-log.js';
import { StreamPushGate } from './push-limiter.js';
import { SparseSet } from './sparse-set.js';
import type { GroupForNode, NodeInfo, StreamContext, StreamSink } from './stream.js';
import { TypeUrl, inPushOrder, shortTypeName } from './type-urls.js';

/** The node of a stream's first request mapped to its group, or the status that refuses the stream. */
export function admitNode(
  ctx: StreamContext,
  log: Pick<StreamLog, 'error'>,
  node: { id: string; cluster: string; metadata: Record<string, unknown> } | undefined,
): { node: NodeInfo; group: string } | { code: status; details: string } {
  if (!node?.id) {
    return { code: status.INVALID_ARGUMENT, details: 'the first DeltaDiscoveryRequest of a stream must carry node.id (set node.id in the Envoy bootstrap)' };
  }
  const info: NodeInfo = { id: node.id, cluster: node.cluster, metadata: node.metadata };
  let result: ReturnType<GroupForNode>;
  try {
    result = ctx.groupForNode(info);
  } catch (err) {
    log.error({ err, nodeId: info.id }, 'mapping the node to a snapshot group failed');
    return { code: status.INTERNAL, details: `node ${info.id}: the control plane could not choose a configuration for this node` };
  }
  if ('error' in result) return { code: status.INVALID_ARGUMENT, details: result.error };
  return { node: info, group: result.group };
}

export class DeltaStream {
  private node?: NodeInfo;
  private group?: string;
  private readonly log: StreamLog;
  private readonly types = new Map<string, DeltaTypeState>();
  /** Types waiting to be pushed; a push sends only what differs, so it needs no force flag. */
  private readonly pending = new SparseSet();
  /** A request (initial, or new subscriptions) is waiting on the next flush: it does not wait for a slot. */
  private requested = false;
  private readonly noncePrefix = randomBytes(4).toString('hex');
  private nonceCount = 0;
  private flushScheduled = false;
  /** Clusters removed from the cache that the client keeps until its routes stop using them. */
  private readonly drainingClusters = new SparseSet();
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
    this.log = new StreamLog(ctx.logger, { streamId: ctx.streamId, protocol: 'delta' });
    this.gate = new StreamPushGate(ctx.pushLimiter, () => this.kick());
  }

  get nodeId(): string | undefined {
    return this.node?.id;
  }

  onRequest(req: DeltaDiscoveryRequest): void {
    if (this.closed) return;
    if (!this.node && !this.start(req)) return;
    if (!req.typeUrl) {
      this.fail(status.INVALID_ARGUMENT, 'DeltaDiscoveryRequest without type_url: on an ADS stream every request names its type');
      return;
    }
    if (req.responseNonce) this.gate.answered(req.responseNonce);
    let state = this.types.get(req.typeUrl);
    if (!state) {
      // Whatever nonce it carries (e.g. one from an earlier stream), the first request of a type is initial.
      state = new DeltaTypeState(req.typeUrl);
      this.types.set(req.typeUrl, state);
      this.ctx.registry.recordRequested(this.ctx.streamId, req.typeUrl);
      state.applyInitial(req, this.internFor(req.typeUrl));
    } else {
      // Subscriptions first: an answer drops anticipated names the client has not subscribed to,
      // and a request may subscribe to them and answer in one.
      state.applySubscriptions(req, false, this.internFor(req.typeUrl));
      if (req.responseNonce) this.onAnswer(req, state);
    }
    if (state.wantsPush) {
      this.requested = true;
      this.schedule(req.typeUrl);
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

  private start(req: DeltaDiscoveryRequest): boolean {
    const admitted = admitNode(this.ctx, this.log, req.node && { id: req.node.id, cluster: req.node.cluster, metadata: req.node.metadata ?? {} });
    if ('code' in admitted) {
      this.fail(admitted.code, admitted.details);
      return false;
    }
    this.node = admitted.node;
    this.group = admitted.group;
    this.log.bind({ nodeId: this.node.id });
    const { streamId, registry, cache } = this.ctx;
    const { id, cluster, metadata } = this.node;
    registry.recordConnect({ streamId, nodeId: id, cluster, metadata, group: this.group, connectedAt: new Date() });
    this.log.info({ cluster, group: this.group, peer: this.ctx.peer, hasSnapshot: cache.hasGroup(this.group) }, 'proxy connected');
    this.unwatch = cache.watch(this.group, (changed) => this.onSnapshotChanged(changed));
    return true;
  }

  /** Requested names become the cache's own strings when it has them: thousands of streams share one copy. */
  private internFor(typeUrl: string): Intern {
    const { cache } = this.ctx;
    return (name) => cache.internName(typeUrl, name);
  }

  /** ACK or NACK of one response; a nonce of no response in flight is stale, and only its subscriptions count. */
  private onAnswer(req: DeltaDiscoveryRequest, state: DeltaTypeState): void {
    const sent = state.takeAnswered(req.responseNonce);
    const { streamId, registry } = this.ctx;
    if (!sent) {
      this.log.debug({ typeUrl: req.typeUrl, nonce: req.responseNonce }, 'stale nonce: only subscription changes honoured');
    } else if (req.errorDetail) {
      // Recorded, not answered: the same content would be rejected again.
      const error = req.errorDetail.message || `NACK without a message (code ${req.errorDetail.code})`;
      registry.recordNack(streamId, { typeUrl: req.typeUrl, version: sent.version, nonce: req.responseNonce, acceptedVersion: state.ackedVersion, error });
      this.log.warn({ type: shortTypeName(req.typeUrl), typeUrl: req.typeUrl, version: sent.version, error }, 'NACK: proxy rejected config');
    } else {
      state.ackedVersion = sent.version;
      registry.recordAck(streamId, req.typeUrl, sent.version, req.responseNonce);
      this.log.debug({ typeUrl: req.typeUrl, version: sent.version }, 'ACK');
    }
    if (sent) state.settleAnticipated();
    if (sent && req.responseNonce === this.releaseOnRdsNonce) this.releaseRemovedClusters();
  }

  private onSnapshotChanged(changed: readonly string[]): void {
    for (const typeUrl of changed) if (this.types.has(typeUrl)) this.schedule(typeUrl);
  }

  /** Coalesces: a type pending twice is pushed once, from the newest snapshot. */
  private schedule(typeUrl: string): void {
    this.pending.add(typeUrl);
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
    if (this.pending.size > 0 && !this.requested && !this.gate.tryEnter()) return;
    while (this.pending.size > 0 && !this.blocked && !this.closed) {
      const typeUrl = inPushOrder(this.pending)[0]!;
      this.pending.delete(typeUrl);
      this.push(snapshot, typeUrl);
    }
    if (this.pending.size === 0) this.requested = false;
    this.gate.flushed();
    // No route update was needed to stop using the removed clusters: drop them now.
    if (this.holdingRemovedClusters && this.releaseOnRdsNonce === undefined && !this.pending.has(TypeUrl.RouteConfiguration)) {
      this.releaseRemovedClusters();
    }
  }

  private releaseRemovedClusters(): void {
    this.releaseOnRdsNonce = undefined;
    this.schedule(TypeUrl.Cluster);
  }

  /**
   * Make before break: removals of clusters the client holds wait until the new routes are
   * answered; meanwhile their endpoints stay too. Returns the removals held back.
   */
  private holdClusterRemovals(state: DeltaTypeState, diff: DeltaDiff): string[] {
    const dropped = diff.removed.filter((name) => state.held.has(name));
    if (this.holdingRemovedClusters || dropped.length === 0 || !this.types.has(TypeUrl.RouteConfiguration)) {
      this.holdingRemovedClusters = false;
      this.drainingClusters.clear();
      return [];
    }
    this.holdingRemovedClusters = true;
    this.drainingClusters.clear();
    for (const name of dropped) this.drainingClusters.add(name);
    return dropped;
  }

  /** The diff to send, and the removals it holds back (the client keeps those for now). */
  private diffFor(state: DeltaTypeState, typeSnapshot: TypeSnapshot): { diff: DeltaDiff; kept: string[] } {
    const diff = state.diff(typeSnapshot);
    let kept: string[] = [];
    if (state.typeUrl === TypeUrl.Cluster) kept = this.holdClusterRemovals(state, diff);
    else if (state.typeUrl === TypeUrl.ClusterLoadAssignment) kept = diff.removed.filter((name) => this.drainingClusters.has(name));
    if (kept.length === 0) return { diff, kept };
    const held = new Set(kept);
    return { diff: { updated: diff.updated, removed: diff.removed.filter((name) => !held.has(name)) }, kept };
  }

  private push(snapshot: Snapshot, typeUrl: string): void {
    const state = this.types.get(typeUrl)!;
    const typeSnapshot = snapshot.types.get(typeUrl);
    if (!typeSnapshot) {
      this.log.debug({ typeUrl }, 'requested type is not in the snapshot; not answering');
      return;
    }
    const { diff, kept } = this.diffFor(state, typeSnapshot);
    if (diff.updated.length === 0 && diff.removed.length === 0 && !state.mustAnswer) return;
    const version = this.holdingRemovedClusters && typeUrl === TypeUrl.Cluster ? `${typeSnapshot.version}+draining` : typeSnapshot.version;
    const nonce = `${this.noncePrefix}-${++this.nonceCount}`;
    const response = new DeltaDiscoveryResponseBytes({
      systemVersionInfo: version,
      resources: diff.updated,
      removedResources: diff.removed,
      typeUrl,
      nonce,
      ...(this.ctx.replicaId ? { controlPlaneId: this.ctx.replicaId } : {}),
    });
    const sent = state.recordSent(nonce, version, typeSnapshot, kept);
    this.gate.sent(nonce);
    if (typeUrl === TypeUrl.RouteConfiguration && this.holdingRemovedClusters) this.releaseOnRdsNonce = nonce;
    this.ctx.registry.recordSent(this.ctx.streamId, typeUrl, version, nonce, sent.resources);
    this.log.debug({ typeUrl, version, nonce, updated: diff.updated.length, removed: diff.removed.length }, 'delta response sent');
    if (typeUrl === TypeUrl.Cluster) this.afterClusterPush(diff, snapshot);
    if (!this.sink.write(response)) this.blocked = true;
  }

  /**
   * Envoy re-warms the clusters it just got and waits for a fresh ClusterLoadAssignment
   * (envoy#13009); a removed cluster takes its endpoints with it, so they need no removal. An
   * added cluster's endpoints go out now rather than a round trip later, when Envoy asks.
   */
  private afterClusterPush(diff: DeltaDiff, snapshot: Snapshot): void {
    const eds = this.types.get(TypeUrl.ClusterLoadAssignment);
    if (!eds) return;
    const endpoints = snapshot.types.get(TypeUrl.ClusterLoadAssignment)?.resources;
    const added: string[] = [];
    for (const r of diff.updated) {
      if (eds.wildcard || eds.subscribed.has(r.name)) eds.forced.add(r.name);
      else if (endpoints?.has(r.name)) added.push(r.name);
    }
    eds.anticipate(added);
    for (const name of diff.removed) eds.held.drop(name);
    this.pending.add(TypeUrl.ClusterLoadAssignment);
  }
}

// Incremental (delta) xDS over one ADS stream: per-resource versions, subscribe/unsubscribe,
// wildcard, initial_resource_versions on reconnect, removals, and ACK/NACK per nonce. Admission,
// scheduling, flushing and make before break are the core's, as for State of the World.
import type { DeltaDiscoveryRequest } from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { DeltaTypeState, type DeltaDiff } from './delta-state.js';
import { DeltaDiscoveryResponseBytes } from './delta-wire.js';
import type { Snapshot, TypeSnapshot } from './snapshot.js';
import { SparseSet } from './sparse-set.js';
import { AdsStreamCore, type StreamContext, type StreamSink } from './stream-core.js';
import { TypeUrl } from './type-urls.js';

export class DeltaStream extends AdsStreamCore<DeltaDiscoveryRequest, DeltaTypeState> {
  /** Clusters removed from the cache that the client keeps until its routes stop using them. */
  private readonly drainingClusters = new SparseSet();

  constructor(ctx: StreamContext, sink: StreamSink) {
    super(ctx, sink, 'DeltaDiscoveryRequest', { protocol: 'delta' });
  }

  protected handleRequest(req: DeltaDiscoveryRequest): void {
    let state = this.types.get(req.typeUrl);
    if (!state) {
      // Whatever nonce it carries (e.g. one from an earlier stream), the first request of a type is initial.
      state = new DeltaTypeState(req.typeUrl);
      this.addType(req.typeUrl, state);
      state.applyInitial(req);
    } else {
      // Subscriptions first: an answer drops anticipated names the client has not subscribed to,
      // and a request may subscribe to them and answer in one.
      state.applySubscriptions(req, false);
      if (req.responseNonce) this.onAnswer(req, state);
    }
    if (state.wantsPush) this.schedule(req.typeUrl, true);
  }

  /** ACK or NACK of one response; a nonce of no response in flight is stale, and only its subscriptions count. */
  private onAnswer(req: DeltaDiscoveryRequest, state: DeltaTypeState): void {
    const sent = state.takeAnswered(req.responseNonce);
    if (!sent) {
      this.log.debug({ typeUrl: req.typeUrl, nonce: req.responseNonce }, 'stale nonce: only subscription changes honoured');
      return;
    }
    if (req.errorDetail) {
      this.recordNack(req.typeUrl, req.responseNonce, sent.version, state.ackedVersion, req.errorDetail);
    } else {
      state.ackedVersion = sent.version;
      this.recordAck(req.typeUrl, sent.version, req.responseNonce);
    }
    state.settleAnticipated();
    this.answered(req.responseNonce);
  }

  /**
   * Make before break: removals of clusters the client holds wait until the new routes are
   * answered; meanwhile their endpoints stay too. Returns the removals held back.
   */
  private holdClusterRemovals(state: DeltaTypeState, diff: DeltaDiff): string[] {
    const dropped = diff.removed.filter((name) => state.held.has(name));
    this.drainingClusters.clear();
    if (!this.holdRemovedClusters(dropped.length)) return [];
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

  protected push(snapshot: Snapshot, typeUrl: string, typeSnapshot: TypeSnapshot): void {
    const state = this.types.get(typeUrl)!;
    const { diff, kept } = this.diffFor(state, typeSnapshot);
    if (diff.updated.length === 0 && diff.removed.length === 0 && !state.mustAnswer) return;
    const version = typeUrl === TypeUrl.Cluster ? this.clusterVersion(typeSnapshot.version) : typeSnapshot.version;
    const nonce = this.nextNonce();
    const response = new DeltaDiscoveryResponseBytes({
      systemVersionInfo: version,
      resources: diff.updated,
      removedResources: diff.removed,
      typeUrl,
      nonce,
      ...(this.ctx.replicaId ? { controlPlaneId: this.ctx.replicaId } : {}),
    });
    const { resources } = state.recordSent(nonce, version, typeSnapshot, kept);
    if (typeUrl === TypeUrl.Cluster) this.afterClusterPush(diff, snapshot);
    this.send(response, { typeUrl, version, nonce, resources }, { updated: diff.updated.length, removed: diff.removed.length });
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
    this.addPending(TypeUrl.ClusterLoadAssignment, false);
  }
}

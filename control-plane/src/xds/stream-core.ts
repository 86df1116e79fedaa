// What a State of the World stream and a delta stream share: admitting the node, coalescing and
// scheduling pushes, flushing them in push order under the push limiter, recording ACKs and NACKs,
// holding removed clusters until the routes stop using them (make before break), and ending the
// stream. A protocol subclass decides what a request means and what a push sends.
import { randomBytes } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ConfigWatcher } from './config-watcher.js';
import type { ProxyStatusRegistry } from './proxy-status.js';
import { StreamPushGate, type PushLimiter } from './push-limiter.js';
import type { EncodedResponse } from './response-buffers.js';
import type { CachedResource, Snapshot, TypeSnapshot } from './snapshot.js';
import { StreamLog } from './stream-log.js';
import { TypeUrl, inPushOrder, shortTypeName } from './type-urls.js';

export interface NodeInfo {
  id: string;
  cluster: string;
  /** google.protobuf.Struct as plain JSON. */
  metadata: Record<string, unknown>;
  /** The Envoy release the node says it runs (node.user_agent_build_version), e.g. [1, 36, 4]. */
  envoyVersion?: readonly [number, number, number];
}

/** node.user_agent_build_version as [major, minor, patch]; undefined when the client did not say. */
function envoyVersionOf(node: AdsRequest['node']): NodeInfo['envoyVersion'] {
  const agent = node?.userAgentVersionType;
  type BuildVersion = { version?: { majorNumber: number; minorNumber: number; patch: number } };
  const version = agent?.case === 'userAgentBuildVersion' ? (agent.value as BuildVersion).version : undefined;
  return version ? [version.majorNumber, version.minorNumber, version.patch] : undefined;
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
  cache: ConfigWatcher;
  registry: ProxyStatusRegistry;
  groupForNode: GroupForNode;
  logger: Logger;
  replicaId?: string;
  peer?: string;
  /** Caps the change pushes in flight across streams; none: unbounded. */
  pushLimiter?: PushLimiter;
}

/** The fields of a (Delta)DiscoveryRequest the core reads. */
export interface AdsRequest {
  node?: {
    id: string;
    cluster: string;
    metadata?: Record<string, unknown>;
    userAgentVersionType?: { case: string | undefined; value?: unknown };
  };
  typeUrl: string;
  responseNonce: string;
}

/** What a response carried, for the proxy status registry and the debug log. */
export interface SentResponse {
  typeUrl: string;
  version: string;
  nonce: string;
  /** What the proxy holds of the type once it applies the response. */
  resources: readonly CachedResource[];
}

export abstract class AdsStreamCore<Request extends AdsRequest, TypeState> {
  protected readonly log: StreamLog;
  /** Per requested type URL, what the protocol keeps. */
  protected readonly types = new Map<string, TypeState>();
  /** Types waiting to be pushed -> whether a request of the proxy waits on the push. */
  private readonly pending = new Map<string, boolean>();
  private node?: NodeInfo;
  private group?: string;
  private readonly noncePrefix = randomBytes(4).toString('hex');
  private nonceCount = 0;
  private flushScheduled = false;
  /** The latest CDS response kept clusters the cache removed; they go once the routes stop using them. */
  protected holdingRemovedClusters = false;
  /** Nonce of the RDS response whose ACK or NACK releases the held clusters. */
  private releaseOnRdsNonce?: string;
  private blocked = false;
  private closed = false;
  private unwatch?: () => void;
  private readonly gate: StreamPushGate;

  constructor(
    protected readonly ctx: StreamContext,
    private readonly sink: StreamSink,
    /** "DiscoveryRequest" or "DeltaDiscoveryRequest", for refusals. */
    private readonly requestName: string,
    logFields: Record<string, unknown>,
  ) {
    this.log = new StreamLog(ctx.logger, { streamId: ctx.streamId, ...logFields });
    this.gate = new StreamPushGate(ctx.pushLimiter, () => this.kick());
  }

  get nodeId(): string | undefined {
    return this.node?.id;
  }

  onRequest(req: Request): void {
    if (this.closed) return;
    if (!this.node && !this.admit(req)) return;
    if (!req.typeUrl) {
      this.fail(status.INVALID_ARGUMENT, `${this.requestName} without type_url: on an ADS stream every request names its type`);
      return;
    }
    if (req.responseNonce) this.gate.answered(req.responseNonce);
    this.handleRequest(req);
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

  /** A request of a type on an admitted stream (its nonce already given to the push gate). */
  protected abstract handleRequest(req: Request): void;

  /** Sends what `typeUrl` needs from `snapshot` (which has the type), if anything; `requested`: a request waits on it. */
  protected abstract push(snapshot: Snapshot, typeUrl: string, typeSnapshot: TypeSnapshot, requested: boolean): void;

  /** The first request of a type on this stream. */
  protected addType(typeUrl: string, state: TypeState): void {
    this.types.set(typeUrl, state);
    this.ctx.registry.recordRequested(this.ctx.streamId, typeUrl);
  }

  protected recordAck(typeUrl: string, version: string, nonce: string): void {
    this.ctx.registry.recordAck(this.ctx.streamId, typeUrl, version, nonce);
    this.log.debug({ typeUrl, version }, 'ACK');
  }

  /** Recorded, not answered: the same content would be rejected again. */
  protected recordNack(typeUrl: string, nonce: string, version: string, acceptedVersion: string, detail: { message: string; code: number }): void {
    const error = detail.message || `NACK without a message (code ${detail.code})`;
    this.ctx.registry.recordNack(this.ctx.streamId, { typeUrl, version, nonce, acceptedVersion, error });
    this.log.warn({ type: shortTypeName(typeUrl), typeUrl, version, acceptedVersion, error }, 'NACK: proxy rejected config');
  }

  /** An ACK or NACK of a response sent on this stream: the one of the routes that stop using held clusters releases them. */
  protected answered(nonce: string): void {
    if (nonce === this.releaseOnRdsNonce) this.releaseRemovedClusters();
  }

  /** Coalesces: a type pending twice is pushed once, from the newest snapshot. */
  protected schedule(typeUrl: string, requested: boolean): void {
    this.addPending(typeUrl, requested);
    this.kick();
  }

  /** Adds to the pushes of the flush under way (or the next one). */
  protected addPending(typeUrl: string, requested: boolean): void {
    this.pending.set(typeUrl, requested || this.pending.get(typeUrl) === true);
  }

  /**
   * Make before break: whether a CDS push that would remove `removed` clusters the proxy holds
   * keeps them instead, so no route points at a missing cluster. They go with the next CDS push
   * once the new routes are answered (or no route update was needed).
   */
  protected holdRemovedClusters(removed: number): boolean {
    this.holdingRemovedClusters = !this.holdingRemovedClusters && removed > 0 && this.types.has(TypeUrl.RouteConfiguration);
    return this.holdingRemovedClusters;
  }

  /** The version a CDS response carries while it keeps removed clusters. */
  protected clusterVersion(version: string): string {
    return this.holdingRemovedClusters ? `${version}+draining` : version;
  }

  protected nextNonce(): string {
    return `${this.noncePrefix}-${++this.nonceCount}`;
  }

  /** Records `sent` and hands the response to the transport. */
  protected send(response: EncodedResponse, sent: SentResponse, logFields: Record<string, unknown>): void {
    const { typeUrl, version, nonce } = sent;
    this.gate.sent(nonce);
    if (typeUrl === TypeUrl.RouteConfiguration && this.holdingRemovedClusters) this.releaseOnRdsNonce = nonce;
    this.ctx.registry.recordSent(this.ctx.streamId, typeUrl, version, nonce, sent.resources);
    this.log.debug({ typeUrl, version, nonce, ...logFields }, 'response sent');
    if (!this.sink.write(response)) this.blocked = true;
  }

  private fail(code: status, details: string): void {
    this.log.warn({ code: status[code], details, peer: this.ctx.peer }, 'ending stream');
    this.sink.fail(code, details);
    this.close(details);
  }

  /** Maps the node of the first request to its group and starts watching it; false: refused. */
  private admit(req: Request): boolean {
    const id = req.node?.id;
    if (!id) {
      this.fail(status.INVALID_ARGUMENT, `the first ${this.requestName} of a stream must carry node.id (set node.id in the Envoy bootstrap)`);
      return false;
    }
    const envoyVersion = envoyVersionOf(req.node);
    const node: NodeInfo = { id, cluster: req.node?.cluster ?? '', metadata: req.node?.metadata ?? {}, ...(envoyVersion && { envoyVersion }) };
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
    const { streamId, registry, cache, peer } = this.ctx;
    const group = result.group;
    this.node = node;
    this.group = group;
    this.log.bind({ nodeId: id });
    registry.recordConnect({ streamId, nodeId: id, cluster: node.cluster, metadata: node.metadata, group, connectedAt: new Date() });
    this.log.info({ cluster: node.cluster, group, peer, hasSnapshot: cache.getSnapshot(group) !== undefined }, 'proxy connected');
    this.unwatch = cache.watch(group, (changed) => this.onSnapshotChanged(changed));
    return true;
  }

  private onSnapshotChanged(changed: readonly string[]): void {
    for (const typeUrl of changed) if (this.types.has(typeUrl)) this.schedule(typeUrl, false);
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
    // Answers to requests do not wait for a slot; change pushes do.
    if (this.pending.size > 0 && !this.anyRequested() && !this.gate.tryEnter()) return;
    while (this.pending.size > 0 && !this.blocked && !this.closed) {
      const typeUrl = inPushOrder(this.pending.keys())[0]!;
      const requested = this.pending.get(typeUrl)!;
      this.pending.delete(typeUrl);
      const typeSnapshot = snapshot.types.get(typeUrl);
      if (typeSnapshot) this.push(snapshot, typeUrl, typeSnapshot, requested);
      else this.log.debug({ typeUrl }, 'requested type is not in the snapshot; not answering');
    }
    this.gate.flushed();
    // No route update was needed to stop using the removed clusters: drop them now.
    if (this.holdingRemovedClusters && this.releaseOnRdsNonce === undefined && !this.pending.has(TypeUrl.RouteConfiguration)) {
      this.releaseRemovedClusters();
    }
  }

  private anyRequested(): boolean {
    for (const requested of this.pending.values()) if (requested) return true;
    return false;
  }

  private releaseRemovedClusters(): void {
    this.releaseOnRdsNonce = undefined;
    this.schedule(TypeUrl.Cluster, false);
  }
}

// Which proxies are connected and, per type, what they were sent, acked and rejected.
import { EventEmitter } from 'node:events';
import type { CachedResource } from './snapshot.js';

export interface TypeStatus {
  sentVersion?: string;
  sentNonce?: string;
  ackedVersion?: string;
  /** Nonce of the response the last ACK answered; equals sentNonce when the proxy runs what was sent. */
  ackedNonce?: string;
  /** Error text of the last NACK; cleared by the next ACK. */
  nackError?: string;
  responsesSent: number;
}

/** One response as sent: its resources are the cache's shared bytes, not copies. */
export interface SentConfig {
  version: string;
  nonce: string;
  resources: readonly CachedResource[];
  /** When: milliseconds since the epoch (a number costs a sixth of a Date, and there are two per type and stream). */
  at: number;
}

/** What a stream holds of one type beyond TypeStatus: the config itself, for dumps and explain. */
export interface TypeConfig {
  /** The latest response. */
  sent?: SentConfig;
  /** The response the last ACK answered: what the proxy runs. */
  acked?: SentConfig;
  /** The version the last NACK rejected; cleared by the next ACK. */
  nackedVersion?: string;
  /** NACKs of this type on this stream, ever. */
  nacks: number;
}

export interface ProxyStatus {
  streamId: number;
  nodeId: string;
  cluster: string;
  metadata: Record<string, unknown>;
  group: string;
  connectedAt: Date;
  /** Only types the proxy has requested. */
  perType: Record<string, TypeStatus>;
}

export interface ProxyEvent {
  streamId: number;
  nodeId: string;
  group: string;
}

export interface TypeEvent extends ProxyEvent {
  typeUrl: string;
  /** ack: the version now running; nack: the version rejected; response: the version sent. */
  version: string;
  nonce: string;
}

export interface NackEvent extends TypeEvent {
  /** The version the proxy still runs (its version_info). */
  acceptedVersion: string;
  error: string;
}

export interface ProxyEventMap {
  connect: [ProxyEvent];
  disconnect: [ProxyEvent];
  response: [TypeEvent];
  ack: [TypeEvent];
  nack: [NackEvent];
}

export type SyncState = 'IGNORED' | 'NOT SENT' | 'SYNCED' | 'STALE' | 'NACKED';

/** istioctl proxy-status vocabulary. */
export function syncState(status: TypeStatus | undefined): SyncState {
  if (!status) return 'IGNORED';
  if (status.nackError !== undefined) return 'NACKED';
  if (status.sentNonce === undefined) return 'NOT SENT';
  return status.ackedNonce === status.sentNonce ? 'SYNCED' : 'STALE';
}

/** A copy without the fields that are unset (kept, as undefined, in every record so its shape never changes). */
function definedOnly<T extends object>(record: T): T {
  const copy: Partial<T> = {};
  for (const key of Object.keys(record) as Array<keyof T>) if (record[key] !== undefined) copy[key] = record[key];
  return copy as T;
}

function copyStatus(p: ProxyStatus): ProxyStatus {
  const perType: Record<string, TypeStatus> = {};
  for (const [t, s] of Object.entries(p.perType)) perType[t] = definedOnly(s);
  return { ...p, connectedAt: new Date(p.connectedAt), perType };
}

// Every field from the start: an object that gains fields later grows a separate property store,
// and a stream holds one of each per type it requested.
const newTypeStatus = (): TypeStatus => ({ sentVersion: undefined, sentNonce: undefined, ackedVersion: undefined, ackedNonce: undefined, nackError: undefined, responsesSent: 0 });
/** A stream's TypeConfig: the acked response is the sent one (not a copy per ACK), with the ACK's time beside it. */
interface HeldTypeConfig extends TypeConfig {
  ackedAt: number;
}

const newTypeConfig = (): HeldTypeConfig => ({ sent: undefined, acked: undefined, ackedAt: 0, nackedVersion: undefined, nacks: 0 });

function publicConfig({ ackedAt, ...config }: HeldTypeConfig): TypeConfig {
  return definedOnly({ ...config, acked: config.acked && { ...config.acked, at: ackedAt } });
}

/** Read it with list()/forNode() and the events; the record* methods are for the xDS streams. */
export class ProxyStatusRegistry extends EventEmitter<ProxyEventMap> {
  private readonly proxies = new Map<number, ProxyStatus>();
  private readonly configs = new Map<number, Map<string, HeldTypeConfig>>();

  /** Copies, sorted by node id then stream id. */
  list(): ProxyStatus[] {
    return [...this.proxies.values()]
      .sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : a.streamId - b.streamId))
      .map(copyStatus);
  }

  /** One stream's status (a copy), e.g. to read its node metadata on a connect event. */
  get(streamId: number): ProxyStatus | undefined {
    const p = this.proxies.get(streamId);
    return p && copyStatus(p);
  }

  forNode(nodeId: string): ProxyStatus[] {
    return this.list().filter((p) => p.nodeId === nodeId);
  }

  /** What the stream was sent and acked of `typeUrl` (a copy; undefined if the type was never requested). */
  config(streamId: number, typeUrl: string): TypeConfig | undefined {
    const c = this.configs.get(streamId)?.get(typeUrl);
    return c && publicConfig(c);
  }

  /** Resolves once a stream of `nodeId` has acked `version` of `typeUrl`. */
  waitForAck(nodeId: string, typeUrl: string, version: string, timeoutMs = 5000): Promise<void> {
    const acked = () => this.forNode(nodeId).some((p) => p.perType[typeUrl]?.ackedVersion === version);
    if (acked()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onAck = (e: TypeEvent) => {
        if (e.nodeId !== nodeId || e.typeUrl !== typeUrl || e.version !== version) return;
        clearTimeout(timer);
        this.off('ack', onAck);
        resolve();
      };
      const timer = setTimeout(() => {
        this.off('ack', onAck);
        const now = this.forNode(nodeId).map((p) => p.perType[typeUrl]);
        reject(new Error(`node ${nodeId} did not ack ${typeUrl} version ${version} within ${timeoutMs} ms; status: ${JSON.stringify(now)}`));
      }, timeoutMs);
      this.on('ack', onAck);
    });
  }

  recordConnect(status: Omit<ProxyStatus, 'perType'>): void {
    this.proxies.set(status.streamId, { ...status, perType: {} });
    this.configs.set(status.streamId, new Map());
    this.emit('connect', this.event(status.streamId));
  }

  recordDisconnect(streamId: number): void {
    const event = this.proxies.has(streamId) ? this.event(streamId) : undefined;
    this.proxies.delete(streamId);
    this.configs.delete(streamId);
    if (event) this.emit('disconnect', event);
  }

  recordRequested(streamId: number, typeUrl: string): void {
    const p = this.proxies.get(streamId);
    if (p && !p.perType[typeUrl]) {
      p.perType[typeUrl] = newTypeStatus();
      this.configs.get(streamId)?.set(typeUrl, newTypeConfig());
    }
  }

  /** `resources`: what the response carried, for config dumps (absent: not tracked). */
  recordSent(streamId: number, typeUrl: string, version: string, nonce: string, resources?: readonly CachedResource[]): void {
    const s = this.typeStatus(streamId, typeUrl);
    if (!s) return;
    const c = this.configs.get(streamId)?.get(typeUrl);
    if (c) c.sent = resources && { version, nonce, resources, at: Date.now() };
    s.sentVersion = version;
    s.sentNonce = nonce;
    s.responsesSent++;
    if (this.listenerCount('response') > 0) this.emit('response', this.typeEvent(streamId, typeUrl, version, nonce));
  }

  recordAck(streamId: number, typeUrl: string, version: string, nonce: string): void {
    const s = this.typeStatus(streamId, typeUrl);
    if (!s) return;
    const c = this.configs.get(streamId)?.get(typeUrl);
    if (c) {
      if (c.sent?.nonce === nonce) {
        c.acked = c.sent;
        c.ackedAt = Date.now();
      }
      c.nackedVersion = undefined;
    }
    // The strings the stream sent when they match: the request's own may hold on to its whole text.
    s.ackedVersion = version === s.sentVersion ? s.sentVersion : version;
    s.ackedNonce = nonce === s.sentNonce ? s.sentNonce : nonce;
    s.nackError = undefined;
    if (this.listenerCount('ack') > 0) this.emit('ack', this.typeEvent(streamId, typeUrl, s.ackedVersion, s.ackedNonce));
  }

  recordNack(streamId: number, e: Omit<NackEvent, keyof ProxyEvent>): void {
    const s = this.typeStatus(streamId, e.typeUrl);
    if (!s) return;
    s.nackError = e.error;
    const c = this.configs.get(streamId)?.get(e.typeUrl);
    if (c) {
      c.nackedVersion = e.version;
      c.nacks++;
    }
    this.emit('nack', { ...this.event(streamId), ...e });
  }

  private typeStatus(streamId: number, typeUrl: string): TypeStatus | undefined {
    return this.proxies.get(streamId)?.perType[typeUrl];
  }

  private event(streamId: number): ProxyEvent {
    const p = this.proxies.get(streamId)!;
    return { streamId, nodeId: p.nodeId, group: p.group };
  }

  // One object per response and per ACK, hundreds per lane create (thousands at 10,000 streams).
  private typeEvent(streamId: number, typeUrl: string, version: string, nonce: string): TypeEvent {
    const p = this.proxies.get(streamId)!;
    return { streamId, nodeId: p.nodeId, group: p.group, typeUrl, version, nonce };
  }
}

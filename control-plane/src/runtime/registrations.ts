// Registrations tied to sidecars: an Envoy started with `laneway envoy --register HOST:PORT` says so
// in its node metadata; its app is an endpoint of (service, lane) while a stream of that Envoy is
// up, and for a grace period after the last one ends (a restart of the Envoy or of the control
// plane reconnects within it; a `kill -9` leaves nothing stale after it). Fed by the xDS streams'
// connect and disconnect events; merged into the model by sources/registered.ts.
import type { Logger } from 'pino';
import { endpointProblem } from '../model/validate.js';
import { STABLE } from '../model/types.js';
import { registrationKey, type RegisteredEndpoint, type RegistrationOutcome } from '../sources/registered.js';
import type { ProxyEvent, ProxyStatus, ProxyStatusRegistry } from '../xds/proxy-status.js';
import type { NodeInfo } from './node-target.js';

/** Node metadata key holding the address to register (written by `laneway envoy --register`). */
export const REGISTER_METADATA = 'laneway.register';
export const DEFAULT_REGISTRATION_GRACE_MS = 10_000;

export interface RegistrationView extends RegisteredEndpoint {
  /** active: served; conflict: does not fit the definitions (reason); refused: not accepted at all (reason). */
  status: 'active' | 'conflict' | 'refused';
  reason?: string;
  /** Node ids of the connected Envoys holding it (usually one). */
  nodes: string[];
  /** While no Envoy holds it: when it is removed (RFC 3339). */
  removeAt?: string;
}

interface Held {
  registration: RegisteredEndpoint;
  streams: Map<number, string>;
  timer?: NodeJS.Timeout;
  removeAt?: number;
}

export interface RegistrationsOptions {
  graceMs: number;
  /** Set in Kubernetes mode: every registration is refused with this message. */
  refusal?: string;
  logger: Logger;
  /** Called when the set of registrations changed (the model must be merged again). */
  onChange: () => void;
}

function metadataText(metadata: Record<string, unknown>, key: string): string | undefined {
  const value = metadata[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** What a node asks to register, an error text when its metadata is wrong, or undefined when it registers nothing. */
export function registrationOfNode(node: NodeInfo): RegisteredEndpoint | { error: string } | undefined {
  const address = metadataText(node.metadata, REGISTER_METADATA);
  if (address === undefined) return undefined;
  if (metadataText(node.metadata, 'laneway.kind') === 'ingress') return { error: 'an ingress gateway cannot register an endpoint' };
  const problem = endpointProblem(address);
  if (problem) return { error: `metadata ${REGISTER_METADATA}: ${problem}` };
  const service = metadataText(node.metadata, 'laneway.service') ?? (node.cluster || undefined);
  if (!service) return { error: 'a registering sidecar needs metadata laneway.service' };
  return { service, lane: metadataText(node.metadata, 'laneway.lane') ?? STABLE, address };
}

export class Registrations {
  private readonly held = new Map<string, Held>();
  private readonly byStream = new Map<number, string>();
  /** Streams whose registration is refused (bad metadata, Kubernetes mode): shown, never merged. */
  private readonly refused = new Map<number, { nodeId: string; reason: string; registration?: RegisteredEndpoint }>();
  private lastOutcomes = new Map<string, RegistrationOutcome>();

  constructor(private readonly opts: RegistrationsOptions) {}

  /** Follows a proxy status registry's connects and disconnects; returns the detach function. */
  attach(status: ProxyStatusRegistry): () => void {
    const onConnect = (e: ProxyEvent) => {
      const proxy = status.get(e.streamId);
      if (proxy) this.connected(proxy);
    };
    const onDisconnect = (e: ProxyEvent) => this.disconnected(e.streamId);
    status.on('connect', onConnect);
    status.on('disconnect', onDisconnect);
    return () => {
      status.off('connect', onConnect);
      status.off('disconnect', onDisconnect);
    };
  }

  connected(proxy: Pick<ProxyStatus, 'streamId' | 'nodeId' | 'cluster' | 'metadata'>): void {
    const wanted = registrationOfNode({ id: proxy.nodeId, cluster: proxy.cluster, metadata: proxy.metadata });
    if (wanted === undefined) return;
    if ('error' in wanted || this.opts.refusal !== undefined) {
      const reason = 'error' in wanted ? wanted.error : this.opts.refusal!;
      this.refused.set(proxy.streamId, { nodeId: proxy.nodeId, reason, ...(!('error' in wanted) && { registration: wanted }) });
      this.opts.logger.warn({ node: proxy.nodeId, reason }, 'endpoint registration refused');
      return;
    }
    const key = registrationKey(wanted);
    const entry = this.held.get(key);
    this.byStream.set(proxy.streamId, key);
    if (entry) {
      entry.streams.set(proxy.streamId, proxy.nodeId);
      if (entry.timer) this.keep(entry);
      return;
    }
    this.held.set(key, { registration: wanted, streams: new Map([[proxy.streamId, proxy.nodeId]]) });
    this.opts.logger.info({ node: proxy.nodeId, ...wanted }, 'endpoint registered by its sidecar');
    this.opts.onChange();
  }

  disconnected(streamId: number): void {
    this.refused.delete(streamId);
    const key = this.byStream.get(streamId);
    if (key === undefined) return;
    this.byStream.delete(streamId);
    const entry = this.held.get(key)!;
    entry.streams.delete(streamId);
    if (entry.streams.size > 0) return;
    entry.removeAt = Date.now() + this.opts.graceMs;
    entry.timer = setTimeout(() => {
      this.held.delete(key);
      this.opts.logger.info({ ...entry.registration }, 'registered endpoint removed: its sidecar is gone');
      this.opts.onChange();
    }, this.opts.graceMs);
  }

  /** Every held registration (in its grace period too): what the model merges. */
  endpoints(): RegisteredEndpoint[] {
    return [...this.held.values()].map((h) => h.registration);
  }

  /** What the last merge made of each registration (sources/registered.ts). */
  setOutcomes(outcomes: Map<string, RegistrationOutcome>): void {
    this.lastOutcomes = outcomes;
  }

  /** What the last merge made of each registration, by registration key. */
  outcomes(): Map<string, RegistrationOutcome> {
    return this.lastOutcomes;
  }

  /** Every registration, sorted by service, lane, address; refused ones after. */
  views(): RegistrationView[] {
    const held = [...this.held.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, h]) => this.view(h));
    const refused = [...this.refused.values()].map((r) => ({ ...(r.registration ?? { service: '', lane: '', address: '' }), status: 'refused' as const, reason: r.reason, nodes: [r.nodeId] }));
    return [...held, ...refused];
  }

  /** The registration a stream made, if any. */
  forStream(streamId: number): RegistrationView | undefined {
    const refused = this.refused.get(streamId);
    if (refused) return { ...(refused.registration ?? { service: '', lane: '', address: '' }), status: 'refused', reason: refused.reason, nodes: [refused.nodeId] };
    const key = this.byStream.get(streamId);
    return key === undefined ? undefined : this.view(this.held.get(key)!);
  }

  close(): void {
    for (const entry of this.held.values()) clearTimeout(entry.timer);
  }

  private keep(entry: Held): void {
    clearTimeout(entry.timer);
    entry.timer = undefined;
    entry.removeAt = undefined;
  }

  private view(h: Held): RegistrationView {
    const outcome = this.lastOutcomes.get(registrationKey(h.registration));
    return {
      ...h.registration,
      status: outcome?.status ?? 'active',
      ...(outcome?.status === 'conflict' && { reason: outcome.reason }),
      nodes: [...new Set(h.streams.values())].sort(),
      ...(h.removeAt !== undefined && { removeAt: new Date(h.removeAt).toISOString() }),
    };
  }
}

// The JSON the API shows for a connected proxy: who it is, and per xDS type what was sent, acked or
// rejected, with istioctl proxy-status's vocabulary.
import { proxyTargetFromNode } from '../runtime/node-target.js';
import { syncState, type ProxyStatus, type ProxyStatusRegistry, type SyncState } from '../xds/proxy-status.js';
import { KIND_TYPE_URL, KIND_XDS_NAME, RESOURCE_KINDS, type ResourceKind } from './resources.js';
import type { DumpInput } from './config-dump.js';

export interface TypeView {
  typeUrl: string;
  status: SyncState;
  sentVersion: string | null;
  ackedVersion: string | null;
  /** Nonce of the latest response. */
  nonce: string | null;
  /** Envoy's error text when the latest response was rejected. */
  nackError: string | null;
  responsesSent: number;
  nacks: number;
  /** Resources in the latest response. */
  resources: number;
}

export interface ProxyView {
  id: string;
  cluster: string;
  kind: string | null;
  /** The service a sidecar fronts. */
  service: string | null;
  lane: string | null;
  replica: string;
  connectedAt: string;
  streamId: number;
  group: string;
  /** Keyed CDS, EDS, LDS, RDS. */
  types: Record<string, TypeView>;
}

function metadataText(p: ProxyStatus, key: string): string | null {
  const v = p.metadata[key];
  return typeof v === 'string' && v !== '' ? v : null;
}

function typeView(registry: ProxyStatusRegistry, p: ProxyStatus, kind: ResourceKind): TypeView {
  const typeUrl = KIND_TYPE_URL[kind];
  const s = p.perType[typeUrl];
  const c = registry.config(p.streamId, typeUrl);
  return {
    typeUrl,
    status: syncState(s),
    sentVersion: s?.sentVersion ?? null,
    ackedVersion: s?.ackedVersion ?? null,
    nonce: s?.sentNonce ?? null,
    nackError: s?.nackError ?? null,
    responsesSent: s?.responsesSent ?? 0,
    nacks: c?.nacks ?? 0,
    resources: c?.sent?.resources.length ?? 0,
  };
}

export function proxyView(registry: ProxyStatusRegistry, p: ProxyStatus, replica: string): ProxyView {
  const target = proxyTargetFromNode({ id: p.nodeId, cluster: p.cluster, metadata: p.metadata });
  const known = 'error' in target ? undefined : target;
  return {
    id: p.nodeId,
    cluster: p.cluster,
    kind: known?.kind ?? null,
    service: known?.service ?? null,
    lane: metadataText(p, 'laneway.lane'),
    replica,
    connectedAt: p.connectedAt.toISOString(),
    streamId: p.streamId,
    group: p.group,
    types: Object.fromEntries(RESOURCE_KINDS.map((k) => [KIND_XDS_NAME[k], typeView(registry, p, k)])),
  };
}

/** The newest stream of a node (a reconnecting Envoy may briefly have two). */
export function latestStream(registry: ProxyStatusRegistry, nodeId: string): ProxyStatus | undefined {
  return registry.forNode(nodeId).at(-1);
}

/** What to put in a config dump of one proxy: the latest response per type, or the acked one. */
export function dumpInput(registry: ProxyStatusRegistry, p: ProxyStatus, state: 'sent' | 'acked'): DumpInput {
  const input: DumpInput = {};
  for (const kind of RESOURCE_KINDS) {
    const typeUrl = KIND_TYPE_URL[kind];
    const c = registry.config(p.streamId, typeUrl);
    if (!c) continue;
    const shown = state === 'sent' ? c.sent : c.acked;
    const nackError = p.perType[typeUrl]?.nackError;
    input[kind] = {
      ...(shown && { shown }),
      ...(c.acked && { acked: c.acked }),
      ...(nackError !== undefined && { nackError }),
      ...(c.nackedVersion !== undefined && { nackedVersion: c.nackedVersion }),
    };
  }
  return input;
}

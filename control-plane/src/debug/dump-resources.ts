// Reads the dynamic resources out of a /config_dump JSON (Envoy's, or ours: same shape), per kind,
// by name, in a canonical form, so two dumps compare by meaning rather than by formatting.
import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { envoyJson, envoyRegistry } from '../envoy/registry.js';
import { KIND_SCHEMA, type ResourceKind } from './resources.js';

type Json = any;

export interface DumpedResource {
  name: string;
  /** Canonical JSON of the resource (endpoints: reduced to what Envoy reports back faithfully). */
  canonical: JsonValue;
  /** Envoy's listener or cluster is warming: received, not yet in use. */
  warming?: boolean;
}

export interface DumpedKind {
  /** Top-level version_info (LDS and CDS only). */
  version?: string;
  resources: Map<string, DumpedResource>;
  /** Resources Envoy rejected (its error_state without an active one), name -> Envoy's error details. */
  rejected: Map<string, string>;
}

const DUMP_TYPE: Record<ResourceKind, string> = {
  clusters: 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
  endpoints: 'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
  listeners: 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
  routes: 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
};

/** Through the protobuf schema and back, so "1s" and "1.000s", or key order, do not count. */
function canonicalResource(kind: ResourceKind, json: Json): JsonValue {
  const { '@type': _type, ...fields } = json ?? {};
  try {
    return envoyJson(KIND_SCHEMA[kind], fromJson(KIND_SCHEMA[kind], fields, { registry: envoyRegistry }) as never);
  } catch {
    return json as JsonValue; // a type we do not know: compared as printed
  }
}

function socketAddress(lb: Json): string {
  const sa = lb?.endpoint?.address?.socket_address ?? {};
  return `${sa.address}:${sa.port_value ?? sa.named_port ?? ''}`;
}

function nonEmpty(value: Json): Json | undefined {
  return value && typeof value === 'object' && Object.keys(value).length > 0 ? value : undefined;
}

/**
 * Envoy rebuilds the EDS dump from its host sets (adding health, weights, empty localities), so
 * endpoints compare as: per priority, each address with its metadata; plus the overprovisioning.
 */
function canonicalEndpoints(cla: Json): JsonValue {
  const endpoints: Json[] = [];
  for (const locality of cla?.endpoints ?? []) {
    for (const lb of locality.lb_endpoints ?? []) {
      const metadata = nonEmpty(lb.metadata?.filter_metadata);
      endpoints.push({ priority: locality.priority ?? 0, address: socketAddress(lb), ...(metadata && { metadata }) });
    }
  }
  endpoints.sort((a, b) => a.priority - b.priority || (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { cluster_name: cla?.cluster_name ?? '', endpoints, overprovisioning_factor: cla?.policy?.overprovisioning_factor ?? 140 };
}

function add(out: DumpedKind, kind: ResourceKind, name: string | undefined, json: Json, warming = false): void {
  if (typeof name !== 'string' || json === undefined) return;
  const canonical = kind === 'endpoints' ? canonicalEndpoints(json) : canonicalResource(kind, json);
  out.resources.set(name, { name, canonical, ...(warming && { warming }) });
}

function noteRejected(out: DumpedKind, name: string | undefined, entry: Json, present: boolean): void {
  if (!present && typeof name === 'string' && typeof entry?.error_state?.details === 'string') out.rejected.set(name, entry.error_state.details);
}

function readKind(kind: ResourceKind, config: Json, out: DumpedKind): void {
  switch (kind) {
    case 'listeners':
      for (const l of config.dynamic_listeners ?? []) {
        const state = l.active_state ?? l.warming_state;
        add(out, kind, l.name, state?.listener, !l.active_state && Boolean(l.warming_state));
        noteRejected(out, l.name, l, Boolean(state));
      }
      break;
    case 'clusters':
      for (const c of config.dynamic_active_clusters ?? []) {
        add(out, kind, c.cluster?.name, c.cluster);
        noteRejected(out, c.error_state?.failed_configuration?.name, c, Boolean(c.cluster));
      }
      for (const c of config.dynamic_warming_clusters ?? []) add(out, kind, c.cluster?.name, c.cluster, true);
      break;
    case 'routes':
      for (const r of config.dynamic_route_configs ?? []) {
        add(out, kind, r.route_config?.name, r.route_config);
        noteRejected(out, r.error_state?.failed_configuration?.name, r, Boolean(r.route_config));
      }
      break;
    case 'endpoints':
      for (const e of config.dynamic_endpoint_configs ?? []) add(out, kind, e.endpoint_config?.cluster_name, e.endpoint_config);
      break;
  }
}

/** Per kind present in the dump, its dynamic resources; a kind absent from the dump is absent here. */
export function dumpedResources(dump: Json): Partial<Record<ResourceKind, DumpedKind>> {
  const out: Partial<Record<ResourceKind, DumpedKind>> = {};
  for (const config of dump?.configs ?? []) {
    const kind = (Object.keys(DUMP_TYPE) as ResourceKind[]).find((k) => DUMP_TYPE[k] === config?.['@type']);
    if (!kind) continue;
    const entry: DumpedKind = { resources: new Map(), rejected: new Map(), ...(typeof config.version_info === 'string' && { version: config.version_info }) };
    readKind(kind, config, entry);
    out[kind] = entry;
  }
  return out;
}

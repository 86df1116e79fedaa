// Differences between what the control plane sent a proxy (our config dump) and what the live
// Envoy runs (its admin /config_dump?include_eds), dynamic resources only.
import type { JsonValue } from '@bufbuild/protobuf';
import { dumpedResources, type DumpedKind } from './dump-resources.js';
import { KIND_XDS_NAME, RESOURCE_KINDS, type ResourceKind } from './resources.js';

export interface FieldDifference {
  path: string;
  ours?: JsonValue;
  envoy?: JsonValue;
}

export interface Difference {
  kind: ResourceKind;
  /** Resource name; empty for a version difference. */
  name: string;
  change: 'missing in envoy' | 'only in envoy' | 'different' | 'warming in envoy' | 'version';
  fields?: FieldDifference[];
  /** Why, when known: e.g. the proxy NACKed this type, with Envoy's error. */
  note?: string;
}

/** Per kind, what the proxy status says (from GET /v1/proxies/:id), to explain differences. */
export type KindStatus = Partial<Record<ResourceKind, { status: string; nackError?: string | null }>>;

const MAX_FIELDS = 20;

function isObject(v: JsonValue | undefined): v is { [k: string]: JsonValue } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Leaf-level differences, paths like `virtual_hosts[1].routes[0].route.cluster`. */
export function jsonDifferences(ours: JsonValue | undefined, envoy: JsonValue | undefined, path = '', out: FieldDifference[] = []): FieldDifference[] {
  if (out.length >= MAX_FIELDS) return out;
  if (Array.isArray(ours) && Array.isArray(envoy)) {
    for (let i = 0; i < Math.max(ours.length, envoy.length); i++) jsonDifferences(ours[i], envoy[i], `${path}[${i}]`, out);
  } else if (isObject(ours) && isObject(envoy)) {
    for (const key of [...new Set([...Object.keys(ours), ...Object.keys(envoy)])].sort()) {
      jsonDifferences(ours[key], envoy[key], path ? `${path}.${key}` : key, out);
    }
  } else if (JSON.stringify(ours) !== JSON.stringify(envoy)) {
    out.push({ path: path || '.', ...(ours !== undefined && { ours }), ...(envoy !== undefined && { envoy }) });
  }
  return out;
}

function noteFor(kind: ResourceKind, status: KindStatus | undefined): string | undefined {
  const s = status?.[kind];
  if (!s) return undefined;
  if (s.nackError) return `${KIND_XDS_NAME[kind]} NACKED: ${s.nackError}`;
  if (s.status === 'STALE') return `${KIND_XDS_NAME[kind]} sent, not yet acked`;
  return undefined;
}

function diffKind(kind: ResourceKind, ours: DumpedKind, envoy: DumpedKind | undefined, note: string | undefined): Difference[] {
  const withNote = (d: Difference): Difference => (note ? { ...d, note } : d);
  const out: Difference[] = [];
  const theirs = envoy?.resources ?? new Map();
  if ((kind === 'listeners' || kind === 'clusters') && ours.version !== undefined && ours.version !== envoy?.version) {
    out.push(withNote({ kind, name: '', change: 'version', fields: [{ path: 'version_info', ours: ours.version, ...(envoy?.version !== undefined && { envoy: envoy.version }) }] }));
  }
  for (const name of [...new Set([...ours.resources.keys(), ...theirs.keys()])].sort()) {
    const mine = ours.resources.get(name);
    const live = theirs.get(name);
    const rejected = envoy?.rejected.get(name);
    if (!live) out.push(rejected === undefined ? withNote({ kind, name, change: 'missing in envoy' }) : { kind, name, change: 'missing in envoy', note: `Envoy rejected it: ${rejected}` });
    else if (!mine) out.push(withNote({ kind, name, change: 'only in envoy' }));
    else if (live.warming) out.push(withNote({ kind, name, change: 'warming in envoy' }));
    else {
      const fields = jsonDifferences(mine.canonical, live.canonical);
      if (fields.length > 0) out.push(withNote({ kind, name, change: 'different', fields }));
    }
  }
  return out;
}

/** Differences for every kind our dump holds; an empty list means Envoy runs what we sent. */
export function diffConfigDumps(ours: unknown, envoy: unknown, status?: KindStatus): Difference[] {
  const mine = dumpedResources(ours);
  const theirs = dumpedResources(envoy);
  return RESOURCE_KINDS.flatMap((kind) => {
    const k = mine[kind];
    return k ? diffKind(kind, k, theirs[kind], noteFor(kind, status)) : [];
  });
}

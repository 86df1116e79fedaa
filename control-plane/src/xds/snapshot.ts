// An immutable, versioned set of resources for one proxy group, each encoded as google.protobuf.Any
// once. Versions are content hashes, so every replica and every restart computes the same ones.
import { createHash, hash } from 'node:crypto';
import type { CachedResource } from './cached-resource.js';
import { ComposedResources } from './composed-resources.js';
import { PUSH_ORDER } from './type-urls.js';
import { fieldSize } from '../envoy/field-writer.js';

export interface ResourceInput {
  name: string;
  typeUrl: string;
  /** The serialized resource message, not Any. */
  value: Uint8Array;
}

export type { CachedResource } from './cached-resource.js';

export interface TypeSnapshot {
  /**
   * sha256 over `${name}\n${version}\n` of each resource, sorted by name, first 16 hex digits; where
   * bundles take part, over the group's own resources' lines followed by one line per bundle.
   */
  readonly version: string;
  /** Iterated in name order. */
  readonly resources: ComposedResources;
}

export interface Snapshot {
  readonly group: string;
  /** Always holds the four xDS types (possibly empty), plus any other type that was given. */
  readonly types: ReadonlyMap<string, TypeSnapshot>;
}

export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** Wraps a serialized resource in a serialized Any. */
export type AnyEncoder = (typeUrl: string, value: Uint8Array) => Uint8Array;

const VERSION_LENGTH = 16;

// crypto.hash (Node >= 20.12) is the one-shot form, about twice as fast for small resources.
const sha256Hex: (data: Uint8Array | string) => string =
  typeof hash === 'function' ? (data) => hash('sha256', data, 'hex') : (data) => createHash('sha256').update(data).digest('hex');

function shortSha256(data: Uint8Array | string): string {
  return sha256Hex(data).slice(0, VERSION_LENGTH);
}

export function resourceVersion(value: Uint8Array): string {
  return shortSha256(value);
}

/**
 * A cached resource whose version is hashed when first read. A full rebuild caches about 40,000
 * resources, and a hash call each cost a tenth of the rebuild; SotW streams never read them, delta
 * streams read those they send. The value is the tail of the Any bytes, so it is not held twice.
 */
class VersionedOnRead implements CachedResource {
  #version: string | undefined;
  constructor(
    readonly name: string,
    readonly anyBytes: Uint8Array,
  ) {
    Object.freeze(this);
  }

  get version(): string {
    if (this.#version === undefined) this.#version = resourceVersion(anyValue(this.anyBytes));
    return this.#version;
  }
}

/** The value field of a serialized Any, as encodeAny writes it (type_url, then value). */
function anyValue(any: Uint8Array): Uint8Array {
  let pos = 1;
  let typeUrlLength = 0;
  for (let shift = 1; ; shift *= 128) {
    const byte = any[pos++]!;
    typeUrlLength += (byte & 0x7f) * shift;
    if (byte < 0x80) break;
  }
  pos += typeUrlLength;
  if (pos >= any.byteLength) return any.subarray(pos);
  pos++; // the value's tag
  while (any[pos++]! >= 0x80);
  return any.subarray(pos);
}

/** `resources` must be sorted by name. */
export function typeVersion(resources: Iterable<{ name: string; version: string }>): string {
  let text = '';
  for (const r of resources) text += `${r.name}\n${r.version}\n`;
  return shortSha256(text);
}

function byNameThenType(a: ResourceInput, b: ResourceInput): number {
  if (a.typeUrl !== b.typeUrl) return a.typeUrl < b.typeUrl ? -1 : 1;
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function checkInput(where: string, input: ResourceInput, seen: Set<string>): void {
  if (!input.typeUrl) throw new SnapshotError(`${where}: resource "${input.name}" has no typeUrl`);
  if (!input.name) throw new SnapshotError(`${where}: a ${input.typeUrl} resource has an empty name`);
  if (!(input.value instanceof Uint8Array)) {
    throw new SnapshotError(`${where}: ${input.typeUrl} "${input.name}": value must be the serialized message (Uint8Array)`);
  }
  const key = `${input.typeUrl}\n${input.name}`;
  if (seen.has(key)) throw new SnapshotError(`${where}: duplicate ${input.typeUrl} resource "${input.name}"`);
  seen.add(key);
}

/** Finds an already cached resource of that type and name (e.g. another group's), to reuse if equal. */
export type CachedLookup = (typeUrl: string, name: string) => CachedResource | undefined;

const typeUrlLengths = new Map<string, number>();

/** Whether `cached` wraps exactly `value` (Any = type_url field, then value field: compare the tail). */
export function wrapsValue(cached: CachedResource, typeUrl: string, value: Uint8Array): boolean {
  let typeUrlLength = typeUrlLengths.get(typeUrl);
  if (typeUrlLength === undefined) typeUrlLengths.set(typeUrl, (typeUrlLength = Buffer.byteLength(typeUrl, 'utf8')));
  const any = cached.anyBytes;
  if (any.byteLength !== fieldSize(typeUrlLength) + fieldSize(value.byteLength)) return false;
  const tail = Buffer.from(any.buffer, any.byteOffset + any.byteLength - value.byteLength, value.byteLength);
  return tail.equals(value);
}

/** Reuses `before` or `elsewhere` when it wraps exactly `value`; otherwise hashes and wraps it (and `onNew` hears of it). */
function cachedFor(
  input: ResourceInput,
  before: CachedResource | undefined,
  lookup: CachedLookup | undefined,
  encodeAny: AnyEncoder,
  onNew: ((typeUrl: string, resource: CachedResource) => void) | undefined,
): CachedResource {
  const { typeUrl, name, value } = input;
  if (before && wrapsValue(before, typeUrl, value)) return before;
  const elsewhere = lookup?.(typeUrl, name);
  if (elsewhere && wrapsValue(elsewhere, typeUrl, value)) return elsewhere;
  const cached: CachedResource = new VersionedOnRead(name, encodeAny(typeUrl, value));
  onNew?.(typeUrl, cached);
  return cached;
}

/**
 * Resources of one type that many groups hold as a whole (one service's clusters, say). Handing
 * the same bundle object to many groups costs one entry per group: it is cached once. Names in
 * different bundles never collide: each name starts with the bundle's `namespace` and "~", and a
 * namespace holds no "~" and appears once per type in a snapshot.
 */
export interface ResourceBundle {
  readonly typeUrl: string;
  readonly namespace: string;
  readonly resources: readonly ResourceInput[];
}

/** A bundle hashed and wrapped: its resources by name, in name order. */
export interface CachedBundle {
  readonly typeUrl: string;
  readonly namespace: string;
  /** contentVersion of its resources. */
  readonly version: string;
  readonly byName: ReadonlyMap<string, CachedResource>;
}

/** Caches a bundle's resources (reusing equal ones, like buildSnapshot); throws SnapshotError on a bad name. */
export function cacheBundle(
  bundle: ResourceBundle,
  previous: CachedBundle | undefined,
  encodeAny: AnyEncoder,
  lookup?: CachedLookup,
  onNew?: (typeUrl: string, resource: CachedResource) => void,
): CachedBundle {
  const { typeUrl, namespace } = bundle;
  const where = `bundle "${namespace}" of ${typeUrl}`;
  if (!namespace || namespace.includes('~')) throw new SnapshotError(`${where}: the namespace must be non-empty and hold no "~"`);
  const prefix = `${namespace}~`;
  const list: CachedResource[] = [];
  const seen = new Set<string>();
  for (const input of [...bundle.resources].sort(byNameThenType)) {
    if (input.typeUrl !== typeUrl) throw new SnapshotError(`${where}: resource "${input.name}" is a ${input.typeUrl}`);
    if (!input.name.startsWith(prefix)) throw new SnapshotError(`${where}: resource "${input.name}" does not start with "${prefix}"`);
    checkInput(where, input, seen);
    list.push(cachedFor(input, previous?.byName.get(input.name), lookup, encodeAny, onNew));
  }
  return Object.freeze({ typeUrl, namespace, version: contentVersion(list), byName: new Map(list.map((r) => [r.name, r])) });
}

/**
 * A bundle's version, from its resources' bytes in one hash call rather than one per resource:
 * sha256 over "name\nlength\n" of each resource (length: the serialized resource's bytes), then
 * each serialized resource, all in name order; first 16 hex digits.
 */
function contentVersion(list: readonly CachedResource[]): string {
  const values = list.map((r) => anyValue(r.anyBytes));
  let header = '';
  let valuesLength = 0;
  list.forEach((r, i) => {
    header += `${r.name}\n${values[i]!.byteLength}\n`;
    valuesLength += values[i]!.byteLength;
  });
  const headerLength = Buffer.byteLength(header, 'utf8');
  const all = Buffer.allocUnsafe(headerLength + valuesLength);
  let pos = all.write(header, 0, headerLength, 'utf8');
  for (const value of values) {
    all.set(value, pos);
    pos += value.byteLength;
  }
  return shortSha256(all);
}

/**
 * Builds a snapshot from a group's own resources and the cached bundles it shares. A resource
 * whose bytes equal a cached one (from `previous`, or found by `lookup`, e.g. in another group)
 * reuses it: same version, same Any bytes object, no hashing or encoding. Only new content is
 * hashed and wrapped, and `onNew` hears of it.
 */
export function buildSnapshot(
  group: string,
  inputs: readonly ResourceInput[],
  previous: Snapshot | undefined,
  encodeAny: AnyEncoder,
  lookup?: CachedLookup,
  onNew?: (typeUrl: string, resource: CachedResource) => void,
  bundles: readonly CachedBundle[] = [],
): Snapshot {
  const where = `snapshot for group "${group}"`;
  const seen = new Set<string>();
  for (const input of inputs) checkInput(where, input, seen);
  const byType = new Map<string, CachedResource[]>(PUSH_ORDER.map((t) => [t, []]));
  for (const input of [...inputs].sort(byNameThenType)) {
    const before = previous?.types.get(input.typeUrl)?.resources.get(input.name);
    let list = byType.get(input.typeUrl);
    if (!list) byType.set(input.typeUrl, (list = []));
    list.push(cachedFor(input, before, lookup, encodeAny, onNew));
  }
  const bundlesByType = new Map<string, CachedBundle[]>();
  for (const bundle of [...bundles].sort((a, b) => (a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0))) {
    let list = bundlesByType.get(bundle.typeUrl);
    if (!list) bundlesByType.set(bundle.typeUrl, (list = []));
    if (list.at(-1)?.namespace === bundle.namespace) throw new SnapshotError(`${where}: two ${bundle.typeUrl} bundles "${bundle.namespace}"`);
    list.push(bundle);
    if (!byType.has(bundle.typeUrl)) byType.set(bundle.typeUrl, []);
  }
  const types = new Map<string, TypeSnapshot>();
  for (const [typeUrl, list] of byType) {
    const own = new Map(list.map((r) => [r.name, r]));
    const shared = bundlesByType.get(typeUrl) ?? [];
    for (const bundle of shared) {
      for (const name of own.keys()) if (bundle.byName.has(name)) throw new SnapshotError(`${where}: duplicate ${typeUrl} resource "${name}"`);
    }
    const version = shared.length === 0 ? typeVersion(list) : composedVersion(list, shared);
    types.set(typeUrl, Object.freeze({ version, resources: new ComposedResources(own, shared) }));
  }
  return Object.freeze({ group, types });
}

/** The type version when bundles take part: each bundle counts as one line with its own version. */
function composedVersion(own: readonly CachedResource[], bundles: readonly CachedBundle[]): string {
  let text = '';
  for (const r of own) text += `${r.name}\n${r.version}\n`;
  for (const b of bundles) text += `${b.namespace}~*\n${b.version}\n`;
  return shortSha256(text);
}

/** Type URLs whose version differs between two snapshots (a type present in only one counts). */
export function changedTypes(before: Snapshot | undefined, after: Snapshot): string[] {
  const all = new Set([...(before?.types.keys() ?? []), ...after.types.keys()]);
  return [...all].filter((t) => before?.types.get(t)?.version !== after.types.get(t)?.version);
}

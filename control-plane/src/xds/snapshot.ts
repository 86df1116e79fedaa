// An immutable, versioned set of resources for one proxy group, each encoded as google.protobuf.Any
// once. Versions are content hashes, so every replica and every restart computes the same ones.
import { createHash, hash } from 'node:crypto';
import { PUSH_ORDER } from './type-urls.js';
import { fieldSize } from '../envoy/field-writer.js';

export interface ResourceInput {
  name: string;
  typeUrl: string;
  /** The serialized resource message, not Any. */
  value: Uint8Array;
}

export interface CachedResource {
  readonly name: string;
  /** sha256 of the serialized resource, first 16 hex digits. */
  readonly version: string;
  /** The resource wrapped in google.protobuf.Any, serialized; shared by every stream. */
  readonly anyBytes: Uint8Array;
}

export interface TypeSnapshot {
  /** sha256 over `${name}\n${version}\n` of each resource, sorted by name; first 16 hex digits. */
  readonly version: string;
  /** Sorted by name. */
  readonly resources: ReadonlyMap<string, CachedResource>;
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

function checkInput(group: string, input: ResourceInput, seen: Set<string>): void {
  const where = `snapshot for group "${group}"`;
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

/**
 * Builds a snapshot. A resource whose bytes equal a cached one (from `previous`, or found by
 * `lookup`, e.g. in another group) reuses it: same version, same Any bytes object, no hashing or
 * encoding. Only new content is hashed and wrapped, and `onNew` hears of it.
 */
export function buildSnapshot(
  group: string,
  inputs: readonly ResourceInput[],
  previous: Snapshot | undefined,
  encodeAny: AnyEncoder,
  lookup?: CachedLookup,
  onNew?: (typeUrl: string, resource: CachedResource) => void,
): Snapshot {
  const seen = new Set<string>();
  for (const input of inputs) checkInput(group, input, seen);
  const byType = new Map<string, CachedResource[]>(PUSH_ORDER.map((t) => [t, []]));
  for (const input of [...inputs].sort(byNameThenType)) {
    const { typeUrl, name, value } = input;
    const before = previous?.types.get(typeUrl)?.resources.get(name);
    const elsewhere = lookup?.(typeUrl, name);
    let cached = before && wrapsValue(before, typeUrl, value) ? before : elsewhere && wrapsValue(elsewhere, typeUrl, value) ? elsewhere : undefined;
    if (!cached) {
      cached = Object.freeze({ name, version: resourceVersion(value), anyBytes: encodeAny(typeUrl, value) });
      onNew?.(typeUrl, cached);
    }
    let list = byType.get(input.typeUrl);
    if (!list) byType.set(input.typeUrl, (list = []));
    list.push(cached);
  }
  const types = new Map<string, TypeSnapshot>();
  for (const [typeUrl, list] of byType) {
    const resources = new Map(list.map((r) => [r.name, r]));
    types.set(typeUrl, Object.freeze({ version: typeVersion(list), resources }));
  }
  return Object.freeze({ group, types });
}

/** Type URLs whose version differs between two snapshots (a type present in only one counts). */
export function changedTypes(before: Snapshot | undefined, after: Snapshot): string[] {
  const all = new Set([...(before?.types.keys() ?? []), ...after.types.keys()]);
  return [...all].filter((t) => before?.types.get(t)?.version !== after.types.get(t)?.version);
}

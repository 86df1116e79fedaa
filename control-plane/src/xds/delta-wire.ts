// DeltaDiscoveryResponse wire bytes from cached resources. Each resource's
// envoy.service.discovery.v3.Resource message (name, version, Any) is encoded once per cached
// resource and shared by every delta stream; a response only adds the per-stream fields.
import type { CachedResource } from './snapshot.js';
import { FieldWriter, fieldSize } from '../envoy/field-writer.js';
import type { EncodedResponse } from './response-buffers.js';

export interface DeltaResponseParts {
  /** For debugging only (Envoy logs it); we send the type's snapshot version. */
  systemVersionInfo: string;
  resources: readonly CachedResource[];
  removedResources: readonly string[];
  typeUrl: string;
  nonce: string;
  controlPlaneId?: string;
}

// Tags (field number << 3 | wire type 2) of envoy.service.discovery.v3.DeltaDiscoveryResponse.
const SYSTEM_VERSION_INFO = (1 << 3) | 2;
const RESOURCES = (2 << 3) | 2;
const TYPE_URL = (4 << 3) | 2;
const NONCE = (5 << 3) | 2;
const REMOVED_RESOURCES = (6 << 3) | 2;
const CONTROL_PLANE = (7 << 3) | 2;
// envoy.service.discovery.v3.Resource and envoy.config.core.v3.ControlPlane.
const RESOURCE_VERSION = (1 << 3) | 2;
const RESOURCE_ANY = (2 << 3) | 2;
const RESOURCE_NAME = (3 << 3) | 2;
const CONTROL_PLANE_IDENTIFIER = (1 << 3) | 2;

const resourceBytes = new WeakMap<CachedResource, Uint8Array>();
let resourceEncodes = 0;

/** How many Resource messages were encoded so far (once per cached resource, whatever the stream count). */
export function deltaResourceEncodeCount(): number {
  return resourceEncodes;
}

/** The serialized Resource message for a cached resource; computed on first use, then shared. */
export function deltaResourceBytes(resource: CachedResource): Uint8Array {
  let bytes = resourceBytes.get(resource);
  if (bytes) return bytes;
  const nameLength = Buffer.byteLength(resource.name, 'utf8');
  const versionLength = Buffer.byteLength(resource.version, 'utf8');
  const size = fieldSize(versionLength) + fieldSize(resource.anyBytes.byteLength) + fieldSize(nameLength);
  const w = new FieldWriter(Buffer.allocUnsafe(size));
  w.string(RESOURCE_VERSION, resource.version, versionLength);
  w.bytes(RESOURCE_ANY, resource.anyBytes);
  w.string(RESOURCE_NAME, resource.name, nameLength);
  bytes = w.buf;
  resourceBytes.set(resource, bytes);
  resourceEncodes++;
  return bytes;
}

function stringsSize(values: readonly string[], lengths: number[]): number {
  let size = 0;
  for (const v of values) {
    const length = Buffer.byteLength(v, 'utf8');
    lengths.push(length);
    size += fieldSize(length);
  }
  return size;
}

export function encodeDeltaDiscoveryResponse(parts: DeltaResponseParts, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const versionLength = Buffer.byteLength(parts.systemVersionInfo, 'utf8');
  const typeUrlLength = Buffer.byteLength(parts.typeUrl, 'utf8');
  const nonceLength = Buffer.byteLength(parts.nonce, 'utf8');
  const cpId = parts.controlPlaneId ?? '';
  const cpIdLength = Buffer.byteLength(cpId, 'utf8');
  const cpLength = cpIdLength > 0 ? fieldSize(cpIdLength) : 0;
  const encoded = parts.resources.map(deltaResourceBytes);
  const removedLengths: number[] = [];
  let size = (versionLength > 0 ? fieldSize(versionLength) : 0) + fieldSize(typeUrlLength) + fieldSize(nonceLength);
  for (const r of encoded) size += fieldSize(r.byteLength);
  size += stringsSize(parts.removedResources, removedLengths);
  if (cpLength > 0) size += fieldSize(cpLength);

  const w = new FieldWriter(alloc(size));
  if (versionLength > 0) w.string(SYSTEM_VERSION_INFO, parts.systemVersionInfo, versionLength);
  for (const r of encoded) w.bytes(RESOURCES, r);
  w.string(TYPE_URL, parts.typeUrl, typeUrlLength);
  w.string(NONCE, parts.nonce, nonceLength);
  parts.removedResources.forEach((name, i) => w.string(REMOVED_RESOURCES, name, removedLengths[i]!));
  if (cpLength > 0) {
    w.buf[w.pos++] = CONTROL_PLANE;
    w.varint(cpLength);
    w.string(CONTROL_PLANE_IDENTIFIER, cpId, cpIdLength);
  }
  if (w.pos !== size) throw new Error(`DeltaDiscoveryResponse encoding wrote ${w.pos} bytes, expected ${size}`);
  return w.buf;
}

/** A DeltaDiscoveryResponse encoded when the transport serializes it (response-buffers.ts). */
export class DeltaDiscoveryResponseBytes implements EncodedResponse {
  constructor(readonly parts: DeltaResponseParts) {}

  encode(alloc: (size: number) => Buffer): Buffer {
    return encodeDeltaDiscoveryResponse(this.parts, alloc);
  }
}

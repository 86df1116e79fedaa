// DeltaDiscoveryResponse wire bytes from cached resources. Each resource's
// envoy.service.discovery.v3.Resource message (name, version, Any) is encoded once per cached
// resource and shared by every delta stream; a response only adds the per-stream fields.
import type { CachedResource } from './snapshot.js';
import { FieldWriter, fieldSize } from '../envoy/field-writer.js';
import type { EncodedResponse } from './response-buffers.js';
import { ResponseEnvelope, checkWritten } from './wire.js';

export interface DeltaResponseParts {
  /** For debugging only (Envoy logs it); we send the type's snapshot version. */
  systemVersionInfo: string;
  resources: readonly CachedResource[];
  removedResources: readonly string[];
  typeUrl: string;
  nonce: string;
  controlPlaneId?: string;
}

// Tags (field number << 3 | wire type 2) of envoy.service.discovery.v3.DeltaDiscoveryResponse
// (system_version_info, type_url and nonce: ResponseEnvelope).
const RESOURCES = (2 << 3) | 2;
const REMOVED_RESOURCES = (6 << 3) | 2;
const CONTROL_PLANE = (7 << 3) | 2;
// envoy.service.discovery.v3.Resource.
const RESOURCE_VERSION = (1 << 3) | 2;
const RESOURCE_ANY = (2 << 3) | 2;
const RESOURCE_NAME = (3 << 3) | 2;

const resourceBytes = new WeakMap<CachedResource, Uint8Array>();
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
  const envelope = new ResponseEnvelope(parts.systemVersionInfo, parts.typeUrl, parts.nonce, parts.controlPlaneId ?? '', CONTROL_PLANE);
  const encoded = parts.resources.map(deltaResourceBytes);
  const removedLengths: number[] = [];
  let size = envelope.size + stringsSize(parts.removedResources, removedLengths);
  for (const r of encoded) size += fieldSize(r.byteLength);
  const w = new FieldWriter(alloc(size));
  envelope.writeVersion(w);
  for (const r of encoded) w.bytes(RESOURCES, r);
  envelope.writeTypeUrlAndNonce(w);
  parts.removedResources.forEach((name, i) => w.string(REMOVED_RESOURCES, name, removedLengths[i]!));
  envelope.writeControlPlane(w);
  return checkWritten(w, size, 'DeltaDiscoveryResponse');
}

/** A DeltaDiscoveryResponse encoded when the transport serializes it (response-buffers.ts). */
export class DeltaDiscoveryResponseBytes implements EncodedResponse {
  constructor(readonly parts: DeltaResponseParts) {}

  encode(alloc: (size: number) => Buffer): Buffer {
    return encodeDeltaDiscoveryResponse(this.parts, alloc);
  }
}

// DiscoveryResponse wire bytes built from already-encoded Any resources: one exact-size buffer,
// the cached resources copied in, never re-serialized, whatever the number of streams.
import { FieldWriter, fieldSize } from '../envoy/field-writer.js';
import type { EncodedResponse } from './response-buffers.js';

export interface ResponseParts {
  versionInfo: string;
  /** Serialized google.protobuf.Any messages, as cached. */
  resources: readonly Uint8Array[];
  typeUrl: string;
  nonce: string;
  /** ControlPlane.identifier, so a proxy's config dump names the replica that answered. */
  controlPlaneId?: string;
}

// Tags (field number << 3 | wire type 2) of envoy.service.discovery.v3.DiscoveryResponse fields.
const VERSION_INFO = (1 << 3) | 2;
const RESOURCES = (2 << 3) | 2;
const TYPE_URL = (4 << 3) | 2;
const NONCE = (5 << 3) | 2;
const CONTROL_PLANE = (6 << 3) | 2;
const CONTROL_PLANE_IDENTIFIER = (1 << 3) | 2; // envoy.config.core.v3.ControlPlane.identifier


export function encodeDiscoveryResponse(parts: ResponseParts, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const versionLength = Buffer.byteLength(parts.versionInfo, 'utf8');
  const typeUrlLength = Buffer.byteLength(parts.typeUrl, 'utf8');
  const nonceLength = Buffer.byteLength(parts.nonce, 'utf8');
  const cpId = parts.controlPlaneId ?? '';
  const cpIdLength = Buffer.byteLength(cpId, 'utf8');
  const cpLength = cpIdLength > 0 ? fieldSize(cpIdLength) : 0;
  let size = (versionLength > 0 ? fieldSize(versionLength) : 0) + fieldSize(typeUrlLength) + fieldSize(nonceLength);
  for (const any of parts.resources) size += fieldSize(any.byteLength);
  if (cpLength > 0) size += fieldSize(cpLength);

  const w = new FieldWriter(alloc(size));
  if (versionLength > 0) w.string(VERSION_INFO, parts.versionInfo, versionLength);
  for (const any of parts.resources) w.bytes(RESOURCES, any);
  w.string(TYPE_URL, parts.typeUrl, typeUrlLength);
  w.string(NONCE, parts.nonce, nonceLength);
  if (cpLength > 0) {
    w.buf[w.pos++] = CONTROL_PLANE;
    w.varint(cpLength);
    w.string(CONTROL_PLANE_IDENTIFIER, cpId, cpIdLength);
  }
  if (w.pos !== size) throw new Error(`DiscoveryResponse encoding wrote ${w.pos} bytes, expected ${size}`);
  return w.buf;
}

/** A DiscoveryResponse encoded when the transport serializes it (response-buffers.ts). */
export class DiscoveryResponseBytes implements EncodedResponse {
  constructor(readonly parts: ResponseParts) {}

  encode(alloc: (size: number) => Buffer): Buffer {
    return encodeDiscoveryResponse(this.parts, alloc);
  }
}

// google.protobuf.Any: type_url = 1, value = 2.
const ANY_TYPE_URL = (1 << 3) | 2;
const ANY_VALUE = (2 << 3) | 2;

/** The type_url field of an Any, encoded once per type URL: four type URLs wrap every resource. */
const typeUrlFields = new Map<string, Uint8Array>();

function typeUrlField(typeUrl: string): Uint8Array {
  let field = typeUrlFields.get(typeUrl);
  if (field === undefined) {
    const length = Buffer.byteLength(typeUrl, 'utf8');
    const w = new FieldWriter(Buffer.alloc(fieldSize(length)));
    w.string(ANY_TYPE_URL, typeUrl, length);
    // Bounded by the type URLs a caller names, which is the handful xDS serves.
    if (typeUrlFields.size < 64) typeUrlFields.set(typeUrl, (field = w.buf));
    else return w.buf;
  }
  return field;
}

/** A serialized google.protobuf.Any wrapping an already-serialized message. */
export function encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
  const prefix = typeUrlField(typeUrl);
  const size = prefix.byteLength + fieldSize(value.byteLength);
  const w = new FieldWriter(Buffer.allocUnsafe(size));
  w.buf.set(prefix, 0);
  w.pos = prefix.byteLength;
  w.bytes(ANY_VALUE, value);
  // A plain Uint8Array, like the generated code's output: cached bytes compare equal to decoded ones.
  return new Uint8Array(w.buf.buffer, w.buf.byteOffset, w.buf.byteLength);
}

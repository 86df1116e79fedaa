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
const CONTROL_PLANE = (6 << 3) | 2;
// The same numbers in DiscoveryResponse and DeltaDiscoveryResponse.
const TYPE_URL = (4 << 3) | 2;
const NONCE = (5 << 3) | 2;
const CONTROL_PLANE_IDENTIFIER = (1 << 3) | 2; // envoy.config.core.v3.ControlPlane.identifier

/**
 * The fields a DiscoveryResponse and a DeltaDiscoveryResponse both carry around their resources:
 * the (system) version (field 1), type_url (4), nonce (5) and control_plane, whose field number
 * differs. Sizes are measured once, then the fields are written in field order around the rest.
 */
export class ResponseEnvelope {
  /** Bytes of every envelope field together. */
  readonly size: number;
  private readonly versionLength: number;
  private readonly typeUrlLength: number;
  private readonly nonceLength: number;
  private readonly cpIdLength: number;
  private readonly cpLength: number;

  constructor(
    private readonly version: string,
    private readonly typeUrl: string,
    private readonly nonce: string,
    private readonly controlPlaneId: string,
    private readonly controlPlaneTag: number,
  ) {
    this.versionLength = Buffer.byteLength(version, 'utf8');
    this.typeUrlLength = Buffer.byteLength(typeUrl, 'utf8');
    this.nonceLength = Buffer.byteLength(nonce, 'utf8');
    this.cpIdLength = Buffer.byteLength(controlPlaneId, 'utf8');
    this.cpLength = this.cpIdLength > 0 ? fieldSize(this.cpIdLength) : 0;
    this.size = (this.versionLength > 0 ? fieldSize(this.versionLength) : 0) + fieldSize(this.typeUrlLength) + fieldSize(this.nonceLength) + (this.cpLength > 0 ? fieldSize(this.cpLength) : 0);
  }

  /** Field 1, first. */
  writeVersion(w: FieldWriter): void {
    if (this.versionLength > 0) w.string(VERSION_INFO, this.version, this.versionLength);
  }

  /** type_url and nonce, after the resources. */
  writeTypeUrlAndNonce(w: FieldWriter): void {
    w.string(TYPE_URL, this.typeUrl, this.typeUrlLength);
    w.string(NONCE, this.nonce, this.nonceLength);
  }

  /** control_plane, last. */
  writeControlPlane(w: FieldWriter): void {
    if (this.cpLength === 0) return;
    w.buf[w.pos++] = this.controlPlaneTag;
    w.varint(this.cpLength);
    w.string(CONTROL_PLANE_IDENTIFIER, this.controlPlaneId, this.cpIdLength);
  }
}

/** Throws unless the writer filled exactly the size it was given (a wrong size would send corrupt bytes). */
export function checkWritten(w: FieldWriter, size: number, message: string): Buffer {
  if (w.pos !== size) throw new Error(`${message} encoding wrote ${w.pos} bytes, expected ${size}`);
  return w.buf;
}

export function encodeDiscoveryResponse(parts: ResponseParts, alloc: (size: number) => Buffer = Buffer.allocUnsafe): Buffer {
  const envelope = new ResponseEnvelope(parts.versionInfo, parts.typeUrl, parts.nonce, parts.controlPlaneId ?? '', CONTROL_PLANE);
  let size = envelope.size;
  for (const any of parts.resources) size += fieldSize(any.byteLength);
  const w = new FieldWriter(alloc(size));
  envelope.writeVersion(w);
  for (const any of parts.resources) w.bytes(RESOURCES, any);
  envelope.writeTypeUrlAndNonce(w);
  envelope.writeControlPlane(w);
  return checkWritten(w, size, 'DiscoveryResponse');
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

// Responses are encoded when grpc-js serializes them, into one buffer shared by every stream, one
// response at a time. grpc-js copies each serialized message into a framed buffer of its own at
// once (server-interceptors.js serializeMessage: serialize, allocate, copy, nothing in between), so
// a response's own bytes are garbage the moment they are serialized. A fresh buffer per response
// made two external allocations per response instead of one; at 10,000 streams every major GC in
// a traced run of 50 lane creates was started by external memory pressure (ADR 0013).

/** Something the transport turns into bytes when it sends it. */
export interface EncodedResponse {
  /** The serialized message, written into a buffer from `alloc(size)`. */
  encode(alloc: (size: number) => Buffer): Buffer;
}

const INITIAL = 64 * 1024;
/** Larger responses get a buffer of their own rather than a scratch kept this large. */
const MAX_KEPT = 4 * 1024 * 1024;
let scratch: Buffer | undefined;

/** `size` bytes to encode into, valid only until the next call: the caller must copy them out first. */
export function scratchBuffer(size: number): Buffer {
  if (size > MAX_KEPT) return Buffer.allocUnsafe(size);
  if (!scratch || scratch.byteLength < size) scratch = Buffer.allocUnsafeSlow(Math.min(MAX_KEPT, Math.max(size, INITIAL, 2 * (scratch?.byteLength ?? 0))));
  return scratch.subarray(0, size);
}

/** The bytes the transport sends for `response`: encoded into the scratch buffer, or as given. */
export function serializeResponse(response: EncodedResponse | Uint8Array): Buffer {
  if (response instanceof Uint8Array) return Buffer.isBuffer(response) ? response : Buffer.from(response.buffer, response.byteOffset, response.byteLength);
  return response.encode(scratchBuffer);
}

// Encoded bytes that a memo keeps for long are copied into Node's shared pool: toBinary gives each
// message its own ArrayBuffer, and tens of thousands of those held make every garbage collection
// slower (a lane write at 10,000 lanes: p90 twice as long).

/** The same bytes, in pooled memory. */
export function keptBytes(bytes: Uint8Array): Uint8Array {
  return Buffer.from(bytes);
}

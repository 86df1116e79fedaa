// One resource as the cache holds it: what every stream sends, encoded once.

export interface CachedResource {
  readonly name: string;
  /** sha256 of the serialized resource, first 16 hex digits (hashed on first read: SotW never reads most). */
  readonly version: string;
  /** The resource wrapped in google.protobuf.Any, serialized; shared by every stream. */
  readonly anyBytes: Uint8Array;
}

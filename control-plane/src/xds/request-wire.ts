// (Delta)DiscoveryRequest decoding for the ADS service. Almost every request after a stream's first
// is an ACK or NACK holding only strings: version, type URL, nonce, resource names. Those are read
// here straight off the wire, about six times faster than the protobuf runtime's reflective reader
// for an ACK of 50 names. Anything else (node, error_detail, resource locators, initial versions,
// unknown fields, malformed or non-UTF-8 bytes) gives the whole message to fromBinary, so the
// result, or the error thrown, is the runtime's.
import { isAscii, isUtf8 } from 'node:buffer';
import { fromBinary } from '@bufbuild/protobuf';
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
} from '../envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { TypeUrl } from './type-urls.js';

// Tags (field number << 3 | wire type 2) of the string fields read here.
// envoy.service.discovery.v3.DiscoveryRequest (node = 2, error_detail = 6, resource_locators = 7: fromBinary).
const VERSION_INFO = (1 << 3) | 2;
const RESOURCE_NAMES = (3 << 3) | 2;
const TYPE_URL = (4 << 3) | 2;
const RESPONSE_NONCE = (5 << 3) | 2;
// envoy.service.discovery.v3.DeltaDiscoveryRequest (node = 1, initial_resource_versions = 5,
// error_detail = 7, resource_locators_(un)subscribe = 8, 9: fromBinary).
const DELTA_TYPE_URL = (2 << 3) | 2;
const DELTA_SUBSCRIBE = (3 << 3) | 2;
const DELTA_UNSUBSCRIBE = (4 << 3) | 2;
const DELTA_RESPONSE_NONCE = (6 << 3) | 2;

/** Whether each one-byte tag is one of the given ones: a lookup cheaper than a Set's. */
function tagTable(tags: number[]): readonly boolean[] {
  const table = new Array<boolean>(128).fill(false);
  for (const tag of tags) table[tag] = true;
  return table;
}

const REQUEST_STRINGS = tagTable([VERSION_INFO, RESOURCE_NAMES, TYPE_URL, RESPONSE_NONCE]);
const DELTA_REQUEST_STRINGS = tagTable([DELTA_TYPE_URL, DELTA_SUBSCRIBE, DELTA_UNSUBSCRIBE, DELTA_RESPONSE_NONCE]);

/** Each field's strings in wire order, indexed by tag. */
type StringsByTag = ReadonlyArray<string[] | undefined>;

/**
 * The message's strings; undefined if it holds a field not in `tags`, or anything this reader does
 * not check as fromBinary would.
 */
function readStrings(bytes: Buffer, tags: readonly boolean[]): StringsByTag | undefined {
  const strings: Array<string[] | undefined> = [];
  const end = bytes.length;
  // The usual request (every length under 128, every string ASCII) is one string of the whole
  // message, cut into fields: a cut costs a sixth of decoding a field from the bytes. A cut of 13
  // characters or more points into the whole, so a name kept keeps its request's text: little more
  // than the names, which are most of a request (the type URL, kept for the stream's life, is
  // swapped for a constant below). Made at the first string, so a first request, which starts
  // with node, goes to fromBinary without it.
  let whole: string | null | undefined; // null: not all ASCII
  let pos = 0;
  while (pos < end) {
    const tag = bytes[pos++]!; // 0x80 or more starts a tag of several bytes (a field number above 15)
    if (tags[tag] !== true) return undefined;
    // The length: up to 4 bytes (below 2^28, beyond any message the server accepts).
    let length = 0;
    for (let shift = 0; ; shift += 7) {
      if (shift > 21 || pos >= end) return undefined;
      const b = bytes[pos++]!;
      length |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    const stop = pos + length;
    if (stop > end) return undefined;
    let text: string;
    if (whole === undefined) whole = isAscii(bytes) ? bytes.toString('latin1') : null;
    if (whole !== null) text = whole.slice(pos, stop);
    else if (isUtf8(bytes.subarray(pos, stop))) text = bytes.toString('utf8', pos, stop);
    else return undefined; // fromBinary throws on invalid UTF-8 in a proto3 string
    pos = stop;
    const values = strings[tag];
    if (values === undefined) strings[tag] = [text];
    else values.push(text);
  }
  return strings;
}

/** A singular field seen more than once takes its last value, as protobuf parsers do. */
const last = (values: string[] | undefined): string => (values === undefined ? '' : values[values.length - 1]!);

const KNOWN_TYPE_URLS: readonly string[] = Object.values(TypeUrl);

/** The type URL as the constant, not a cut of the request: streams key their state by it. */
function typeUrlOf(values: string[] | undefined): string {
  const typeUrl = last(values);
  for (const known of KNOWN_TYPE_URLS) if (known === typeUrl) return known; // cheaper than hashing it for a Map
  return typeUrl;
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

// The messages are built as the runtime's create() builds them (plain objects, message fields
// absent), without its generic walk over the fields: that walk would cost more than the reading.

/** The request read without the protobuf runtime, or undefined if it needs the runtime (exported for tests). */
export function fastDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest | undefined {
  const strings = readStrings(asBuffer(bytes), REQUEST_STRINGS);
  if (strings === undefined) return undefined;
  return {
    $typeName: 'envoy.service.discovery.v3.DiscoveryRequest',
    versionInfo: last(strings[VERSION_INFO]),
    resourceNames: strings[RESOURCE_NAMES] ?? [],
    resourceLocators: [],
    typeUrl: typeUrlOf(strings[TYPE_URL]),
    responseNonce: last(strings[RESPONSE_NONCE]),
  };
}

/** The request read without the protobuf runtime, or undefined if it needs the runtime (exported for tests). */
export function fastDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest | undefined {
  const strings = readStrings(asBuffer(bytes), DELTA_REQUEST_STRINGS);
  if (strings === undefined) return undefined;
  return {
    $typeName: 'envoy.service.discovery.v3.DeltaDiscoveryRequest',
    typeUrl: typeUrlOf(strings[DELTA_TYPE_URL]),
    resourceNamesSubscribe: strings[DELTA_SUBSCRIBE] ?? [],
    resourceNamesUnsubscribe: strings[DELTA_UNSUBSCRIBE] ?? [],
    resourceLocatorsSubscribe: [],
    resourceLocatorsUnsubscribe: [],
    initialResourceVersions: {},
    responseNonce: last(strings[DELTA_RESPONSE_NONCE]),
  };
}

/** fromBinary(DiscoveryRequestSchema, bytes), faster for requests of strings only. */
export function decodeDiscoveryRequest(bytes: Uint8Array): DiscoveryRequest {
  return fastDiscoveryRequest(bytes) ?? fromBinary(DiscoveryRequestSchema, bytes);
}

/** fromBinary(DeltaDiscoveryRequestSchema, bytes), faster for requests of strings only. */
export function decodeDeltaDiscoveryRequest(bytes: Uint8Array): DeltaDiscoveryRequest {
  return fastDeltaDiscoveryRequest(bytes) ?? fromBinary(DeltaDiscoveryRequestSchema, bytes);
}

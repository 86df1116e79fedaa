// The hand-written (Delta)DiscoveryRequest reader (xds/request-wire.ts) must give what the protobuf
// runtime gives for every request, and take its fast path for the ACKs that make up most traffic.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import {
  DeltaDiscoveryRequestSchema,
  DiscoveryRequestSchema,
  type DeltaDiscoveryRequest,
  type DiscoveryRequest,
} from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import {
  decodeDeltaDiscoveryRequest,
  decodeDiscoveryRequest,
  fastDeltaDiscoveryRequest,
  fastDiscoveryRequest,
} from '../../control-plane/src/xds/request-wire.js';

const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const names = (n: number) => Array.from({ length: n }, (_, i) => `svc-${100 + i}~feature-x`);
const node = { id: 'sidecar~10.0.0.7~orders-7f9c~default', cluster: 'orders', metadata: { lane: 'feature-x', replicas: 3, tags: ['a', 'b'] } };

type RequestInit = Parameters<typeof create<typeof DiscoveryRequestSchema>>[1];
type DeltaInit = Parameters<typeof create<typeof DeltaDiscoveryRequestSchema>>[1];
const request = (init: RequestInit) => toBinary(DiscoveryRequestSchema, create(DiscoveryRequestSchema, init));
const deltaRequest = (init: DeltaInit) => toBinary(DeltaDiscoveryRequestSchema, create(DeltaDiscoveryRequestSchema, init));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
/** A field the schema does not have, which the runtime keeps in $unknown. */
const unknown = (no: number) => new BinaryWriter().tag(no, WireType.LengthDelimited).bytes(Uint8Array.of(0x78)).finish();

// [what, bytes, fast path expected]
const REQUESTS: Array<[string, Uint8Array, boolean]> = [
  ['ACK of 50 names', request({ versionInfo: '3f9a1c0b7d2e4a61', typeUrl: EDS, responseNonce: 'a1b2c3d4-17', resourceNames: names(50) }), true],
  ['wildcard ACK, no names', request({ versionInfo: '3f9a1c0b7d2e4a61', typeUrl: CDS, responseNonce: 'a1b2c3d4-3' }), true],
  ['subscription without a nonce', request({ typeUrl: EDS, resourceNames: ['orders~stable'] }), true],
  ['a type URL not served, as long as a served one', request({ typeUrl: EDS.replace('Cluster', 'Cluxter'), responseNonce: 'n' }), true],
  ['empty message', new Uint8Array(0), true],
  ['unicode names', request({ typeUrl: EDS, resourceNames: ['café~lane-ü', '服务~λ', '🚀~x'], responseNonce: 'n-é' }), true],
  ['a name starting with U+FEFF', request({ typeUrl: EDS, resourceNames: ['\uFEFForders~stable'] }), true],
  ['a name with a NUL', request({ typeUrl: EDS, resourceNames: ['a\u0000b'] }), true],
  ['names of 127 and 128 bytes', request({ typeUrl: EDS, resourceNames: ['n'.repeat(127), 'm'.repeat(128)] }), true],
  ['names of 16383 and 16384 bytes', request({ typeUrl: EDS, resourceNames: ['p'.repeat(16383), 'q'.repeat(16384)] }), true],
  ['empty strings written out', Uint8Array.of(0x0a, 0x00, 0x1a, 0x00, 0x22, 0x00, 0x2a, 0x00), true],
  ['a length varint of 2 bytes for 5', Uint8Array.of(0x0a, 0x85, 0x00, 0x61, 0x62, 0x63, 0x64, 0x65), true],
  ['two messages concatenated: singular fields take the last value, names add up',
    concat(request({ versionInfo: 'v1', typeUrl: CDS, responseNonce: 'n1', resourceNames: ['a'] }), request({ versionInfo: 'v2', typeUrl: EDS, resourceNames: ['b'] })), true],
  ['first request with node and metadata', request({ node, typeUrl: CDS }), false],
  ['every request with node (set_node_on_first_message_only false)', request({ node, versionInfo: 'v1', typeUrl: EDS, responseNonce: 'n', resourceNames: names(3) }), false],
  ['NACK with error_detail', request({ versionInfo: 'v1', typeUrl: EDS, responseNonce: 'n2', resourceNames: names(2), errorDetail: { code: 3, message: 'bad cluster' } }), false],
  ['resource locators', request({ typeUrl: EDS, resourceLocators: [{ name: 'x', dynamicParameters: { k: 'v' } }] }), false],
  ['unknown field 8', concat(request({ typeUrl: EDS }), unknown(8)), false],
  ['unknown field 15', concat(request({ typeUrl: EDS }), unknown(15)), false],
  ['unknown field 16 (a tag of 2 bytes)', concat(request({ typeUrl: EDS }), unknown(16)), false],
  ['unknown field 100000', concat(request({ typeUrl: EDS }), unknown(100_000)), false],
  ['version_info as a varint', Uint8Array.of(0x08, 0x00), false],
];

const DELTA_REQUESTS: Array<[string, Uint8Array, boolean]> = [
  ['ACK', deltaRequest({ typeUrl: EDS, responseNonce: 'a1b2c3d4-17' }), true],
  ['ACK with subscription changes', deltaRequest({ typeUrl: EDS, responseNonce: 'n', resourceNamesSubscribe: names(20), resourceNamesUnsubscribe: ['gone~x', 'é~y'] }), true],
  ['empty message', new Uint8Array(0), true],
  ['a name of 128 bytes', deltaRequest({ typeUrl: EDS, resourceNamesSubscribe: ['r'.repeat(128)] }), true],
  ['first request with node and initial versions', deltaRequest({ node, typeUrl: EDS, resourceNamesSubscribe: ['a'], initialResourceVersions: { a: 'v1' } }), false],
  ['initial versions alone', deltaRequest({ typeUrl: EDS, initialResourceVersions: { a: 'v1', b: 'v2' } }), false],
  ['NACK with error_detail', deltaRequest({ typeUrl: EDS, responseNonce: 'n', errorDetail: { code: 13, message: 'rejected' } }), false],
  ['resource locators', deltaRequest({ typeUrl: EDS, resourceLocatorsSubscribe: [{ name: 'x' }], resourceLocatorsUnsubscribe: [{ name: 'y' }] }), false],
  ['unknown field 10', concat(deltaRequest({ typeUrl: EDS }), unknown(10)), false],
];

/** What the streams read of a request (xds/stream.ts). */
const sotwView = (r: DiscoveryRequest) => ({
  versionInfo: r.versionInfo, resourceNames: r.resourceNames, typeUrl: r.typeUrl, responseNonce: r.responseNonce,
  node: r.node && { id: r.node.id, cluster: r.node.cluster, metadata: r.node.metadata },
  errorDetail: r.errorDetail && { code: r.errorDetail.code, message: r.errorDetail.message },
});

/** What the delta streams read of a request (xds/delta-stream.ts, delta-state.ts). */
const deltaView = (r: DeltaDiscoveryRequest) => ({
  typeUrl: r.typeUrl, resourceNamesSubscribe: r.resourceNamesSubscribe, resourceNamesUnsubscribe: r.resourceNamesUnsubscribe,
  initialResourceVersions: r.initialResourceVersions, responseNonce: r.responseNonce,
  node: r.node && { id: r.node.id, cluster: r.node.cluster, metadata: r.node.metadata },
  errorDetail: r.errorDetail && { code: r.errorDetail.code, message: r.errorDetail.message },
});

describe('DiscoveryRequest', () => {
  for (const [what, bytes, fast] of REQUESTS) {
    test(`${what}: as fromBinary${fast ? ', on the fast path' : ', through the runtime'}`, () => {
      const received = Buffer.from(bytes); // as gRPC hands it over
      const expected = fromBinary(DiscoveryRequestSchema, received);
      const actual = decodeDiscoveryRequest(received);
      assert.equal(equals(DiscoveryRequestSchema, actual, expected), true, 'equals()');
      assert.deepEqual(actual, expected);
      assert.deepEqual(sotwView(actual), sotwView(expected));
      assert.equal(fastDiscoveryRequest(bytes) !== undefined, fast);
    });
  }
});

describe('DeltaDiscoveryRequest', () => {
  for (const [what, bytes, fast] of DELTA_REQUESTS) {
    test(`${what}: as fromBinary${fast ? ', on the fast path' : ', through the runtime'}`, () => {
      const received = Buffer.from(bytes); // as gRPC hands it over
      const expected = fromBinary(DeltaDiscoveryRequestSchema, received);
      const actual = decodeDeltaDiscoveryRequest(received);
      assert.equal(equals(DeltaDiscoveryRequestSchema, actual, expected), true, 'equals()');
      assert.deepEqual(actual, expected);
      assert.deepEqual(deltaView(actual), deltaView(expected));
      assert.equal(fastDeltaDiscoveryRequest(bytes) !== undefined, fast);
    });
  }
});

test('the fast path reads a Uint8Array that is a window on a larger buffer', () => {
  const bytes = request({ versionInfo: 'v9', typeUrl: EDS, responseNonce: 'n9', resourceNames: names(3) });
  const framed = new Uint8Array(bytes.length + 10).fill(0xff);
  framed.set(bytes, 5);
  const window = framed.subarray(5, 5 + bytes.length);
  const actual = fastDiscoveryRequest(window);
  assert.notEqual(actual, undefined);
  assert.deepEqual(actual, fromBinary(DiscoveryRequestSchema, bytes));
});

// [what, bytes]: each makes fromBinary throw.
const MALFORMED: Array<[string, Uint8Array]> = [
  ['a string cut short', request({ typeUrl: EDS }).subarray(0, 20)],
  ['the last of 50 names cut short', (() => { const b = request({ typeUrl: EDS, resourceNames: names(50) }); return b.subarray(0, b.length - 3); })()],
  ['a length varint cut short', Uint8Array.of(0x1a, 0x80)],
  ['a tag alone', Uint8Array.of(0x22)],
  ['a length past the end', Uint8Array.of(0x2a, 0x7f, 0x61)],
  ['a length of 5 varint bytes', Uint8Array.of(0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f)],
  ['invalid UTF-8: a lone 0xff', Uint8Array.of(0x1a, 0x03, 0x61, 0xff, 0x62)],
  ['invalid UTF-8: an overlong NUL', Uint8Array.of(0x22, 0x02, 0xc0, 0x80)],
  ['invalid UTF-8: an encoded surrogate', Uint8Array.of(0x2a, 0x03, 0xed, 0xa0, 0x80)],
  ['invalid UTF-8: a sequence cut short', Uint8Array.of(0x0a, 0x02, 0x61, 0xe2)],
];

describe('malformed requests throw as fromBinary does', () => {
  for (const [what, bytes] of MALFORMED) {
    test(what, () => {
      assert.throws(() => fromBinary(DiscoveryRequestSchema, bytes));
      assert.equal(fastDiscoveryRequest(bytes), undefined);
      assert.throws(() => decodeDiscoveryRequest(Buffer.from(bytes)));
    });
  }

  test('delta: invalid UTF-8 in a subscribed name, and a name cut short', () => {
    const invalid = Uint8Array.of(0x1a, 0x02, 0x61, 0xff);
    const cut = deltaRequest({ typeUrl: EDS, resourceNamesSubscribe: ['orders~stable'] }).slice(0, -2);
    for (const bytes of [invalid, cut]) {
      assert.throws(() => fromBinary(DeltaDiscoveryRequestSchema, bytes));
      assert.equal(fastDeltaDiscoveryRequest(bytes), undefined);
      assert.throws(() => decodeDeltaDiscoveryRequest(Buffer.from(bytes)));
    }
  });
});

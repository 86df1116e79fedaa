// The generated encoders (scripts/generate-encoders.mjs) must give exactly the bytes
// toBinary(create(schema, init)) gives, for any init the schema allows. Random inits (seeded, so a
// failure repeats) for every generated message type, from the runtime schemas the translator uses.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../control-plane/src/envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../control-plane/src/envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { encodeCluster, encoders } from '../../control-plane/src/envoy/generated/encoders.js';
import { ListenerSchema } from '../../control-plane/src/envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import { HttpConnectionManagerSchema } from '../../control-plane/src/envoy/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { RouterSchema } from '../../control-plane/src/envoy/generated/envoy/extensions/filters/http/router/v3/router_pb.js';
import { LuaSchema } from '../../control-plane/src/envoy/generated/envoy/extensions/filters/http/lua/v3/lua_pb.js';
import { HttpProtocolOptionsSchema } from '../../control-plane/src/envoy/generated/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { HttpRequestHeaderMatchInputSchema } from '../../control-plane/src/envoy/generated/envoy/type/matcher/v3/http_inputs_pb.js';
import { randomInit, Random } from '../support/random-init.js';

const ROOTS: DescMessage[] = [
  ClusterSchema, ClusterLoadAssignmentSchema, ListenerSchema, RouteConfigurationSchema,
  HttpConnectionManagerSchema, RouterSchema, LuaSchema, HttpProtocolOptionsSchema, HttpRequestHeaderMatchInputSchema,
];

/** Every message type reachable from the roots, by type name: the runtime schemas. */
function runtimeSchemas(): Map<string, DescMessage> {
  const found = new Map<string, DescMessage>();
  const visit = (desc: DescMessage) => {
    if (found.has(desc.typeName)) return;
    found.set(desc.typeName, desc);
    for (const field of desc.fields) if (field.message) visit(field.message);
  };
  ROOTS.forEach(visit);
  return found;
}

const schemas = runtimeSchemas();

function assertSameBytes(desc: DescMessage, init: unknown, what: string): void {
  const expected = toBinary(desc, create(desc, init as never));
  const actual = encoders.get(desc.typeName)!(init);
  if (Buffer.compare(Buffer.from(actual), Buffer.from(expected)) !== 0) {
    assert.fail(`${what}: ${desc.typeName} differs for ${JSON.stringify(init, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`);
  }
}

test('an encoder is generated for every message type reachable from what the translator encodes, and only those', () => {
  assert.deepEqual([...encoders.keys()].sort(), [...schemas.keys()].sort());
  assert.equal(encoders.size, 289);
});

test('generated encoders give toBinary(create(schema, init)) for random inits of every type (seeded)', () => {
  const random = new Random(24);
  for (const desc of schemas.values()) {
    for (let i = 0; i < 40; i++) assertSameBytes(desc, randomInit(random, desc, 0), `seed 24, case ${i}`);
  }
});

test('generated encoders agree on deep random Clusters, route configurations and listeners (seeded)', () => {
  const random = new Random(7);
  for (const desc of ROOTS) {
    for (let i = 0; i < 150; i++) assertSameBytes(desc, randomInit(random, desc, -2), `seed 7, case ${i}`);
  }
});

test('messages given as init, created messages inside inits, and the empty init', () => {
  const random = new Random(99);
  for (const desc of ROOTS) {
    const init = randomInit(random, desc, 0);
    assertSameBytes(desc, create(desc, init as never), 'a created message');
    assertSameBytes(desc, undefined, 'no init');
    assertSameBytes(desc, {}, 'empty init');
  }
});

test('edge values: zero values skipped, negative int32 as ten bytes, -0 and NaN written, maps in key order', () => {
  const cluster = (init: object) => [...encodeCluster(init)];
  assert.deepEqual(cluster({ name: '', lbPolicy: 0, perConnectionBufferLimitBytes: 0 }), [42, 0]);
  assert.deepEqual(cluster({ lbPolicy: -1 }), [48, 255, 255, 255, 255, 255, 255, 255, 255, 255, 1]);
  assert.deepEqual(cluster({ name: 'é' }), [10, 2, 0xc3, 0xa9]);
  const lb = { commonLbConfig: { healthyPanicThreshold: { value: -0 } } };
  assertSameBytes(ClusterSchema, lb, '-0');
  assertSameBytes(ClusterSchema, { commonLbConfig: { healthyPanicThreshold: { value: Number.NaN } } }, 'NaN');
  const metadata = { metadata: { filterMetadata: { b: { x: 1 }, 42: { y: [null, true, 'z', { k: -0.5 }] }, a: {} } } };
  assertSameBytes(ClusterSchema, metadata, 'integer-like map keys');
  // int64 given as a string (as fields with jstype JS_STRING hold it) or bigint, at the extremes.
  for (const seconds of ['0', '5', '-1', '9223372036854775807', '-9223372036854775808', -1n, 4294967296n]) {
    assertSameBytes(ClusterSchema, { connectTimeout: { seconds, nanos: -1 } }, `int64 ${String(seconds)}`);
  }
  assertSameBytes(ClusterSchema, { lbSubsetConfig: { subsetSelectors: [{ keys: ['', 'é'] }] } }, 'repeated strings, empty ones kept');
  const long = 'x'.repeat(200) + '日本'.repeat(3000);
  assertSameBytes(ClusterSchema, { name: long, altStatName: '\ud800' }, 'long and unpaired-surrogate strings');
});

test('unknown fields of a message given as init are written as toBinary writes them', () => {
  const message = create(ClusterSchema, { name: 'a' });
  const withUnknown = { ...message, $unknown: [{ no: 9999, wireType: 2, data: new Uint8Array([3, 1, 2, 3]) }] };
  assertSameBytes(ClusterSchema, withUnknown, 'unknown fields');
  const plain: Record<string, unknown> = { name: 'a', $unknown: withUnknown.$unknown };
  assertSameBytes(ClusterSchema, plain, 'unknown fields of a plain object (not copied by create)');
});


// appendRepeated: a message's encoding with already encoded elements of a repeated message field
// appended equals toBinary of the whole message, and it refuses what toBinary would order otherwise.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { VirtualHostSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import { appendRepeated } from '../../control-plane/src/envoy/append-repeated.js';

const hosts = [
  { name: 'orders', domains: ['orders', 'orders:8080'] },
  { name: 'cart', domains: ['cart'], routes: [{ match: { pathSpecifier: { case: 'prefix' as const, value: '/' } } }] },
];
const encodedHosts = hosts.map((host) => toBinary(VirtualHostSchema, create(VirtualHostSchema, host)));

test('a route configuration from its encoded virtual hosts: toBinary\'s bytes', () => {
  const whole = toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: 'outbound', virtualHosts: hosts }));
  const appended = appendRepeated(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: 'outbound' }), 'virtualHosts', encodedHosts);
  assert.deepEqual(Buffer.from(appended), Buffer.from(whole));
  // name = 1 ("outbound"), then virtual_hosts = 2 twice: the field numbers come from the schema.
  assert.deepEqual([...appended.subarray(0, 2)], [(1 << 3) | 2, 8]);
  assert.equal(appended[10], (2 << 3) | 2);
});

test('no elements, and no name: still toBinary\'s bytes', () => {
  const empty = create(RouteConfigurationSchema, {});
  assert.deepEqual(Buffer.from(appendRepeated(RouteConfigurationSchema, empty, 'virtualHosts', [])), Buffer.from(toBinary(RouteConfigurationSchema, empty)));
  assert.deepEqual(Buffer.from(appendRepeated(RouteConfigurationSchema, empty, 'virtualHosts', encodedHosts)), Buffer.from(toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { virtualHosts: hosts }))));
});

test('refuses a message with a later field set, or a field that is not a repeated message', () => {
  const later = create(RouteConfigurationSchema, { name: 'outbound', validateClusters: true });
  assert.throws(() => appendRepeated(RouteConfigurationSchema, later, 'virtualHosts', encodedHosts), /cannot append virtualHosts after validateClusters/);
  assert.throws(() => appendRepeated(RouteConfigurationSchema, create(RouteConfigurationSchema), 'name', []), /RouteConfiguration\.name is not a repeated message field/);
});

test('elements the message already holds: the encoded ones go after them (end) or before them (start)', () => {
  const passthrough = { name: 'passthrough', domains: ['*'] };
  const holding = create(RouteConfigurationSchema, { name: 'capture', virtualHosts: [passthrough] });
  const after = toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: 'capture', virtualHosts: [passthrough, ...hosts] }));
  const before = toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: 'capture', virtualHosts: [...hosts, passthrough] }));
  assert.deepEqual(Buffer.from(appendRepeated(RouteConfigurationSchema, holding, 'virtualHosts', encodedHosts)), Buffer.from(after));
  assert.deepEqual(Buffer.from(appendRepeated(RouteConfigurationSchema, holding, 'virtualHosts', encodedHosts, 'start')), Buffer.from(before));
  assert.equal(holding.virtualHosts.length, 1, 'the message is left as it was');
});

test('elements of 127, 128 and 20,000 bytes (one-, two- and three-byte lengths): toBinary\'s bytes', () => {
  // name = 1: a tag, a length of 1 (or 3) bytes, then the name.
  const sized = [125, 126, 19_996].map((n) => ({ name: 'x'.repeat(n) }));
  const whole = toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: 'outbound', virtualHosts: sized }));
  const encoded = sized.map((host) => toBinary(VirtualHostSchema, create(VirtualHostSchema, host)));
  assert.deepEqual(encoded.map((e) => e.byteLength), [127, 128, 20_000]);
  const appended = appendRepeated(RouteConfigurationSchema, create(RouteConfigurationSchema, { name: 'outbound' }), 'virtualHosts', encoded);
  assert.deepEqual(Buffer.from(appended), Buffer.from(whole));
});

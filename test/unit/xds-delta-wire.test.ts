import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { DeltaDiscoveryResponseSchema } from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { deltaResourceBytes, encodeDeltaDiscoveryResponse } from '../../control-plane/src/xds/delta-wire.js';
import { encodeAny } from '../../control-plane/src/xds/wire.js';

const resource = (name: string, version: string, any: Uint8Array) => Object.freeze({ name, version, anyBytes: any });

test('DeltaDiscoveryResponse bytes: system_version_info 1, resources 2 (version 1, Any 2, name 3), type_url 4, nonce 5, removed 6, control_plane 7', () => {
  const bytes = encodeDeltaDiscoveryResponse({
    systemVersionInfo: 'v1', resources: [resource('a', 'x', Uint8Array.of(0x0a, 0x01, 0x78))], removedResources: ['b', 'c'],
    typeUrl: 't', nonce: 'n', controlPlaneId: 'r',
  });
  const resourceHex = '0a0178' + '12030a0178' + '1a0161';
  assert.equal(bytes.toString('hex'), '0a027631' + '120b' + resourceHex + '220174' + '2a016e' + '320162' + '320163' + '3a030a0172');
});

test('empty version, no resources and no removals leave those fields out', () => {
  const bytes = encodeDeltaDiscoveryResponse({ systemVersionInfo: '', resources: [], removedResources: [], typeUrl: 't', nonce: 'n' });
  assert.equal(bytes.toString('hex'), '220174' + '2a016e');
});

test('a response with large resources and multi-byte strings decodes with the generated schema', () => {
  const big = toBinary(AnySchema, create(AnySchema, { typeUrl: 'type.googleapis.com/x.Y', value: new Uint8Array(70_000).fill(7) }));
  const res = fromBinary(DeltaDiscoveryResponseSchema, encodeDeltaDiscoveryResponse({
    systemVersionInfo: 'vé', resources: [resource('grösse', 'v-ü', big)], removedResources: ['gone-ß'],
    typeUrl: 'type.googleapis.com/x.Y', nonce: 'n-1', controlPlaneId: 'replica-ä',
  }));
  assert.equal(res.systemVersionInfo, 'vé');
  assert.equal(res.resources[0]!.name, 'grösse');
  assert.equal(res.resources[0]!.version, 'v-ü');
  assert.equal(res.resources[0]!.resource!.typeUrl, 'type.googleapis.com/x.Y');
  assert.equal(res.resources[0]!.resource!.value.length, 70_000);
  assert.deepEqual(res.removedResources, ['gone-ß']);
  assert.equal(res.nonce, 'n-1');
  assert.equal(res.controlPlane?.identifier, 'replica-ä');
});

test('a cached resource is encoded as a Resource once, whatever the number of responses', () => {
  const r = resource('a', 'x', Uint8Array.of(1));
  const first = deltaResourceBytes(r);
  for (let i = 0; i < 3; i++) encodeDeltaDiscoveryResponse({ systemVersionInfo: '', resources: [r], removedResources: [], typeUrl: 't', nonce: `${i}` });
  assert.equal(deltaResourceBytes(r), first, 'the same bytes object');
});

test('Any bytes: type_url 1, value 2, as the generated schema writes them', () => {
  const value = new Uint8Array(300).fill(9);
  const expected = toBinary(AnySchema, create(AnySchema, { typeUrl: 'type.googleapis.com/x.Y', value }));
  assert.deepEqual(encodeAny('type.googleapis.com/x.Y', value), expected);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { DiscoveryResponseSchema } from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { encodeDiscoveryResponse } from '../../control-plane/src/xds/wire.js';

test('DiscoveryResponse bytes: version 1, resources 2, type_url 4, nonce 5, control_plane 6', () => {
  const bytes = encodeDiscoveryResponse({
    versionInfo: 'v1', resources: [Uint8Array.of(0x0a, 0x01, 0x78)], typeUrl: 't', nonce: 'n', controlPlaneId: 'r',
  });
  assert.equal(Buffer.from(bytes).toString('hex'), '0a027631' + '12030a0178' + '220174' + '2a016e' + '32030a0172');
});

test('empty version and no resources leave those fields out', () => {
  const bytes = encodeDiscoveryResponse({ versionInfo: '', resources: [], typeUrl: 't', nonce: 'n' });
  assert.equal(Buffer.from(bytes).toString('hex'), '220174' + '2a016e');
});

test('a response with large resources and multi-byte strings decodes with the generated schema', () => {
  const big = toBinary(AnySchema, create(AnySchema, { typeUrl: 'type.googleapis.com/x.Y', value: new Uint8Array(70_000).fill(7) }));
  const small = toBinary(AnySchema, create(AnySchema, { typeUrl: 'type.googleapis.com/x.Y', value: Uint8Array.of(1, 2) }));
  const res = fromBinary(DiscoveryResponseSchema, encodeDiscoveryResponse({
    versionInfo: 'vé', resources: [big, small], typeUrl: 'type.googleapis.com/x.Y', nonce: 'n-ü-1', controlPlaneId: 'replica-ä',
  }));
  assert.equal(res.versionInfo, 'vé');
  assert.equal(res.typeUrl, 'type.googleapis.com/x.Y');
  assert.equal(res.nonce, 'n-ü-1');
  assert.equal(res.controlPlane?.identifier, 'replica-ä');
  assert.equal(res.resources.length, 2);
  assert.equal(res.resources[0]!.value.length, 70_000);
  assert.deepEqual([...res.resources[1]!.value], [1, 2]);
});

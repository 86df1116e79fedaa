// The hand-written Cluster and ClusterLoadAssignment bytes (translate/instance-bytes.ts) must equal
// the protobuf runtime's for every kind of instance: each row below is encoded by one encoder, in
// order, so every row after the first of its kind goes through the fast path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../control-plane/src/envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../control-plane/src/envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import type { Service } from '../../control-plane/src/model/types.js';
import { clusterFor, usesEds } from '../../control-plane/src/translate/cluster.js';
import { loadAssignmentFor } from '../../control-plane/src/translate/endpoint.js';
import { InstanceEncoder } from '../../control-plane/src/translate/instance-bytes.js';
import type { Instance } from '../../control-plane/src/translate/instances.js';

const http: Service = { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] };
const grpc: Service = { name: 'payments', protocol: 'grpc', port: 9090, endpoints: ['10.0.0.9:9090'] };

function instance(name: string, lane: string, service: Service, endpoints: string[], fallback?: string[]): Instance {
  return { name, service, instance: lane, cluster: `${name}~${lane}`, endpoints, ...(fallback && { fallback }) };
}

// [what, instance]: names and endpoints chosen for varint edges (lengths and ports around 127/128).
const ROWS: Array<[string, Instance]> = [
  ['stable http', instance('orders', 'stable', http, ['10.0.0.1:8080'])],
  ['lane http, one endpoint', instance('orders', 'feature-x', http, ['127.0.0.1:18080'])],
  ['lane http, no endpoints', instance('orders', 'empty', http, [])],
  ['lane http, three endpoints unsorted with a duplicate', instance('orders', 'multi', http, ['10.0.0.3:80', '10.0.0.2:80', '10.0.0.3:80', '10.0.0.2:1'])],
  ['ports 1, 127, 128, 16383, 16384, 65535', instance('orders', 'ports', http, ['10.0.0.1:1', '10.0.0.1:127', '10.0.0.1:128', '10.0.0.1:16383', '10.0.0.1:16384', '10.0.0.1:65535'])],
  ['IPv6 endpoints', instance('orders', 'v6', http, ['[::1]:8080', '[fd00::1:2]:443'])],
  ['name of 200 bytes', instance('o'.repeat(150), 'l'.repeat(48), http, ['10.0.0.1:8080'])],
  ['non-ASCII lane name', instance('orders', 'fonctionnalité-é', http, ['10.0.0.1:8080'])],
  ['120 endpoints (locality over 127 bytes, lengths over 2 bytes)', instance('orders', 'big', http, Array.from({ length: 120 }, (_, i) => `10.0.${i}.${i}:${8000 + i}`))],
  ['grpc stable', instance('payments', 'stable', grpc, ['10.0.0.9:9090'])],
  ['grpc lane', instance('payments', 'feature-y', grpc, ['127.0.0.1:19090'])],
  ['lane with fallback', instance('orders', 'fb', http, ['127.0.0.1:18081'], ['10.0.0.1:8080'])],
  ['second lane with fallback', instance('orders', 'fb2', http, ['127.0.0.1:18082'], ['10.0.0.1:8080', '10.0.0.2:8080'])],
  ['grpc lane with fallback', instance('payments', 'fb', grpc, ['127.0.0.1:19091'], ['10.0.0.9:9090'])],
  ['DNS endpoint (STRICT_DNS, no EDS)', instance('orders', 'dns', http, ['localhost:18083'])],
  ['second DNS instance', instance('orders', 'dns2', http, ['orders.internal:80'])],
  ['lane after the DNS ones', instance('orders', 'after', http, ['10.9.9.9:8080'])],
];

describe('InstanceEncoder', () => {
  test('Cluster bytes equal the protobuf runtime for every row, first of its shape and after', () => {
    const encoder = new InstanceEncoder();
    for (const [what, row] of [...ROWS, ...ROWS]) {
      assert.deepEqual(Buffer.from(encoder.cluster(row)), Buffer.from(toBinary(ClusterSchema, clusterFor(row))), what);
    }
    // http, grpc, http with fallback, grpc with fallback: every EDS shape passed its check.
    assert.equal(encoder.fastPaths.splicedClusterShapes, 4);
  });

  test('ClusterLoadAssignment bytes equal the protobuf runtime for every EDS row', () => {
    const encoder = new InstanceEncoder();
    const eds = ROWS.filter(([, row]) => usesEds(row));
    assert.equal(eds.length, ROWS.length - 2, 'the two DNS rows are the only ones without EDS');
    for (const [what, row] of [...eds, ...eds]) {
      assert.deepEqual(Buffer.from(encoder.loadAssignment(row)), Buffer.from(toBinary(ClusterLoadAssignmentSchema, loadAssignmentFor(row))), what);
    }
    assert.equal(encoder.fastPaths.handWrittenLoadAssignments, true, 'the hand-written encoding passed its check');
  });

  test('the fast paths are taken: a lane cluster is the name field followed by the shape\'s shared bytes', () => {
    const encoder = new InstanceEncoder();
    encoder.cluster(ROWS[0]![1]);
    const lane = encoder.cluster(ROWS[1]![1]);
    // 0x0a = field 1 (name), length-delimited; "orders~feature-x" is 16 bytes.
    assert.deepEqual([...lane.subarray(0, 2)], [0x0a, 16]);
    assert.equal(Buffer.from(lane.subarray(2, 18)).toString(), 'orders~feature-x');
  });
});

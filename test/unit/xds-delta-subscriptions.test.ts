// A delta stream's subscribed names per type are one list shared by every stream that subscribed
// to the same names (name-list.ts), changed only by replacing it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create } from '@bufbuild/protobuf';
import { DeltaDiscoveryRequestSchema } from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { DeltaTypeState } from '../../control-plane/src/xds/delta-state.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';

const EDS = TypeUrl.ClusterLoadAssignment;
const request = (subscribe: string[], unsubscribe: string[] = []) =>
  create(DeltaDiscoveryRequestSchema, { typeUrl: EDS, resourceNamesSubscribe: subscribe, resourceNamesUnsubscribe: unsubscribe });

test('two streams subscribing to the same names hold one list; one unsubscribing leaves the other its names', () => {
  const a = new DeltaTypeState(EDS);
  const b = new DeltaTypeState(EDS);
  a.applyInitial(request(['orders~stable', 'orders~lane-a', 'pay~stable']));
  b.applyInitial(request(['pay~stable', 'orders~stable', 'orders~lane-a']));
  assert.equal(a.subscribed, b.subscribed);
  assert.deepEqual(a.subscribed.sorted, ['orders~lane-a', 'orders~stable', 'pay~stable']);

  a.applySubscriptions(request([], ['orders~lane-a']), false);
  assert.deepEqual(a.subscribed.sorted, ['orders~stable', 'pay~stable']);
  assert.deepEqual(b.subscribed.sorted, ['orders~lane-a', 'orders~stable', 'pay~stable']);
  assert.equal(a.inScope('orders~lane-a'), false);
  assert.equal(b.inScope('orders~lane-a'), true);

  b.applySubscriptions(request([], ['orders~lane-a']), false);
  assert.equal(a.subscribed, b.subscribed);
});

test('names subscribed and unsubscribed in one request, then re-subscribed: each is answered again', () => {
  const s = new DeltaTypeState(EDS);
  s.applyInitial(request(['x~1', 'x~2']));
  s.applySubscriptions(request(['x~3'], ['x~1', 'never-had']), false);
  assert.deepEqual(s.subscribed.sorted, ['x~2', 'x~3']);
  assert.equal(s.forced.has('x~3'), true, 'a new name is sent');
  s.applySubscriptions(request(['x~1']), false);
  assert.deepEqual(s.subscribed.sorted, ['x~1', 'x~2', 'x~3']);
  assert.equal(s.forced.has('x~1'), true, 'a re-subscribe is always answered');
});

test('a wildcard subscribe after names in the same request keeps those names subscribed', () => {
  const s = new DeltaTypeState(TypeUrl.Cluster);
  s.applyInitial(create(DeltaDiscoveryRequestSchema, { typeUrl: TypeUrl.Cluster, resourceNamesSubscribe: ['a~1', '*'] }));
  assert.equal(s.wildcard, true);
  assert.deepEqual(s.subscribed.sorted, ['a~1']);
  s.applySubscriptions(create(DeltaDiscoveryRequestSchema, { typeUrl: TypeUrl.Cluster, resourceNamesUnsubscribe: ['*'] }), false);
  assert.equal(s.wildcard, false);
  assert.equal(s.inScope('a~1'), true);
  assert.equal(s.inScope('b~1'), false);
});

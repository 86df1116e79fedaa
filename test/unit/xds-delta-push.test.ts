// Delta pushes after cache changes: only changed resources, only to streams that hold them, in
// make-before-break order, from bytes encoded once for every stream.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import type { ResourceInput } from '../../control-plane/src/xds/cache.js';
import { DeltaAdsClient, deltaSummary } from '../support/delta-ads-client.js';
import { cluster, endpoints, listener } from '../support/xds-fixtures.js';
import { startTestXds } from '../support/xds-harness.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

/** Route config "outbound" sending everything to `target`. */
function routesTo(target: string): ResourceInput {
  const rc = create(RouteConfigurationSchema, {
    name: 'outbound',
    virtualHosts: [{ name: 'orders', domains: ['orders'], routes: [{ match: { pathSpecifier: { case: 'prefix', value: '/' } }, action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: target } } } }] }],
  });
  return { name: 'outbound', typeUrl: RDS, value: toBinary(RouteConfigurationSchema, rc) };
}

const laneX = (): ResourceInput[] => [
  cluster('orders~stable'), cluster('orders~feature-x'), endpoints('orders~stable', 1), endpoints('orders~feature-x', 2), listener('outbound'), routesTo('orders~feature-x'),
];
const stableOnly = (): ResourceInput[] => [cluster('orders~stable'), endpoints('orders~stable', 1), listener('outbound'), routesTo('orders~stable')];

/** A client subscribed like Envoy: CDS and LDS wildcard, EDS and RDS by name; every response ACKed. */
async function subscribed(t: TestContext, group = 'g', withRoutes = true) {
  const xds = await startTestXds({ groupForNode: (node) => ({ group: String(node.metadata.group ?? group) }) });
  t.after(() => xds.close());
  xds.cache.setSnapshot(group, laneX());
  const connect = async (id: string, g = group) => {
    const c = new DeltaAdsClient(xds.server.port, { id, metadata: { group: g } });
    t.after(() => c.close());
    const types: Array<[string, string[]]> = [[CDS, []], [EDS, ['orders~feature-x', 'orders~stable']], [LDS, []]];
    if (withRoutes) types.push([RDS, ['outbound']]);
    for (const [typeUrl, names] of types) {
      c.request({ typeUrl, subscribe: names });
      c.ack(await c.next(typeUrl));
    }
    assert.deepEqual((await c.unreadAfter(50)).map(deltaSummary), []);
    return c;
  };
  return { xds, connect };
}

test('a change is pushed as the changed resources only, in CDS, EDS, LDS, RDS order, coalesced', async (t) => {
  const { xds, connect } = await subscribed(t);
  const c = await connect('p1');
  const next = [cluster('orders~stable'), cluster('orders~feature-x'), cluster('orders~feature-y'), endpoints('orders~stable', 1),
    endpoints('orders~feature-x', 2), endpoints('orders~feature-y', 3), listener('outbound'), routesTo('orders~feature-y')];
  xds.cache.setSnapshot('g', next.slice(0, 3).concat(laneX().slice(2))); // a first step, superseded at once
  xds.cache.setSnapshot('g', next);
  const cds = await c.next();
  assert.deepEqual([cds.typeUrl, deltaSummary(cds)], [CDS, ['orders~feature-y']]);
  c.ack(cds);
  // The new cluster's endpoints follow at once, before Envoy asks; the listener did not change.
  const eds = await c.next();
  assert.deepEqual([eds.typeUrl, deltaSummary(eds)], [EDS, ['orders~feature-y']]);
  const rds = await c.next();
  assert.deepEqual([rds.typeUrl, deltaSummary(rds)], [RDS, ['outbound']]);
  // Envoy's subscription for them was sent before it read that response: it needs no second answer.
  c.request({ typeUrl: EDS, subscribe: ['orders~feature-y'] });
  c.ack(eds);
  c.ack(rds);
  assert.deepEqual(await c.unreadAfter(80), []);
});

test('endpoints sent ahead that the client does not subscribe to are dropped once it answers', async (t) => {
  const { xds, connect } = await subscribed(t);
  const c = await connect('p1');
  xds.cache.setSnapshot('g', [...laneX(), cluster('orders~feature-y'), endpoints('orders~feature-y', 3)]);
  c.ack(await c.next(CDS));
  const eds = await c.next(EDS);
  assert.deepEqual(deltaSummary(eds), ['orders~feature-y']);
  c.ack(eds); // no subscription: this client does not watch them
  assert.deepEqual(await c.unreadAfter(80), []);
  // A later change to them is not sent; a subscription afterwards is answered.
  xds.cache.setSnapshot('g', [...laneX(), cluster('orders~feature-y'), endpoints('orders~feature-y', 4)]);
  assert.deepEqual(await c.unreadAfter(150), []);
  c.request({ typeUrl: EDS, subscribe: ['orders~feature-y'] });
  const answer = await c.next(EDS);
  assert.deepEqual(deltaSummary(answer), ['orders~feature-y']);
});

test('when every type changes, pushes go CDS, EDS, LDS, RDS', async (t) => {
  const { xds, connect } = await subscribed(t);
  const c = await connect('p1');
  const statPrefix = Uint8Array.of(0xe2, 0x01, 0x01, 0x78); // Listener.stat_prefix = "x"
  const changedListener = { ...listener('outbound'), value: Uint8Array.of(...listener('outbound').value, ...statPrefix) };
  xds.cache.setSnapshot('g', [cluster('orders~stable'), cluster('orders~feature-x'), cluster('orders~new'), endpoints('orders~stable', 7),
    endpoints('orders~feature-x', 2), changedListener, routesTo('orders~new')]);
  const order: string[] = [];
  for (let i = 0; i < 4; i++) {
    const res = await c.next();
    order.push(res.typeUrl);
    c.ack(res);
  }
  assert.deepEqual(order, [CDS, EDS, LDS, RDS]);
});

test('after a cluster changes, its endpoints are sent again even if they did not change', async (t) => {
  const { xds, connect } = await subscribed(t);
  const c = await connect('p1');
  const changed = { ...cluster('orders~stable'), value: Uint8Array.of(0x0a, 0x0d, ...Buffer.from('orders~stable'), 0x22, 0x00) };
  xds.cache.setSnapshot('g', [changed, ...laneX().slice(1)]);
  const cds = await c.next(CDS);
  assert.deepEqual(deltaSummary(cds), ['orders~stable']);
  c.ack(cds);
  assert.deepEqual(deltaSummary(await c.next(EDS)), ['orders~stable']);
});

test('make before break: a removed cluster and its endpoints stay until the new routes are answered', async (t) => {
  const { xds, connect } = await subscribed(t);
  const c = await connect('p1');
  xds.cache.setSnapshot('g', stableOnly());
  const rds = await c.next();
  assert.deepEqual([rds.typeUrl, deltaSummary(rds)], [RDS, ['outbound']], 'routes first; nothing removed yet');
  assert.deepEqual(await c.unreadAfter(100), [], 'nothing removed before the routes are acked');
  c.ack(rds);
  const cds = await c.next();
  assert.deepEqual([cds.typeUrl, deltaSummary(cds)], [CDS, ['-orders~feature-x']]);
  c.ack(cds, {});
  c.request({ typeUrl: EDS, unsubscribe: ['orders~feature-x'] }); // what Envoy does once the cluster is gone
  assert.deepEqual(await c.unreadAfter(100), []);
  await xds.server.status.waitForAck('p1', CDS, cds.systemVersionInfo);
});

test('without a route subscription, removed clusters go at once', async (t) => {
  const { xds, connect } = await subscribed(t, 'g', false);
  const c = await connect('p1');
  xds.cache.setSnapshot('g', stableOnly());
  const cds = await c.next(CDS);
  assert.deepEqual(deltaSummary(cds), ['-orders~feature-x']);
  assert.doesNotMatch(cds.systemVersionInfo, /draining/);
});

test('a change reaches only streams of the changed group (each Resource is encoded once for all: xds-delta-wire)', async (t) => {
  const { xds, connect } = await subscribed(t);
  xds.cache.setSnapshot('other', laneX());
  const streams = await Promise.all(['p1', 'p2', 'p3'].map((id) => connect(id)));
  const bystander = await connect('p4', 'other');
  xds.cache.setSnapshot('g', [...laneX().filter((r) => r.name !== 'orders~feature-x' || r.typeUrl !== EDS), endpoints('orders~feature-x', 9)]);
  for (const c of streams) assert.deepEqual(deltaSummary(await c.next(EDS)), ['orders~feature-x']);
  assert.deepEqual(await bystander.unreadAfter(80), []);
});

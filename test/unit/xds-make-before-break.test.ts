// Make before break: removing a cluster never leaves a route pointing at a missing cluster. The
// CDS response keeps the removed cluster until the new routes are answered, then drops it.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import type { ResourceInput } from '../../control-plane/src/xds/cache.js';
import { cluster, endpoints, listener, resourceNames } from '../support/xds-fixtures.js';
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

async function subscribed(t: TestContext, withRoutes: boolean) {
  const xds = await startTestXds();
  t.after(() => xds.close());
  xds.cache.setSnapshot('g', [cluster('orders~stable'), cluster('orders~feature-x'), endpoints('orders~stable', 1), endpoints('orders~feature-x', 2), listener('outbound'), routesTo('orders~feature-x')]);
  const c = xds.connect();
  const types: Array<[string, string[]]> = [[CDS, []], [EDS, ['orders~feature-x', 'orders~stable']], [LDS, []]];
  if (withRoutes) types.push([RDS, ['outbound']]);
  for (const [typeUrl, names] of types) {
    c.request({ typeUrl, resourceNames: names });
    c.ack(await c.next(typeUrl));
  }
  assert.deepEqual((await c.unreadAfter(50)).map((r) => r.typeUrl), []);
  return { xds, c };
}

test('a removed cluster stays until the routes that used it are acked, then goes', async (t) => {
  const { xds, c } = await subscribed(t, true);
  xds.cache.setSnapshot('g', [cluster('orders~stable'), endpoints('orders~stable', 1), listener('outbound'), routesTo('orders~stable')]);

  const held = await c.next(CDS);
  assert.deepEqual(resourceNames(held), ['orders~feature-x', 'orders~stable']);
  assert.match(held.versionInfo, /\+draining$/);
  c.ack(held);
  c.ack(await c.next(EDS));
  const rds = await c.next(RDS);
  assert.deepEqual((await c.unreadAfter(100)).map((r) => r.typeUrl), [], 'nothing removed before the routes are acked');

  c.ack(rds);
  const final = await c.next(CDS);
  assert.deepEqual(resourceNames(final), ['orders~stable']);
  assert.doesNotMatch(final.versionInfo, /draining/);
  c.ack(final);
  await xds.server.status.waitForAck('proxy-1', CDS, final.versionInfo);
});

test('without a route subscription, removed clusters go at once', async (t) => {
  const { xds, c } = await subscribed(t, false);
  xds.cache.setSnapshot('g', [cluster('orders~stable'), endpoints('orders~stable', 1), listener('outbound')]);
  const cds = await c.next(CDS);
  assert.deepEqual(resourceNames(cds), ['orders~stable']);
});

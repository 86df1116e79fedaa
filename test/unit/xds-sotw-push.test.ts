// Pushes on snapshot changes: ordering, EDS after CDS, only requested types, coalescing, shared bytes.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { toBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import type { ResourceInput } from '../../control-plane/src/xds/cache.js';
import type { AdsClient } from '../support/ads-client.js';
import { cachedResources, cluster, endpointPort, endpoints, listener, resourceNames, routes } from '../support/xds-fixtures.js';
import { startTestXds, type TestXds } from '../support/xds-harness.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const V = { cds: '76072aab8ce4e162', eds: '6cc816c2f7647989', lds: '8035654099ac808e', rds: '30cb6f7c4fdb4bb5' };

const base = (): ResourceInput[] => [
  cluster('orders'), cluster('payments'), endpoints('orders', 8080), endpoints('payments', 8081), listener('ingress'), routes('ingress-routes'),
];

async function setup(t: TestContext, opts: Parameters<typeof startTestXds>[0] = {}) {
  const xds = await startTestXds(opts);
  t.after(() => xds.close());
  xds.cache.setSnapshot('g', base());
  return xds;
}

/** Requests (and acks) the types, the way Envoy would, with the given RDS/EDS names. */
async function subscribe(xds: TestXds, c: AdsClient, types: Record<string, string[]>): Promise<void> {
  for (const [typeUrl, resourceNames] of Object.entries(types)) {
    c.request({ typeUrl, resourceNames });
    const res = await c.next(typeUrl);
    c.ack(res);
    await xds.server.status.waitForAck('proxy-1', typeUrl, res.versionInfo);
  }
  // A CDS answer after EDS was requested is followed by EDS: take and ack it.
  if (Object.keys(types).indexOf(CDS) > Object.keys(types).indexOf(EDS) && types[EDS]) c.ack(await c.next(EDS));
  assert.deepEqual(await c.unreadAfter(50), []);
}

describe('SotW pushes', () => {
  test('a change touching every type is pushed CDS, EDS, LDS, RDS', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [RDS]: ['ingress-routes', 'admin-routes'], [LDS]: [], [EDS]: ['orders', 'search'], [CDS]: [] });
    xds.cache.setSnapshot('g', [
      ...base(), cluster('search'), endpoints('search', 8082), listener('admin'), routes('admin-routes'),
    ]);
    const pushed = [await c.next(), await c.next(), await c.next(), await c.next()];
    assert.deepEqual(pushed.map((r) => r.typeUrl), [CDS, EDS, LDS, RDS]);
    assert.deepEqual(pushed.map(resourceNames), [
      ['orders', 'payments', 'search'], ['orders', 'search'], ['admin', 'ingress'], ['admin-routes', 'ingress-routes'],
    ]);
    assert.deepEqual(await c.unreadAfter(200), []);
  });

  test('a CDS push that changes a cluster the proxy has is followed by EDS, even when endpoints did not change', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [CDS]: [], [EDS]: ['orders'] });
    xds.cache.setSnapshot('g', [...base().filter((r) => !(r.typeUrl === CDS && r.name === 'orders')), cluster('orders', 3)]);
    const cds = await c.next();
    const eds = await c.next();
    assert.equal(cds.typeUrl, CDS);
    assert.equal(eds.typeUrl, EDS);
    assert.equal(eds.versionInfo, V.eds);
    assert.deepEqual(resourceNames(eds), ['orders']);
    assert.equal(endpointPort(eds, 'orders'), 8080);
    assert.deepEqual(await c.unreadAfter(200), []);
  });

  test('a CDS push that adds clusters is followed at once by EDS naming them; the proxy asking for them gets no second answer', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [CDS]: [], [EDS]: ['orders'] });
    const eds0 = xds.server.status.list()[0]!.perType[EDS]!;
    xds.cache.setSnapshot('g', [...base(), cluster('search'), endpoints('search', 8082)]);
    const cds = await c.next();
    const eds = await c.next();
    assert.equal(cds.typeUrl, CDS);
    assert.deepEqual(resourceNames(cds), ['orders', 'payments', 'search']);
    assert.equal(eds.typeUrl, EDS);
    assert.deepEqual(resourceNames(eds), ['orders', 'search']);
    assert.equal(endpointPort(eds, 'search'), 8082);
    // Envoy applied the CDS response first, so its request for the new name carries the older nonce.
    c.ack(cds);
    c.request({ typeUrl: EDS, versionInfo: V.eds, responseNonce: eds0.sentNonce, resourceNames: ['orders', 'search'] });
    c.ack(eds, ['orders', 'search']);
    assert.deepEqual(await c.unreadAfter(200), []);
  });

  test('an added cluster without endpoints in the snapshot is not followed by EDS', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [CDS]: [], [EDS]: ['orders'] });
    xds.cache.setSnapshot('g', [...base(), cluster('static-dns')]);
    const cds = await c.next();
    assert.deepEqual(resourceNames(cds), ['orders', 'payments', 'static-dns']);
    assert.deepEqual(await c.unreadAfter(200), []);
  });

  test('names taken ahead of the proxy give way to the names its next EDS request states', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [CDS]: [], [EDS]: ['orders'] });
    xds.cache.setSnapshot('g', [...base(), cluster('search'), endpoints('search', 8082)]);
    c.ack(await c.next(CDS));
    const eds = await c.next(EDS);
    assert.deepEqual(resourceNames(eds), ['orders', 'search']);
    c.ack(eds, ['orders']); // this proxy did not watch "search"
    assert.deepEqual(await c.unreadAfter(200), []);
    const changed = base().map((r) => (r.typeUrl === EDS && r.name === 'orders' ? endpoints('orders', 9090) : r));
    xds.cache.setSnapshot('g', [...changed, cluster('search'), endpoints('search', 9999)]);
    const next = await c.next(EDS);
    assert.deepEqual(resourceNames(next), ['orders']);
    assert.equal(endpointPort(next, 'orders'), 9090);
  });

  test('types the proxy has not requested are never sent', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [CDS]: [] });
    xds.cache.setSnapshot('g', [cluster('orders'), cluster('payments'), endpoints('orders', 9090), listener('admin'), routes('admin-routes')]);
    assert.deepEqual(await c.unreadAfter(300), []);
    assert.deepEqual(Object.keys(xds.server.status.list()[0]!.perType), [CDS]);
  });

  test('a burst of snapshots is coalesced: one push, of the newest', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    await subscribe(xds, c, { [LDS]: [] });
    for (let i = 1; i <= 5; i++) xds.cache.setSnapshot('g', [...base(), listener(`admin-${i}`)]);
    const pushed = await c.next(LDS);
    assert.deepEqual(resourceNames(pushed), ['admin-5', 'ingress']);
    assert.deepEqual(await c.unreadAfter(300), []);
    assert.equal(xds.server.status.list()[0]!.perType[LDS]!.responsesSent, 2);
  });

  test('streams share the cached Any bytes: no encoding per stream', async (t) => {
    const xds = await setup(t);
    const cached = xds.cache.getSnapshot('g')!.types.get(CDS)!.resources.get('orders')!.anyBytes;
    const a = xds.connect({ id: 'proxy-a' });
    const b = xds.connect({ id: 'proxy-b' });
    a.request({ typeUrl: CDS });
    b.request({ typeUrl: CDS });
    const [ra, rb] = [await a.next(CDS), await b.next(CDS)];
    for (const res of [ra, rb]) assert.deepEqual(toBinary(AnySchema, res.resources[0]!), cached);
    assert.equal(xds.cache.getSnapshot('g')!.types.get(CDS)!.resources.get('orders')!.anyBytes, cached);
    const before = cachedResources(xds.cache, 'g');
    xds.cache.setSnapshot('g', [...base(), cluster('search')]);
    const pushed = await Promise.all([a.next(CDS), b.next(CDS)]);
    const search = xds.cache.getSnapshot('g')!.types.get(CDS)!.resources.get('search')!.anyBytes;
    for (const res of pushed) assert.deepEqual(toBinary(AnySchema, res.resources[resourceNames(res).indexOf('search')]!), search);
    const wrappedAgain = [...cachedResources(xds.cache, 'g')].filter(([key, r]) => before.has(key) && before.get(key) !== r);
    assert.deepEqual(wrappedAgain, [], 'pushing to streams encodes nothing again');
  });

  test('a group without a snapshot yet gets nothing until its snapshot appears', async (t) => {
    const xds = await setup(t, { groupForNode: () => ({ group: 'late' }) });
    const c = xds.connect();
    c.request({ typeUrl: CDS });
    c.request({ typeUrl: LDS });
    assert.deepEqual(await c.unreadAfter(300), []);
    xds.cache.setSnapshot('late', base());
    const [cds, lds] = [await c.next(), await c.next()];
    assert.deepEqual([cds.typeUrl, cds.versionInfo, lds.typeUrl, lds.versionInfo], [CDS, V.cds, LDS, V.lds]);
  });

  test('responses name the replica in control_plane.identifier', async (t) => {
    const xds = await setup(t, { replicaId: 'laneway-0' });
    const c = xds.connect();
    c.request({ typeUrl: RDS, resourceNames: ['ingress-routes'] });
    const rds = await c.next(RDS);
    assert.equal(rds.controlPlane?.identifier, 'laneway-0');
    assert.equal(rds.versionInfo, V.rds);
  });
});

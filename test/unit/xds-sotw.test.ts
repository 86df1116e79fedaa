// State-of-the-World ADS over a real gRPC connection: initial answers, ACK/NACK, stale nonces,
// named subscriptions.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test, type TestContext } from 'node:test';
import type { ResourceInput } from '../../control-plane/src/xds/cache.js';
import { syncState, type NackEvent } from '../../control-plane/src/xds/proxy-status.js';
import { cluster, endpointPort, endpoints, listener, resourceNames, routes } from '../support/xds-fixtures.js';
import { startTestXds } from '../support/xds-harness.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

// Hand-computed in xds-snapshot.test.ts for base().
const V = { cds: '76072aab8ce4e162', eds: '6cc816c2f7647989', lds: '8035654099ac808e', rds: '30cb6f7c4fdb4bb5' };

const base = (): ResourceInput[] => [
  cluster('orders'), cluster('payments'), endpoints('orders', 8080), endpoints('payments', 8081), listener('ingress'), routes('ingress-routes'),
];
const without = (list: ResourceInput[], typeUrl: string, name: string) => list.filter((r) => !(r.typeUrl === typeUrl && r.name === name));

async function setup(t: TestContext) {
  const xds = await startTestXds();
  t.after(() => xds.close());
  xds.cache.setSnapshot('g', base());
  return xds;
}

describe('SotW ADS', () => {
  test('TypeUrl values are the v3 type URLs', () => {
    assert.deepEqual(TypeUrl, { Listener: LDS, RouteConfiguration: RDS, Cluster: CDS, ClusterLoadAssignment: EDS });
  });

  test('initial request of each type: snapshot version, all LDS/CDS resources, the named RDS/EDS ones', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: CDS });
    const cds = await c.next(CDS);
    assert.equal(cds.versionInfo, V.cds);
    assert.deepEqual(resourceNames(cds), ['orders', 'payments']);
    assert.deepEqual(cds.resources.map((r) => r.typeUrl), [CDS, CDS]);
    assert.notEqual(cds.nonce, '');
    c.ack(cds);
    c.request({ typeUrl: EDS, resourceNames: ['orders', 'not-there'] });
    const eds = await c.next(EDS);
    assert.equal(eds.versionInfo, V.eds);
    assert.deepEqual(resourceNames(eds), ['orders']);
    assert.equal(endpointPort(eds, 'orders'), 8080);
    c.request({ typeUrl: LDS });
    const lds = await c.next(LDS);
    assert.equal(lds.versionInfo, V.lds);
    assert.deepEqual(resourceNames(lds), ['ingress']);
    c.request({ typeUrl: RDS, resourceNames: ['ingress-routes'] });
    const rds = await c.next(RDS);
    assert.equal(rds.versionInfo, V.rds);
    assert.deepEqual(resourceNames(rds), ['ingress-routes']);
    assert.equal(new Set([cds.nonce, eds.nonce, lds.nonce, rds.nonce]).size, 4, 'nonces are unique');
  });

  test('ACK records the acked version; the registry shows the proxy as SYNCED', async (t) => {
    const xds = await setup(t);
    const connected = once(xds.server.status, 'connect');
    const c = xds.connect({ id: 'proxy-7', cluster: 'orders', metadata: { group: 'g', 'laneway.kind': 'sidecar' } });
    c.request({ typeUrl: CDS });
    const cds = await c.next(CDS);
    assert.deepEqual((await connected)[0], { streamId: 1, nodeId: 'proxy-7', group: 'g' });
    assert.equal(syncState(xds.server.status.list()[0]!.perType[CDS]), 'STALE');
    c.ack(cds);
    await xds.server.status.waitForAck('proxy-7', CDS, V.cds, 2000);
    const [proxy] = xds.server.status.list();
    assert.equal(proxy!.nodeId, 'proxy-7');
    assert.equal(proxy!.cluster, 'orders');
    assert.deepEqual(proxy!.metadata, { group: 'g', 'laneway.kind': 'sidecar' });
    assert.equal(proxy!.group, 'g');
    assert.ok(proxy!.connectedAt instanceof Date);
    assert.deepEqual(proxy!.perType, {
      [CDS]: { sentVersion: V.cds, sentNonce: cds.nonce, ackedVersion: V.cds, ackedNonce: cds.nonce, responsesSent: 1 },
    });
    assert.equal(syncState(proxy!.perType[CDS]), 'SYNCED');
    assert.equal(syncState(xds.server.status.list()[0]!.perType[LDS]), 'IGNORED');
  });

  test('NACK: error recorded and logged, nothing resent; new content is sent and its ACK clears the error', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: LDS });
    const first = await c.next(LDS);
    const nacked = once(xds.server.status, 'nack');
    c.nack(first, 'listener ingress: invalid filter chain');
    const [event] = (await nacked) as [NackEvent];
    assert.deepEqual(event, {
      streamId: 1, nodeId: 'proxy-1', group: 'g', typeUrl: LDS, version: V.lds, nonce: first.nonce, acceptedVersion: '', error: 'listener ingress: invalid filter chain',
    });
    const status = xds.server.status.list()[0]!.perType[LDS]!;
    assert.equal(status.nackError, 'listener ingress: invalid filter chain');
    assert.equal(syncState(status), 'NACKED');
    const log = xds.logs.find((l) => l.msg === 'NACK: proxy rejected config');
    assert.equal(log?.level, 40);
    assert.equal(log?.nodeId, 'proxy-1');
    assert.equal(log?.typeUrl, LDS);
    assert.equal(log?.version, V.lds);
    assert.equal(log?.error, 'listener ingress: invalid filter chain');

    xds.cache.setSnapshot('g', [...base(), cluster('search')]); // LDS unchanged
    assert.deepEqual(await c.unreadAfter(300), []);
    assert.equal(xds.server.status.list()[0]!.perType[LDS]!.responsesSent, 1);

    xds.cache.setSnapshot('g', [...base(), cluster('search'), listener('admin')]);
    const second = await c.next(LDS);
    assert.notEqual(second.versionInfo, V.lds);
    assert.deepEqual(resourceNames(second), ['admin', 'ingress']);
    c.ack(second);
    await xds.server.status.waitForAck('proxy-1', LDS, second.versionInfo);
    assert.equal(xds.server.status.list()[0]!.perType[LDS]!.nackError, undefined);
  });

  test('a request with an older nonce is ignored; the names of the next ACK are answered at once', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: EDS, resourceNames: ['orders'] });
    const r1 = await c.next(EDS);
    c.ack(r1);
    await xds.server.status.waitForAck('proxy-1', EDS, V.eds);
    xds.cache.setSnapshot('g', [...without(base(), EDS, 'orders'), endpoints('orders', 9090)]);
    const r2 = await c.next(EDS);
    assert.equal(endpointPort(r2, 'orders'), 9090);
    c.request({ typeUrl: EDS, resourceNames: ['orders', 'payments'], versionInfo: r1.versionInfo, responseNonce: r1.nonce });
    assert.deepEqual(await c.unreadAfter(300), [], 'stale request: no answer');
    assert.equal(xds.server.status.list()[0]!.perType[EDS]!.ackedNonce, r1.nonce);
    c.ack(r2, ['orders', 'payments']);
    const r3 = await c.next(EDS);
    assert.equal(r3.versionInfo, r2.versionInfo);
    assert.deepEqual(resourceNames(r3), ['orders', 'payments']);
  });

  test('two streams subscribed to the same names share nothing they can see: one narrowing its names leaves the other as it was', async (t) => {
    const xds = await setup(t);
    const a = xds.connect({ id: 'proxy-a', cluster: 'orders' });
    const b = xds.connect({ id: 'proxy-b', cluster: 'orders' });
    a.request({ typeUrl: EDS, resourceNames: ['orders', 'payments'] });
    b.request({ typeUrl: EDS, resourceNames: ['payments', 'orders'] });
    const [ra, rb] = [await a.next(EDS), await b.next(EDS)];
    assert.deepEqual([resourceNames(ra), resourceNames(rb)], [['orders', 'payments'], ['orders', 'payments']]);
    a.ack(ra);
    b.ack(rb, ['orders']);
    await xds.server.status.waitForAck('proxy-b', EDS, V.eds);
    assert.deepEqual(await b.unreadAfter(200), [], 'dropping a name needs no answer');
    xds.cache.setSnapshot('g', [...without(base(), EDS, 'payments'), endpoints('payments', 9191)]);
    const update = await a.next(EDS);
    assert.deepEqual(resourceNames(update), ['orders', 'payments']);
    assert.equal(endpointPort(update, 'payments'), 9191);
    assert.deepEqual(await b.unreadAfter(300), [], 'b no longer watches payments, and orders did not change');
  });

  test('an added EDS name is answered immediately with the same version', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: EDS, resourceNames: ['orders'] });
    const r1 = await c.next(EDS);
    c.ack(r1, ['orders', 'payments']);
    const r2 = await c.next(EDS, 500);
    assert.equal(r2.versionInfo, V.eds);
    assert.deepEqual(resourceNames(r2), ['orders', 'payments']);
    assert.notEqual(r2.nonce, r1.nonce);
  });

  test('names that do not exist yet are sent when they appear; other names do not trigger a push', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: EDS, resourceNames: ['search'] });
    const r1 = await c.next(EDS);
    assert.deepEqual(resourceNames(r1), []);
    c.ack(r1);
    xds.cache.setSnapshot('g', [...without(base(), EDS, 'payments'), endpoints('payments', 9091)]);
    assert.deepEqual(await c.unreadAfter(300), []);
    xds.cache.setSnapshot('g', [...base(), endpoints('search', 8082)]);
    const r2 = await c.next(EDS);
    assert.deepEqual(resourceNames(r2), ['search']);
    assert.equal(endpointPort(r2, 'search'), 8082);
  });

  test('an empty name list unsubscribes: no answer, no pushes; subscribing again is answered', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: EDS, resourceNames: ['orders'] });
    const r1 = await c.next(EDS);
    c.ack(r1, []);
    assert.deepEqual(await c.unreadAfter(300), []);
    xds.cache.setSnapshot('g', [...without(base(), EDS, 'orders'), endpoints('orders', 9090)]);
    assert.deepEqual(await c.unreadAfter(300), []);
    c.ack(r1, ['orders']);
    const r2 = await c.next(EDS);
    assert.equal(endpointPort(r2, 'orders'), 9090);
  });

  test('on a new stream, a nonce from an earlier stream marks an initial request: it is answered', async (t) => {
    const xds = await setup(t);
    const first = xds.connect();
    first.request({ typeUrl: CDS });
    const old = await first.next(CDS);
    first.close();
    const second = xds.connect();
    second.request({ typeUrl: CDS, versionInfo: old.versionInfo, responseNonce: old.nonce });
    const again = await second.next(CDS);
    assert.equal(again.versionInfo, V.cds);
    assert.deepEqual(resourceNames(again), ['orders', 'payments']);
    assert.notEqual(again.nonce, old.nonce);
  });
});

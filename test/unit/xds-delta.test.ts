// Incremental (delta) ADS over a real gRPC connection: wildcard and named subscriptions, per-resource
// versions, removals, reconnects with initial_resource_versions, ACK/NACK, stale nonces.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { describe, test, type TestContext } from 'node:test';
import { status } from '@grpc/grpc-js';
import type { ResourceInput } from '../../control-plane/src/xds/cache.js';
import { syncState, type NackEvent } from '../../control-plane/src/xds/proxy-status.js';
import { DeltaAdsClient, deltaSummary, deltaVersions } from '../support/delta-ads-client.js';
import { cluster, endpoints, listener, routes } from '../support/xds-fixtures.js';
import { startTestXds, type TestXds, type TestXdsOptions } from '../support/xds-harness.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const EDS = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const RDS = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';

// sha256 of each serialized resource, first 16 hex digits (see xds-snapshot.test.ts), and type versions.
const R = {
  clusterOrders: '5172cb143af72679', clusterPayments: '8aaad2d95e10d7fb', clusterShipping: '144c62c52d52495b',
  edsOrders8080: '82b3adfb82041908', edsPayments8081: '7049d51c0468a4eb', edsPayments9091: 'bae59beb8d72ee29',
  listenerIngress: '53039c6af5a74269',
};
const V = { cds: '76072aab8ce4e162', eds: '6cc816c2f7647989' };

const base = (): ResourceInput[] => [
  cluster('orders'), cluster('payments'), endpoints('orders', 8080), endpoints('payments', 8081), listener('ingress'), routes('ingress-routes'),
];

async function setup(t: TestContext, opts: TestXdsOptions = {}) {
  const xds = await startTestXds(opts);
  t.after(() => xds.close());
  xds.cache.setSnapshot('g', base());
  const connect = (node: { id: string; cluster?: string } | null = { id: 'proxy-1', cluster: 'orders' }) => {
    const c = new DeltaAdsClient(xds.server.port, node ?? undefined);
    t.after(() => c.close());
    return c;
  };
  return { xds, connect };
}

function sha16(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

describe('Delta ADS', () => {
  test('wildcard CDS (empty first subscription): every cluster, each with its own content-hash version', async (t) => {
    const { connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: CDS });
    const cds = await c.next(CDS);
    assert.deepEqual(deltaVersions(cds), { orders: R.clusterOrders, payments: R.clusterPayments });
    for (const r of cds.resources) {
      assert.equal(r.resource?.typeUrl, CDS);
      assert.equal(r.version, sha16(r.resource!.value), 'version is the hash of the bytes sent');
    }
    assert.deepEqual(cds.removedResources, []);
    assert.equal(cds.systemVersionInfo, V.cds);
    assert.equal(cds.typeUrl, CDS);
    assert.notEqual(cds.nonce, '');
  });

  test('named EDS: what was asked for; names that do not exist come back as removed', async (t) => {
    const { connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['orders', 'not-there'] });
    const eds = await c.next(EDS);
    assert.deepEqual(deltaVersions(eds), { orders: R.edsOrders8080 });
    assert.deepEqual(eds.removedResources, ['not-there']);
  });

  test('a named type with no first subscription gets an empty answer, not everything', async (t) => {
    const { connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS });
    const eds = await c.next(EDS);
    assert.deepEqual(deltaSummary(eds), []);
  });

  test('explicit "*" subscribes a named type to everything; unsubscribing "*" keeps only named ones', async (t) => {
    const { xds, connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['*'] });
    const all = await c.next(EDS);
    assert.deepEqual(deltaSummary(all), ['orders', 'payments']);
    c.ack(all, { subscribe: ['orders'], unsubscribe: ['*'] });
    c.ack(await c.next(EDS)); // the re-subscribe of orders is answered
    await xds.server.status.waitForAck('proxy-1', EDS, V.eds, 2000);
    xds.cache.setSnapshot('g', [...base().filter((r) => r.name !== 'payments' || r.typeUrl !== EDS), endpoints('payments', 9091)]);
    assert.deepEqual(await c.unreadAfter(80, EDS), [], 'payments is no longer watched');
  });

  test('named first, then "*": the names never sent are sent, the one held is not', async (t) => {
    const { xds, connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['orders'] });
    c.ack(await c.next(EDS));
    await xds.server.status.waitForAck('proxy-1', EDS, V.eds, 2000);
    c.request({ typeUrl: EDS, subscribe: ['*'] });
    assert.deepEqual(deltaSummary(await c.next(EDS)), ['payments']);
    assert.deepEqual(xds.server.status.config(1, EDS)!.sent?.resources.map((r) => r.name), ['orders', 'payments'], 'the dump shows what it holds');
  });

  test('ACK: the registry shows the proxy SYNCED at the type version; NACK: recorded, not resent', async (t) => {
    const { xds, connect } = await setup(t);
    const c = connect({ id: 'proxy-7', cluster: 'orders' });
    c.request({ typeUrl: CDS });
    const cds = await c.next(CDS);
    assert.equal(syncState(xds.server.status.list()[0]!.perType[CDS]), 'STALE');
    c.ack(cds);
    await xds.server.status.waitForAck('proxy-7', CDS, V.cds, 2000);
    assert.deepEqual(xds.server.status.list()[0]!.perType[CDS], {
      sentVersion: V.cds, sentNonce: cds.nonce, ackedVersion: V.cds, ackedNonce: cds.nonce, responsesSent: 1,
    });
    const held = xds.server.status.config(1, CDS)!;
    assert.deepEqual(held.acked?.resources.map((r) => r.name), ['orders', 'payments']);

    xds.cache.setSnapshot('g', [...base(), cluster('shipping')]);
    const update = await c.next(CDS);
    assert.deepEqual(deltaSummary(update), ['shipping'], 'only the new cluster');
    const nacked = once(xds.server.status, 'nack');
    c.nack(update, 'cluster shipping: bad');
    const [event] = (await nacked) as [NackEvent];
    assert.equal(event.version, update.systemVersionInfo);
    assert.equal(event.acceptedVersion, V.cds);
    assert.equal(event.error, 'cluster shipping: bad');
    assert.equal(syncState(xds.server.status.list()[0]!.perType[CDS]), 'NACKED');
    assert.deepEqual(await c.unreadAfter(100), [], 'a NACK is not answered by resending');
    assert.ok(xds.logs.some((l) => l.msg === 'NACK: proxy rejected config' && l.error === 'cluster shipping: bad'));
  });

  test('a stale nonce is not an ACK, but its subscription change is honoured', async (t) => {
    const { xds, connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['orders'] });
    const first = await c.next(EDS);
    c.request({ typeUrl: EDS, responseNonce: 'not-a-nonce-of-ours', subscribe: ['payments'] });
    const second = await c.next(EDS);
    assert.deepEqual(deltaSummary(second), ['payments']);
    assert.equal(xds.server.status.list()[0]!.perType[EDS]!.ackedNonce, undefined, 'nothing acked yet');
    c.ack(first);
    c.ack(second);
    await xds.server.status.waitForAck('proxy-1', EDS, V.eds, 2000);
  });

  test('unsubscribe: no answer, and later changes to the name are not sent', async (t) => {
    const { xds, connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['orders', 'payments'] });
    c.ack(await c.next(EDS), { unsubscribe: ['payments', 'never-had'] });
    await xds.server.status.waitForAck('proxy-1', EDS, V.eds, 2000);
    xds.cache.setSnapshot('g', [...base().filter((r) => r.name !== 'payments' || r.typeUrl !== EDS), endpoints('payments', 9091)]);
    assert.deepEqual(await c.unreadAfter(100), []);
  });

  test('a re-subscribe is always answered, even when the client already holds the version', async (t) => {
    const { connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['orders'] });
    c.ack(await c.next(EDS), { subscribe: ['orders'] });
    assert.deepEqual(deltaVersions(await c.next(EDS)), { orders: R.edsOrders8080 });
  });

  test('a name that appears later is sent when it does', async (t) => {
    const { xds, connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: EDS, subscribe: ['shipping'] });
    const none = await c.next(EDS);
    assert.deepEqual(none.removedResources, ['shipping']);
    c.ack(none);
    xds.cache.setSnapshot('g', [...base(), cluster('shipping'), endpoints('shipping', 8082)]);
    assert.deepEqual(deltaSummary(await c.next(EDS)), ['shipping']);
  });
});

describe('Delta ADS reconnect', () => {
  test('initial_resource_versions: only what differs is sent, and what is gone is removed', async (t) => {
    const { connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: CDS, initialResourceVersions: { orders: R.clusterOrders, payments: 'old', gone: 'x' } });
    const cds = await c.next(CDS);
    assert.deepEqual(deltaVersions(cds), { payments: R.clusterPayments });
    assert.deepEqual(cds.removedResources, ['gone']);
    c.request({ typeUrl: EDS, subscribe: ['orders', 'payments'], initialResourceVersions: { orders: R.edsOrders8080, payments: R.edsPayments8081 } });
    const eds = await c.next(EDS);
    assert.deepEqual(deltaSummary(eds), [], 'the first request of a type is answered even when nothing differs');
  });

  test('a nonce from an earlier stream on a new stream is an initial request, answered', async (t) => {
    const { connect } = await setup(t);
    const c = connect();
    c.request({ typeUrl: CDS, responseNonce: 'abcd-3', initialResourceVersions: { orders: R.clusterOrders } });
    assert.deepEqual(deltaSummary(await c.next(CDS)), ['payments']);
  });

  test('a stream without a snapshot for its group waits, then gets the first one', async (t) => {
    const { xds, connect } = await setup(t, { groupForNode: () => ({ group: 'later' }) });
    const c = connect();
    c.request({ typeUrl: LDS });
    assert.deepEqual(await c.unreadAfter(80), []);
    xds.cache.setSnapshot('later', [listener('ingress')]);
    assert.deepEqual(deltaVersions(await c.next(LDS)), { ingress: R.listenerIngress });
  });
});

describe('Delta ADS admission', () => {
  test('until the cache is ready, delta streams are refused with UNAVAILABLE', async (t) => {
    const { connect } = await setup(t, { ready: false });
    const c = connect();
    c.request({ typeUrl: CDS });
    assert.equal((await c.status).code, status.UNAVAILABLE);
  });

  test('a first request without node.id, or without type_url, is refused with INVALID_ARGUMENT', async (t) => {
    const { xds, connect } = await setup(t);
    const anonymous = connect(null);
    anonymous.request({ typeUrl: CDS });
    const s = await anonymous.status;
    assert.equal(s.code, status.INVALID_ARGUMENT);
    assert.match(s.details, /must carry node\.id/);
    const untyped = connect();
    untyped.request({ typeUrl: '' });
    assert.equal((await untyped.status).code, status.INVALID_ARGUMENT);
    assert.ok(xds.logs.some((l) => l.msg === 'ending stream'));
  });

  test('connect and disconnect are tracked and logged as delta', async (t: TestContext) => {
    const { xds, connect } = await setup(t);
    const c = connect({ id: 'proxy-d', cluster: 'orders' });
    c.request({ typeUrl: CDS });
    await c.next(CDS);
    assert.deepEqual(xds.server.status.list().map((p) => p.nodeId), ['proxy-d']);
    const gone = once(xds.server.status, 'disconnect');
    c.close();
    await gone;
    assert.deepEqual(xds.server.status.list(), []);
    assert.equal(findLog(xds, 'proxy connected')?.protocol, 'delta');
  });
});

function findLog(xds: TestXds, msg: string) {
  return xds.logs.find((l) => l.msg === msg);
}

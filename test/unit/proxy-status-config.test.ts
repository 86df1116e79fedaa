// The proxy status registry keeps, per stream and type, the resources of the latest response and of
// the response the proxy acked, so config dumps and explain can show them.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, test } from 'node:test';
import { ProxyStatusRegistry, type NackEvent } from '../../control-plane/src/xds/proxy-status.js';
import type { CachedResource } from '../../control-plane/src/xds/snapshot.js';
import { cluster, listener } from '../support/xds-fixtures.js';
import { startTestXds } from '../support/xds-harness.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';

const res = (name: string, version: string): CachedResource => ({ name, version, anyBytes: new Uint8Array([1]) });
const names = (list: readonly CachedResource[] | undefined) => list?.map((r) => `${r.name}@${r.version}`);

function connected(): ProxyStatusRegistry {
  const registry = new ProxyStatusRegistry();
  registry.recordConnect({ streamId: 7, nodeId: 'n', cluster: 'c', metadata: {}, group: 'g', connectedAt: new Date(0) });
  registry.recordRequested(7, CDS);
  return registry;
}

describe('proxy status: sent and acked config', () => {
  test('a type never requested has no config; a requested one starts empty', () => {
    const registry = connected();
    assert.equal(registry.config(7, LDS), undefined);
    assert.deepEqual(registry.config(7, CDS), { nacks: 0 });
  });

  test('the ACK of the latest response makes its resources the acked ones', () => {
    const registry = connected();
    registry.recordSent(7, CDS, 'v1', 'n1', [res('a', '1'), res('b', '1')]);
    assert.deepEqual(names(registry.config(7, CDS)!.sent?.resources), ['a@1', 'b@1']);
    assert.equal(registry.config(7, CDS)!.acked, undefined);
    registry.recordAck(7, CDS, 'v1', 'n1');
    registry.recordSent(7, CDS, 'v2', 'n2', [res('a', '2')]);
    const c = registry.config(7, CDS)!;
    assert.deepEqual([c.sent?.version, c.sent?.nonce, names(c.sent?.resources)], ['v2', 'n2', ['a@2']]);
    assert.deepEqual([c.acked?.version, c.acked?.nonce, names(c.acked?.resources)], ['v1', 'n1', ['a@1', 'b@1']]);
  });

  test('a NACK counts and names the rejected version; the acked config stays; the next ACK clears it', () => {
    const registry = connected();
    registry.recordSent(7, CDS, 'v1', 'n1', [res('a', '1')]);
    registry.recordAck(7, CDS, 'v1', 'n1');
    registry.recordSent(7, CDS, 'v2', 'n2', [res('bad', '1')]);
    registry.recordNack(7, { typeUrl: CDS, version: 'v2', nonce: 'n2', acceptedVersion: 'v1', error: 'rejected' });
    let c = registry.config(7, CDS)!;
    assert.deepEqual([c.nacks, c.nackedVersion, c.acked?.version, names(c.acked?.resources)], [1, 'v2', 'v1', ['a@1']]);
    registry.recordSent(7, CDS, 'v3', 'n3', [res('a', '3')]);
    registry.recordAck(7, CDS, 'v3', 'n3');
    c = registry.config(7, CDS)!;
    assert.deepEqual([c.nacks, c.nackedVersion, c.acked?.version], [1, undefined, 'v3']);
  });

  test('a disconnect forgets the stream\'s config', () => {
    const registry = connected();
    registry.recordSent(7, CDS, 'v1', 'n1', [res('a', '1')]);
    registry.recordDisconnect(7);
    assert.equal(registry.config(7, CDS), undefined);
  });

  test('a real ADS stream records what it sent, what was acked, and each NACK', async (t) => {
    const xds = await startTestXds();
    t.after(() => xds.close());
    xds.cache.setSnapshot('g', [cluster('orders'), cluster('payments'), listener('ingress')]);
    const c = xds.connect({ id: 'proxy-9', cluster: 'orders' });
    c.request({ typeUrl: CDS });
    const first = await c.next(CDS);
    c.ack(first);
    await xds.server.status.waitForAck('proxy-9', CDS, first.versionInfo, 2000);
    const [proxy] = xds.server.status.list();
    const config = xds.server.status.config(proxy!.streamId, CDS)!;
    assert.deepEqual(config.sent?.resources.map((r) => r.name), ['orders', 'payments']);
    assert.equal(config.acked?.nonce, first.nonce);

    xds.cache.setSnapshot('g', [cluster('orders'), listener('ingress')]);
    const second = await c.next(CDS);
    const nacked = once(xds.server.status, 'nack');
    c.nack(second, 'cluster orders: no', first.versionInfo);
    assert.equal(((await nacked) as [NackEvent])[0].version, second.versionInfo);
    const after = xds.server.status.config(proxy!.streamId, CDS)!;
    assert.deepEqual([after.nacks, after.nackedVersion, after.acked?.version], [1, second.versionInfo, first.versionInfo]);
  });
});

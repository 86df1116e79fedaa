// The debugging routes over real HTTP, wired as a buildApi plugin: proxy status, config dumps,
// explain (and its check of what a proxy acked), metrics, and the test-only fault injection.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { DEFAULT_SETTINGS, type MeshState } from '../../control-plane/src/model/types.js';
import { wireDebugging } from '../../control-plane/src/runtime/debug-wiring.js';
import { proxyTargetFromNode } from '../../control-plane/src/runtime/node-target.js';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import { FileStore } from '../../control-plane/src/sources/store.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { ProxyStatusRegistry } from '../../control-plane/src/xds/proxy-status.js';
import { PUSH_ORDER, TypeUrl } from '../../control-plane/src/xds/type-urls.js';

const svc = (name: string, ip: string) => ({ name, protocol: 'http' as const, port: 8080, endpoints: [`${ip}:8080`] });
const WITH_LANE: MeshState = {
  settings: { ...DEFAULT_SETTINGS },
  services: { frontend: svc('frontend', '10.0.0.1'), orders: svc('orders', '10.0.0.2') },
  lanes: { 'feature-x': { name: 'feature-x', services: { orders: ['10.0.1.2:8080'] } } },
};
const WITHOUT_LANE: MeshState = { ...WITH_LANE, lanes: {} };
const metadata = (service: string, port: number) => ({ 'laneway.kind': 'sidecar', 'laneway.service': service, 'laneway.lane': 'stable', 'laneway.listener_port': String(port) });

/** Records a proxy that was sent, and acked, its group's current snapshot. */
function simulateProxy(status: ProxyStatusRegistry, cache: SnapshotCache, publisher: SnapshotPublisher, streamId: number, nodeId: string, md: Record<string, string>): string {
  const target = proxyTargetFromNode({ id: nodeId, cluster: md['laneway.service']!, metadata: md });
  if ('error' in target) throw new Error(target.error);
  const group = publisher.register(target);
  status.recordConnect({ streamId, nodeId, cluster: md['laneway.service']!, metadata: md, group, connectedAt: new Date(Date.UTC(2030, 0, 1)) });
  for (const [i, typeUrl] of PUSH_ORDER.entries()) {
    const ts = cache.getSnapshot(group)!.types.get(typeUrl)!;
    status.recordRequested(streamId, typeUrl);
    status.recordSent(streamId, typeUrl, ts.version, `n${i}`, [...ts.resources.values()]);
    status.recordAck(streamId, typeUrl, ts.version, `n${i}`);
  }
  return group;
}

async function start(env: NodeJS.ProcessEnv) {
  const dataDir = mkdtempSync(join(tmpdir(), 'laneway-debug-api-'));
  const logger = pino({ level: 'silent' });
  const store = await FileStore.open(dataDir);
  const cache = new SnapshotCache();
  const publisher = new SnapshotPublisher(cache, logger);
  const status = new ProxyStatusRegistry();
  let state = WITHOUT_LANE;
  publisher.publish(state);
  const debug = wireDebugging({ status, publisher, getState: () => state, storeState: () => state, logger, env, replicaId: 'replica-a' });
  const app = buildApi({ store, getState: () => state, logger, plugins: [debug.plugin] });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  return {
    status, cache, publisher,
    setState(next: MeshState) {
      state = next;
      publisher.publish(next);
    },
    async call(method: string, path: string, body?: unknown) {
      const res = await fetch(`${base}${path}`, { method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
      const text = await res.text();
      return { status: res.status, type: res.headers.get('content-type'), text, body: res.headers.get('content-type')?.includes('json') && text ? JSON.parse(text) : undefined };
    },
    async close() {
      await app.close();
      debug.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

describe('debugging API', () => {
  let api: Awaited<ReturnType<typeof start>>;
  let group = '';

  before(async () => {
    api = await start({ LANEWAY_TEST_FAULTS: '1' });
    // The proxy acked the config of a mesh without lanes; the lane is added after.
    group = simulateProxy(api.status, api.cache, api.publisher, 3, 'frontend-1', metadata('frontend', 15001));
    api.setState(WITH_LANE);
  });
  after(() => api.close());

  test('GET /v1/proxies: identity, replica and per-type status', async () => {
    const res = await api.call('GET', '/v1/proxies');
    assert.equal(res.status, 200);
    assert.equal(res.body.replica, 'replica-a');
    const [p] = res.body.items;
    assert.deepEqual(
      [p.id, p.cluster, p.kind, p.service, p.lane, p.replica, p.connectedAt, p.streamId, p.group],
      ['frontend-1', 'frontend', 'sidecar', 'frontend', 'stable', 'replica-a', '2030-01-01T00:00:00.000Z', 3, group],
    );
    assert.deepEqual(Object.keys(p.types), ['CDS', 'EDS', 'LDS', 'RDS']);
    const rds = api.cache.getSnapshot(group)!;
    assert.equal(p.types.RDS.status, 'SYNCED');
    assert.notEqual(p.types.RDS.ackedVersion, rds.types.get(TypeUrl.RouteConfiguration)!.version, 'acked before the lane was added');
    assert.deepEqual({ ...p.types.CDS, sentVersion: 'x', ackedVersion: 'x' }, {
      typeUrl: TypeUrl.Cluster, status: 'SYNCED', sentVersion: 'x', ackedVersion: 'x', nonce: 'n0', nackError: null, responsesSent: 1, nacks: 0, resources: 2,
    });
  });

  test('GET /v1/proxies/:id and its config dump; unknown proxies and resource kinds are 4xx', async () => {
    assert.equal((await api.call('GET', '/v1/proxies/frontend-1')).body.id, 'frontend-1');
    const missing = await api.call('GET', '/v1/proxies/nope');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');
    const dump = await api.call('GET', '/v1/proxies/frontend-1/config_dump?resource=routes,clusters');
    assert.deepEqual(dump.body.configs.map((c: { '@type': string }) => c['@type']), [
      'type.googleapis.com/envoy.admin.v3.ClustersConfigDump', 'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    ]);
    assert.deepEqual(dump.body.configs[0].dynamic_active_clusters.map((c: any) => c.cluster.name), ['frontend~stable', 'orders~stable']);
    const bad = await api.call('GET', '/v1/proxies/frontend-1/config_dump?resource=secrets');
    assert.equal(bad.status, 400);
    assert.deepEqual(bad.body.details, [{ path: 'query/resource', reason: '"secrets" is not a comma-separated list of clusters, endpoints, listeners, routes (empty or absent: all)' }]);
    assert.equal((await api.call('GET', '/v1/proxies/frontend-1/config_dump?state=later')).status, 400);
  });

  test('explain, and from= checks what the proxy acked, not what the model says', async () => {
    const res = await api.call('GET', '/v1/explain?service=orders&lane=feature-x&from=frontend');
    assert.equal(res.status, 200);
    assert.equal(res.body.winner, 'feature-x');
    assert.deepEqual(res.body.from.proxies.map((p: any) => [p.id, p.holdsRoute, p.problems]), [
      ['frontend-1', false, ['its route sends to cluster orders~stable, not orders~feature-x']],
    ]);
    const stable = await api.call('GET', '/v1/explain?service=orders&from=frontend');
    assert.deepEqual(stable.body.from.proxies.map((p: any) => [p.id, p.holdsRoute, p.via, p.cluster]), [
      ['frontend-1', true, 'routes[0]', 'orders~stable'],
    ]);
    const nobody = await api.call('GET', '/v1/explain?service=orders&from=payments');
    assert.deepEqual(nobody.body.from, { service: 'payments', proxies: [], note: 'no proxy fronting payments is connected to this replica' });
    assert.equal((await api.call('GET', '/v1/explain?service=nope')).status, 404);
    assert.equal((await api.call('GET', '/v1/explain?lane=feature-x')).status, 400);
  });

  test('GET /metrics: Prometheus text with the xDS event counters', async () => {
    api.status.recordNack(3, { typeUrl: TypeUrl.Listener, version: 'v', nonce: 'n2', acceptedVersion: 'v0', error: 'no' });
    const res = await api.call('GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.type ?? '', /^text\/plain/);
    assert.match(res.text, /^laneway_xds_connects_total 1$/m);
    assert.match(res.text, /^laneway_xds_nacks_total\{type="LDS"\} 1$/m);
    assert.match(res.text, /^laneway_xds_connected_proxies 1$/m);
    assert.match(res.text, /^process_cpu_user_seconds_total /m);
  });

  test('test faults: a resource Envoy rejects is added to the proxy\'s group, and removed', async () => {
    const listeners = () => [...api.cache.getSnapshot(group)!.types.get(TypeUrl.Listener)!.resources.keys()];
    const added = await api.call('POST', '/v1/debug/faults', { proxy: 'frontend-1', kind: 'listener' });
    assert.equal(added.status, 200);
    assert.deepEqual(added.body, { proxy: 'frontend-1', kind: 'listener', resource: 'laneway-test-fault', group });
    assert.deepEqual(listeners(), ['laneway-test-fault', 'outbound']);
    assert.equal((await api.call('POST', '/v1/debug/faults', { proxy: 'nope' })).status, 404);
    const cleared = await api.call('DELETE', '/v1/debug/faults');
    assert.deepEqual(cleared.body, { cleared: [group] });
    assert.deepEqual(listeners(), ['outbound']);
  });
});

describe('debugging API without LANEWAY_TEST_FAULTS', () => {
  test('has no fault routes', async (t) => {
    const api = await start({});
    t.after(() => api.close());
    assert.equal((await api.call('POST', '/v1/debug/faults', { proxy: 'x' })).status, 404);
    assert.equal((await api.call('GET', '/v1/proxies')).status, 200);
  });
});

describe('debugging API in the OpenAPI document', () => {
  test('lists the debugging routes', async (t) => {
    const api = await start({});
    t.after(() => api.close());
    const doc = await api.call('GET', '/openapi.json');
    const paths = Object.keys(doc.body.paths);
    for (const p of ['/v1/proxies', '/v1/proxies/{id}', '/v1/proxies/{id}/config_dump', '/v1/explain']) assert.ok(paths.includes(p), `${p} in ${paths.join(' ')}`);
  });
});

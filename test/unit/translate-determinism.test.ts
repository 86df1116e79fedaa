// Same input, same bytes: replicas and reconnecting Envoys must see identical resources, whatever
// order a source happened to build its maps and lists in.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { encodeResources, translateProxy } from '../../control-plane/src/translate/index.js';
import type { ProxyTarget } from '../../control-plane/src/translate/proxy.js';

const sidecar: ProxyTarget = { kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15002 };
const ingress: ProxyTarget = { kind: 'ingress', listenerAddress: '0.0.0.0', listenerPort: 10000 };

function state(): MeshState {
  return {
    settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'frontend' },
    services: {
      frontend: { name: 'frontend', protocol: 'http', port: 8080, endpoints: ['127.0.0.1:3000'] },
      orders: { name: 'orders', protocol: 'http', port: 8080, endpoints: ['127.0.0.1:3001', '127.0.0.1:3011', 'orders.internal:80'] },
      payments: { name: 'payments', protocol: 'grpc', port: 9090, endpoints: ['10.0.0.2:9090', '10.0.0.1:9090'] },
    },
    lanes: {
      'feature-x': { name: 'feature-x', services: { orders: ['127.0.0.1:3101'], frontend: ['127.0.0.1:3100'] } },
      'feature-y': { name: 'feature-y', fallback: 'feature-x', services: { payments: ['10.0.1.2:9090', '10.0.1.1:9090'] } },
    },
  };
}

/** The same state, every map built in reverse key order and every endpoint list reversed. */
function reversed(s: MeshState): MeshState {
  const rev = <T>(record: Record<string, T>, f: (v: T) => T): Record<string, T> =>
    Object.fromEntries(Object.entries(record).reverse().map(([k, v]) => [k, f(v)]));
  return {
    settings: { entryService: s.settings.entryService, servedByHeader: s.settings.servedByHeader, laneHeader: s.settings.laneHeader },
    services: rev(s.services, (svc) => ({ ...svc, endpoints: [...svc.endpoints].reverse() })),
    lanes: rev(s.lanes, (lane) => ({ ...lane, services: rev(lane.services, (eps) => [...eps].reverse()) })),
  };
}

function bytesOf(s: MeshState, proxy: ProxyTarget): Array<[string, string, string]> {
  return encodeResources(translateProxy(s, proxy)).map((r) => [r.typeUrl, r.name, Buffer.from(r.value).toString('hex')]);
}

for (const proxy of [sidecar, ingress]) {
  test(`${proxy.kind}: translating the same state twice gives identical bytes`, () => {
    const first = bytesOf(state(), proxy);
    assert.equal(first.length, 1 + 1 + 6 + 5, 'listener, route config, 6 clusters, 5 EDS assignments (orders~stable is DNS)');
    assert.deepEqual(bytesOf(state(), proxy), first);
  });

  test(`${proxy.kind}: maps and lists in another insertion order give identical bytes`, () => {
    const s = state();
    assert.notDeepEqual(Object.keys(reversed(s).services), Object.keys(s.services), 'the test really reorders');
    assert.deepEqual(bytesOf(reversed(s), proxy), bytesOf(s, proxy));
  });
}

test('resources come out sorted by name within each type', () => {
  const names = encodeResources(translateProxy(state(), sidecar)).map((r) => `${r.typeUrl.split('.').pop()} ${r.name}`);
  assert.deepEqual(names, [
    'Listener outbound',
    'RouteConfiguration outbound',
    'Cluster frontend~feature-x',
    'Cluster frontend~stable',
    'Cluster orders~feature-x',
    'Cluster orders~stable',
    'Cluster payments~feature-y',
    'Cluster payments~stable',
    'ClusterLoadAssignment frontend~feature-x',
    'ClusterLoadAssignment frontend~stable',
    'ClusterLoadAssignment orders~feature-x',
    'ClusterLoadAssignment payments~feature-y',
    'ClusterLoadAssignment payments~stable',
  ]);
});

test('encoded resources carry the v3 type URLs and their names', () => {
  const byType = new Map<string, string[]>();
  for (const r of encodeResources(translateProxy(state(), ingress))) byType.set(r.typeUrl, [...(byType.get(r.typeUrl) ?? []), r.name]);
  assert.deepEqual([...byType.keys()], [
    'type.googleapis.com/envoy.config.listener.v3.Listener',
    'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
    'type.googleapis.com/envoy.config.cluster.v3.Cluster',
    'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  ]);
  assert.deepEqual(byType.get('type.googleapis.com/envoy.config.listener.v3.Listener'), ['ingress']);
  assert.deepEqual(byType.get('type.googleapis.com/envoy.config.route.v3.RouteConfiguration'), ['ingress']);
});

// Data-plane translation rules in tables: lane dispatch size does not depend on lane count, which
// lane-entry mechanisms each proxy kind gets, sidecar scoping, fallback-on-unhealthy clusters.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { laneEntryFor } from '../../control-plane/src/translate/lane-entry.js';
import { translateProxy, type ProxyTarget } from '../../control-plane/src/translate/index.js';
import { resourcesToJson } from '../../control-plane/src/translate/render.js';
import { visibleServices } from '../../control-plane/src/translate/scope.js';

const sidecar = (service: string): ProxyTarget => ({ kind: 'sidecar', service, listenerAddress: '127.0.0.1', listenerPort: 15001 });
const ingress: ProxyTarget = { kind: 'ingress', listenerAddress: '0.0.0.0', listenerPort: 10000 };

function mesh(lanes: number, extra: Partial<MeshState['settings']> = {}): MeshState {
  const service = (name: string, dependsOn?: string[]) => ({ name, protocol: 'http' as const, port: 8080, endpoints: ['127.0.0.1:3000'], ...(dependsOn && { dependsOn }) });
  return {
    settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'orders', ...extra },
    services: { frontend: service('frontend', ['orders']), orders: service('orders'), payments: service('payments') },
    lanes: Object.fromEntries(Array.from({ length: lanes }, (_, i) => [`l${i}`, { name: `l${i}`, services: { orders: [`127.0.0.1:${4000 + i}`] } }])),
  };
}

function ordersVhost(state: MeshState): any {
  const json = resourcesToJson(translateProxy(state, sidecar('payments')));
  return (json.routes[0] as any).virtual_hosts.find((v: any) => v.name === 'orders');
}

test('lane dispatch is one exact-match map: no route list grows with the lane count', () => {
  for (const lanes of [1, 10, 1000]) {
    const vhost = ordersVhost(mesh(lanes));
    assert.equal(vhost.routes, undefined, `${lanes} lanes`);
    assert.equal(Object.keys(vhost.matcher.matcher_tree.exact_match_map.map).length, lanes);
    assert.equal(vhost.matcher.matcher_tree.input.typed_config.header_name, 'x-lane');
    assert.equal(vhost.matcher.on_no_match.action.typed_config.route.cluster, 'orders~stable');
  }
  assert.equal(ordersVhost(mesh(0)).routes.length, 1, 'no lanes: a single route to stable');
});

test('lane entry mechanisms per proxy kind, with defaults and switches', () => {
  const cases: Array<[Partial<MeshState['settings']>, 'sidecar' | 'ingress', object | undefined]> = [
    [{}, 'sidecar', { laneHeader: 'x-lane', baggage: 'lane' }],
    [{}, 'ingress', { laneHeader: 'x-lane', baggage: 'lane', cookie: 'laneway-lane', query: 'lane' }],
    [{ ingressDomain: 'App.Example.test' }, 'ingress', { laneHeader: 'x-lane', baggage: 'lane', hostSuffix: '.app.example.test', cookie: 'laneway-lane', query: 'lane' }],
    [{ ingressDomain: 'app.example.test' }, 'sidecar', { laneHeader: 'x-lane', baggage: 'lane' }],
    [{ laneHeader: 'Tag', laneFrom: { baggage: 'tag', cookie: false, query: 'sw' } }, 'ingress', { laneHeader: 'tag', baggage: 'tag', query: 'sw' }],
    [{ laneFrom: { baggage: false } }, 'sidecar', undefined],
    [{ laneFrom: { baggage: false, cookie: false, query: false } }, 'ingress', undefined],
  ];
  for (const [settings, kind, expected] of cases) {
    assert.deepEqual(laneEntryFor(mesh(0, settings), kind), expected, JSON.stringify({ settings, kind }));
  }
});

test('sidecar scoping follows dependsOn; the ingress and undeclared services see everything', () => {
  const state = mesh(2);
  assert.deepEqual(visibleServices(state, sidecar('frontend')), ['orders']);
  assert.deepEqual(visibleServices(state, sidecar('orders')), ['frontend', 'orders', 'payments']);
  assert.deepEqual(visibleServices(state, sidecar('unknown')), ['frontend', 'orders', 'payments']);
  assert.deepEqual(visibleServices(state, ingress), ['frontend', 'orders', 'payments']);
  const clusters = translateProxy(state, sidecar('frontend')).clusters.map((c) => c.name);
  assert.deepEqual(clusters, ['orders~l0', 'orders~l1', 'orders~stable']);
});

test('fallbackOnUnhealthy: stable endpoints at priority 1, health checks, served-by from endpoint metadata', () => {
  const state = mesh(2);
  state.lanes.l0!.fallbackOnUnhealthy = true;
  const json = resourcesToJson(translateProxy(state, sidecar('frontend'))) as any;
  const byName = (list: any[], key: string, name: string) => list.find((x) => x[key] === name);
  assert.ok(byName(json.clusters, 'name', 'orders~l0').health_checks, 'l0 is health checked');
  assert.equal(byName(json.clusters, 'name', 'orders~l1').health_checks, undefined, 'l1 did not opt in');
  const l0 = byName(json.endpoints, 'cluster_name', 'orders~l0');
  assert.deepEqual(l0.endpoints.map((l: any) => [l.priority ?? 0, l.lb_endpoints[0].metadata.filter_metadata.laneway.served_by]), [
    [0, 'orders/l0'],
    [1, 'orders/stable (fallback)'],
  ]);
  const map = json.routes[0].virtual_hosts[0].matcher.matcher_tree.exact_match_map.map;
  const servedBy = (lane: string) => map[lane].action.typed_config.response_headers_to_add[0].header.value;
  assert.equal(servedBy('l0'), '%UPSTREAM_METADATA(laneway:served_by)%');
  assert.equal(servedBy('l1'), 'orders/l1');
});

// Kubernetes objects -> model, without a cluster: names, readiness, lane labels, ports, expiry.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mapKubeObjects, type KubeLane, type KubePod, type KubeService, type KubeServicePort } from '../../control-plane/src/sources/kubernetes/mapping.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');

function svc(name: string, ns = 'shop', ports: KubeServicePort[] = [{ name: 'http', port: 8080, targetPort: 'web' }], labels?: Record<string, string>): KubeService {
  return { metadata: { name, namespace: ns, ...(labels && { labels }) }, spec: { selector: { app: name }, ports } };
}

function pod(name: string, app: string, ip: string, opts: { lane?: string; ready?: boolean; ns?: string; deleting?: boolean } = {}): KubePod {
  return {
    metadata: {
      name, namespace: opts.ns ?? 'shop', labels: { app, ...(opts.lane && { 'laneway.dev/lane': opts.lane }) },
      ...(opts.deleting && { deletionTimestamp: '2026-11-21T11:59:00Z' }),
    },
    spec: { containers: [{ ports: [{ name: 'web', containerPort: 3000 }] }] },
    status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: opts.ready === false ? 'False' : 'True' }] },
  };
}

function lane(name: string, spec: KubeLane['spec'] = {}, created = '2026-11-21T11:00:00Z'): KubeLane {
  return { metadata: { name, namespace: 'shop', creationTimestamp: created }, spec };
}

describe('kubernetes mapping', () => {
  test('stable pods, lane pods, unready and deleting pods, and a lane without a Lane resource', () => {
    const defs = mapKubeObjects({
      services: [svc('orders'), svc('payments', 'shop', [{ name: 'grpc', port: 9090, targetPort: 50051 }])],
      pods: [
        pod('orders-1', 'orders', '10.0.0.2'),
        pod('orders-0', 'orders', '10.0.0.1'),
        pod('orders-unready', 'orders', '10.0.0.3', { ready: false }),
        pod('orders-going', 'orders', '10.0.0.4', { deleting: true }),
        pod('orders-fx', 'orders', '10.0.1.1', { lane: 'feature-x' }),
        pod('orders-orphan', 'orders', '10.0.9.9', { lane: 'no-lane-resource' }),
        pod('payments-0', 'payments', '10.0.2.1'),
        pod('other-ns', 'orders', '10.9.0.1', { ns: 'elsewhere' }),
      ],
      lanes: [lane('feature-x', { owner: 'ana', description: 'new checkout', fallbackOnUnhealthy: true })],
    }, 'shop', NOW);
    assert.deepEqual(defs, {
      services: {
        orders: { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:3000', '10.0.0.2:3000'], namespace: 'shop' },
        payments: { name: 'payments', protocol: 'grpc', port: 9090, endpoints: ['10.0.2.1:50051'], namespace: 'shop' },
      },
      lanes: {
        'feature-x': { name: 'feature-x', services: { orders: ['10.0.1.1:3000'] }, owner: 'ana', description: 'new checkout', fallbackOnUnhealthy: true },
      },
      errors: [],
    });
  });

  test('only the watched namespace counts; excluded and selector-less services are skipped', () => {
    const defs = mapKubeObjects({
      services: [svc('orders', 'team-b'), svc('cart', 'shop'), svc('laneway', 'shop', undefined, { 'laneway.dev/exclude': 'true' }), { metadata: { name: 'external', namespace: 'shop' }, spec: { ports: [{ port: 80 }] } }],
      pods: [pod('o', 'orders', '10.1.0.1', { ns: 'team-b' }), pod('c', 'cart', '10.1.0.3'), pod('x', 'cart', '10.1.0.4', { ns: 'team-b' }), pod('l', 'laneway', '10.1.0.2')],
      lanes: [],
    }, 'shop', NOW);
    assert.deepEqual(Object.keys(defs.services), ['cart']);
    assert.deepEqual(defs.services.cart!.endpoints, ['10.1.0.3:3000']);
  });

  test('namespace and ClusterIPs (dual stack, sorted); a headless Service has no addresses', () => {
    const withIPs = (s: KubeService, ips: Partial<NonNullable<KubeService['spec']>>): KubeService => ({ ...s, spec: { ...s.spec, ...ips } });
    const defs = mapKubeObjects({
      services: [withIPs(svc('orders'), { clusterIP: '10.96.0.20', clusterIPs: ['fd00::20', '10.96.0.20'] }), withIPs(svc('cart'), { clusterIP: 'None' }), withIPs(svc('tax'), { clusterIP: '10.96.0.30' })],
      pods: [], lanes: [],
    }, 'shop', NOW);
    assert.deepEqual(defs.services.orders, { name: 'orders', protocol: 'http', port: 8080, endpoints: [], namespace: 'shop', addresses: ['10.96.0.20', 'fd00::20'] });
    assert.deepEqual(defs.services.cart, { name: 'cart', protocol: 'http', port: 8080, endpoints: [], namespace: 'shop' });
    assert.deepEqual(defs.services.tax!.addresses, ['10.96.0.30']);
  });

  test('protocol from appProtocol wins over the port name', () => {
    const defs = mapKubeObjects({
      services: [svc('a', 'shop', [{ name: 'web', port: 80, targetPort: 8080, appProtocol: 'kubernetes.io/h2c' }]), svc('b', 'shop', [{ name: 'grpc-api', port: 81, targetPort: 8081, appProtocol: 'http' }])],
      pods: [], lanes: [],
    }, 'shop', NOW);
    assert.equal(defs.services.a!.protocol, 'grpc');
    assert.equal(defs.services.b!.protocol, 'http');
  });

  test('expiry: expiresAt, or creation + ttl; expired lanes are not served', () => {
    const defs = mapKubeObjects({
      services: [], pods: [],
      lanes: [
        lane('ttl-lane', { ttl: '2h' }),
        lane('until', { expiresAt: '2026-11-22T00:00:00Z' }),
        lane('expired', { ttl: '30m' }),
        lane('bad-ttl', { ttl: 'soon' }),
      ],
    }, 'shop', NOW);
    assert.deepEqual(Object.keys(defs.lanes), ['ttl-lane', 'until']);
    assert.equal(defs.lanes['ttl-lane']!.expiresAt, '2026-11-21T13:00:00.000Z');
    assert.equal(defs.lanes.until!.expiresAt, '2026-11-22T00:00:00.000Z');
    assert.deepEqual(defs.errors, [{ path: 'kubernetes/lanes/bad-ttl/spec/ttl', reason: '"soon" is not a duration such as "2h"' }]);
  });

  test('a dangling fallback drops that lane and its dependants, keeps the rest', () => {
    const defs = mapKubeObjects({
      services: [], pods: [],
      lanes: [lane('a', { fallback: 'missing' }), lane('b', { fallback: 'a' }), lane('c', { fallback: 'stable' }), lane('d', { fallback: 'c' })],
    }, 'shop', NOW);
    assert.deepEqual(Object.keys(defs.lanes), ['c', 'd']);
    assert.equal(defs.lanes.c!.fallback, undefined);
    assert.equal(defs.lanes.d!.fallback, 'c');
    assert.deepEqual(defs.errors.map((e) => e.path).sort(), ['kubernetes/lanes/a/spec/fallback', 'kubernetes/lanes/b/spec/fallback']);
  });
});

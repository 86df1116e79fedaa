import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groupKey, proxyTargetFromNode } from '../../control-plane/src/runtime/node-target.js';

const cases: Array<[string, { id: string; cluster: string; metadata: Record<string, unknown>; envoyVersion?: [number, number, number] }, unknown]> = [
  ['sidecar from metadata', { id: 'a', cluster: 'x', metadata: { 'laneway.kind': 'sidecar', 'laneway.service': 'orders', 'laneway.listener_port': '15002' } },
    { kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15002 }],
  ['sidecar service from node.cluster, default port', { id: 'a', cluster: 'payments', metadata: {} },
    { kind: 'sidecar', service: 'payments', listenerAddress: '127.0.0.1', listenerPort: 15001 }],
  ['ingress', { id: 'gw', cluster: 'laneway-ingress', metadata: { 'laneway.kind': 'ingress', 'laneway.listener_address': '0.0.0.0', 'laneway.listener_port': 10080 } },
    { kind: 'ingress', listenerAddress: '0.0.0.0', listenerPort: 10080 }],
  ['unknown kind', { id: 'a', cluster: '', metadata: { 'laneway.kind': 'gateway' } },
    { error: 'node a: metadata laneway.kind must be "sidecar" or "ingress", got "gateway"' }],
  ['bad port', { id: 'a', cluster: 'orders', metadata: { 'laneway.listener_port': '99999' } },
    { error: 'node a: metadata laneway.listener_port must be a port (1-65535), got "99999"' }],
  ['sidecar with capture (address defaults to 0.0.0.0)', { id: 'a', cluster: 'orders', metadata: { 'laneway.capture_port': '15006' } },
    { kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15001, capture: { address: '0.0.0.0', port: 15006 } }],
  ['sidecar with capture on a given address', { id: 'a', cluster: 'orders', metadata: { 'laneway.capture_port': 15006, 'laneway.capture_address': '127.77.1.1' } },
    { kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15001, capture: { address: '127.77.1.1', port: 15006 } }],
  ['bad capture port', { id: 'a', cluster: 'orders', metadata: { 'laneway.capture_port': 'x' } },
    { error: 'node a: metadata laneway.capture_port must be a port (1-65535), got "x"' }],
  ['sidecar without a service', { id: 'a', cluster: '', metadata: {} },
    { error: 'node a: a sidecar needs metadata laneway.service (or node.cluster)' }],
  ['Envoy 1.36.4, the oldest supported', { id: 'a', cluster: 'orders', metadata: {}, envoyVersion: [1, 36, 4] },
    { kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15001 }],
  ['Envoy 1.41.0, newer than tested', { id: 'a', cluster: 'orders', metadata: {}, envoyVersion: [1, 41, 0] },
    { kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15001 }],
  ['Envoy 1.35.2, older than supported', { id: 'a', cluster: 'orders', metadata: {}, envoyVersion: [1, 35, 2] },
    { error: 'node a runs Envoy 1.35.2, older than Laneway supports (Envoy 1.36 to 1.40): it could reject configuration it does not know; upgrade it' }],
];
for (const [name, node, expected] of cases) {
  test(`proxyTargetFromNode: ${name}`, () => assert.deepEqual(proxyTargetFromNode(node), expected));
}

test('groupKey: proxies with the same target share a group', () => {
  assert.equal(groupKey({ kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15001 }), 'sidecar|orders|127.0.0.1|15001');
  assert.equal(groupKey({ kind: 'sidecar', service: 'orders', listenerAddress: '127.0.0.1', listenerPort: 15001, capture: { address: '0.0.0.0', port: 15006 } }), 'sidecar|orders|127.0.0.1|15001|capture 0.0.0.0:15006');
  assert.equal(groupKey({ kind: 'ingress', listenerAddress: '0.0.0.0', listenerPort: 10000 }), 'ingress||0.0.0.0|10000');
});

// Endpoints registered by sidecars: how they merge into the model (sources/registered.ts), and
// how connects, disconnects and the grace period keep them (runtime/registrations.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pino } from 'pino';
import { emptyMeshState, type MeshState } from '../../control-plane/src/model/types.js';
import { Registrations, registrationOfNode } from '../../control-plane/src/runtime/registrations.js';
import { registeredEndpoints, withRegistrations } from '../../control-plane/src/sources/registered.js';

function mesh(): MeshState {
  const state = emptyMeshState();
  state.services.orders = { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] };
  state.lanes['feature-x'] = { name: 'feature-x', services: { orders: ['10.0.0.2:8080'] } };
  state.lanes['feature-y'] = { name: 'feature-y', services: {} };
  return state;
}

test('registrations add to stable endpoints and to lane overrides (creating them); conflicts are left out with a reason', () => {
  const { state, outcomes } = withRegistrations(mesh(), [
    { service: 'orders', lane: 'feature-y', address: '127.0.0.1:3003' },
    { service: 'orders', lane: 'stable', address: '127.0.0.1:3001' },
    { service: 'orders', lane: 'feature-x', address: '127.0.0.1:3002' },
    { service: 'orders', lane: 'nope', address: '127.0.0.1:3004' },
    { service: 'payments', lane: 'stable', address: '127.0.0.1:3005' },
    { service: 'orders', lane: 'feature-x', address: '10.0.0.2:8080' },
    { service: 'orders', lane: 'stable', address: '10.0.0.1:8080' },
  ]);
  assert.deepEqual(state.services.orders!.endpoints, ['10.0.0.1:8080', '127.0.0.1:3001']);
  assert.deepEqual(state.lanes['feature-x']!.services, { orders: ['10.0.0.2:8080', '127.0.0.1:3002'] });
  assert.deepEqual(state.lanes['feature-y']!.services, { orders: ['127.0.0.1:3003'] });
  assert.ok(Object.isFrozen(state.lanes['feature-y']!.services));
  assert.deepEqual(Object.fromEntries(outcomes), {
    'orders|feature-x|10.0.0.2:8080': { status: 'conflict', reason: '10.0.0.2:8080 is already a stored endpoint of orders in lane feature-x; remove it there or stop registering it' },
    'orders|feature-x|127.0.0.1:3002': { status: 'active' },
    'orders|feature-y|127.0.0.1:3003': { status: 'active' },
    'orders|nope|127.0.0.1:3004': { status: 'conflict', reason: 'lane "nope" does not exist; create it first (laneway lane create nope)' },
    'orders|stable|10.0.0.1:8080': { status: 'conflict', reason: '10.0.0.1:8080 is already a stored endpoint of orders (stable); remove it there or stop registering it' },
    'orders|stable|127.0.0.1:3001': { status: 'active' },
    'payments|stable|127.0.0.1:3005': { status: 'conflict', reason: 'service "payments" does not exist; define it first (laneway apply, or PUT /v1/services/payments)' },
  });
});

test('no registrations: the same state object (the publisher\'s memo sees no change)', () => {
  const state = mesh();
  assert.equal(withRegistrations(state, []).state, state);
});

test('the API\'s view lists active registrations only, per service and per lane', () => {
  const registrations = [
    { service: 'orders', lane: 'stable', address: '127.0.0.1:3001' },
    { service: 'orders', lane: 'feature-x', address: '127.0.0.1:3002' },
    { service: 'orders', lane: 'nope', address: '127.0.0.1:3004' },
  ];
  const { outcomes } = withRegistrations(mesh(), registrations);
  assert.deepEqual(registeredEndpoints(registrations, outcomes), { stable: { orders: ['127.0.0.1:3001'] }, lanes: { 'feature-x': { orders: ['127.0.0.1:3002'] } } });
});

test('node metadata: what a sidecar registers, and what is refused', () => {
  const node = (metadata: Record<string, unknown>) => ({ id: 'n', cluster: 'orders', metadata });
  assert.equal(registrationOfNode(node({ 'laneway.service': 'orders' })), undefined);
  assert.deepEqual(registrationOfNode(node({ 'laneway.register': '127.0.0.1:3003', 'laneway.lane': 'feature-x' })), { service: 'orders', lane: 'feature-x', address: '127.0.0.1:3003' });
  assert.deepEqual(registrationOfNode(node({ 'laneway.register': '127.0.0.1:3003' })), { service: 'orders', lane: 'stable', address: '127.0.0.1:3003' });
  assert.deepEqual(registrationOfNode(node({ 'laneway.register': 'nowhere' })), { error: 'metadata laneway.register: "nowhere" is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)' });
  assert.deepEqual(registrationOfNode(node({ 'laneway.register': '127.0.0.1:1', 'laneway.kind': 'ingress' })), { error: 'an ingress gateway cannot register an endpoint' });
});

const logger = pino({ level: 'silent' });
const proxy = (streamId: number, lane = 'feature-x') => ({ streamId, nodeId: `orders-${lane}`, cluster: 'orders', metadata: { 'laneway.service': 'orders', 'laneway.lane': lane, 'laneway.register': '127.0.0.1:3003' } });

test('held while a stream is up and for the grace period after the last one; a reconnect within it keeps it without a change', async () => {
  let changes = 0;
  const registrations = new Registrations({ graceMs: 50, logger, onChange: () => changes++ });
  registrations.connected(proxy(1));
  assert.equal(changes, 1);
  registrations.connected(proxy(2)); // the same Envoy reconnecting before its old stream is gone
  registrations.disconnected(1);
  registrations.disconnected(2);
  assert.match(registrations.views()[0]!.removeAt ?? '', /^\d{4}-/);
  registrations.connected(proxy(3));
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(changes, 1, 'kept: reconnected within the grace period');
  assert.deepEqual(registrations.views(), [{ service: 'orders', lane: 'feature-x', address: '127.0.0.1:3003', status: 'active', nodes: ['orders-feature-x'] }]);
  registrations.disconnected(3);
  assert.equal(registrations.endpoints().length, 1, 'still served during the grace period');
  await new Promise((r) => setTimeout(r, 80));
  assert.equal(changes, 2);
  assert.deepEqual(registrations.endpoints(), []);
  registrations.close();
});

test('Kubernetes mode: refused with the message, shown for the stream, never merged', () => {
  let changes = 0;
  const registrations = new Registrations({ graceMs: 50, refusal: 'Kubernetes mode: pods are the registry', logger, onChange: () => changes++ });
  registrations.connected(proxy(7));
  assert.equal(changes, 0);
  assert.deepEqual(registrations.endpoints(), []);
  assert.deepEqual(registrations.forStream(7), { service: 'orders', lane: 'feature-x', address: '127.0.0.1:3003', status: 'refused', reason: 'Kubernetes mode: pods are the registry', nodes: ['orders-feature-x'] });
  registrations.disconnected(7);
  assert.deepEqual(registrations.views(), []);
});

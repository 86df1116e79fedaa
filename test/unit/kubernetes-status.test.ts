// What each Lane's status says: served with which services, or why not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ForkStatus, KubeDefinitions, KubeLane } from '../../control-plane/src/sources/kubernetes/mapping.js';
import { desiredLaneStatus, forkStatusesOf, sameStatus } from '../../control-plane/src/sources/kubernetes/status.js';

const NOW = Date.parse('2026-11-21T12:00:00Z');
const lane = (name: string, spec: KubeLane['spec'] = {}): KubeLane => ({ metadata: { name, creationTimestamp: '2026-11-21T11:00:00Z' }, spec });
const defs: KubeDefinitions = {
  services: {},
  lanes: {
    'feature-x': { name: 'feature-x', services: { orders: ['10.0.0.1:80'], payments: ['10.0.0.2:80'] } },
    empty: { name: 'empty', services: {} },
  },
  errors: [{ path: 'kubernetes/lanes/broken/spec/fallback', reason: 'lane "nope" does not exist or is invalid' }],
};

describe('lane status', () => {
  test('served with pods', () => {
    assert.deepEqual(desiredLaneStatus(lane('feature-x', { ttl: '2h' }), defs, NOW), {
      services: ['orders', 'payments'],
      servicesSummary: 'orders,payments',
      expiresAt: '2026-11-21T13:00:00.000Z',
      conditions: [{ type: 'Ready', status: 'True', reason: 'Served', message: 'served with its own orders, payments' }],
    });
  });

  test('served, but no pod carries the lane yet', () => {
    assert.deepEqual(desiredLaneStatus(lane('empty'), defs, NOW).conditions, [
      { type: 'Ready', status: 'True', reason: 'NoPods', message: 'served; no ready pod carries this lane yet, so every request falls back' },
    ]);
  });

  test('invalid: the message names the field', () => {
    const status = desiredLaneStatus(lane('broken', { fallback: 'nope' }), defs, NOW);
    assert.equal(status.message, 'spec/fallback: lane "nope" does not exist or is invalid');
    assert.deepEqual(status.conditions.map((c) => [c.status, c.reason]), [['False', 'Invalid']]);
  });

  test('pods of the lane that opted into injection but run without the sidecar: a second condition names them', () => {
    assert.deepEqual(desiredLaneStatus(lane('feature-x'), defs, NOW, ['orders-fx-1 (webhook-not-called)']).conditions, [
      { type: 'Ready', status: 'True', reason: 'Served', message: 'served with its own orders, payments' },
      { type: 'SidecarsInjected', status: 'False', reason: 'PodsWithoutSidecar', message: '1 pod(s) of this lane run without the Laneway sidecar: orders-fx-1 (webhook-not-called) (GET /v1/injection says why)' },
    ]);
  });

  test('expired', () => {
    const status = desiredLaneStatus(lane('old', { expiresAt: '2026-11-21T11:30:00Z' }), defs, NOW);
    assert.deepEqual(status.conditions.map((c) => [c.status, c.reason, c.message]), [['False', 'Expired', 'expired at 2026-11-21T11:30:00.000Z']]);
  });

  const readyOrders: ForkStatus = { workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: true, replicas: 1, readyReplicas: 1, images: { orders: 'registry.example/orders:pr-42' }, reason: 'Ready', message: '1/1 ready' };
  const pullingPayments: ForkStatus = {
    workload: 'Deployment/payments', deployment: 'payments-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { payments: 'registry.example/payments:pr-42' }, reason: 'ImagePullError',
    message: 'pod payments-pr-42-fork-5c6d7-k2m9p container payments cannot pull image "registry.example/payments:pr-42" (ErrImagePull)',
  };

  test('a fork not ready: Ready is False with ForksNotReady naming it; forks and the summary are written', () => {
    const withGeneration: KubeLane = { ...lane('feature-x'), metadata: { name: 'feature-x', creationTimestamp: '2026-11-21T11:00:00Z', generation: 3 } };
    assert.deepEqual(desiredLaneStatus(withGeneration, defs, NOW, [], [readyOrders, pullingPayments]), {
      observedGeneration: 3,
      services: ['orders', 'payments'],
      servicesSummary: 'orders,payments',
      message: '1 of 2 fork(s) not ready: Deployment/payments (ImagePullError: pod payments-pr-42-fork-5c6d7-k2m9p container payments cannot pull image "registry.example/payments:pr-42" (ErrImagePull))',
      conditions: [{
        type: 'Ready', status: 'False', reason: 'ForksNotReady',
        message: '1 of 2 fork(s) not ready: Deployment/payments (ImagePullError: pod payments-pr-42-fork-5c6d7-k2m9p container payments cannot pull image "registry.example/payments:pr-42" (ErrImagePull))',
      }],
      forks: [readyOrders, pullingPayments],
      forksSummary: '1/2 ready',
    });
  });

  test('every fork ready: served as before, with the forks', () => {
    const status = desiredLaneStatus(lane('feature-x'), defs, NOW, [], [readyOrders]);
    assert.deepEqual(status.conditions, [{ type: 'Ready', status: 'True', reason: 'Served', message: 'served with its own orders, payments' }]);
    assert.deepEqual([status.forks, status.forksSummary], [[readyOrders], '1/1 ready']);
  });

  test('an invalid lane says Invalid, not ForksNotReady', () => {
    assert.deepEqual(desiredLaneStatus(lane('broken'), defs, NOW, [], [pullingPayments]).conditions.map((c) => c.reason), ['Invalid']);
  });

  test('fork statuses from the snapshot: none without spec.forks; WorkloadNotFound without the original Deployment, Pending with it', () => {
    const snapshot = { lanes: [], defs };
    assert.deepEqual(forkStatusesOf(lane('feature-x'), snapshot), []);
    const forked = { ...lane('pr-42'), spec: { forks: [{ workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42' }] }] } } as KubeLane;
    const orders = { metadata: { name: 'orders' }, spec: { selector: {}, template: { spec: { containers: [{ name: 'orders', image: 'registry.example/orders:1.4.0' }] } } } };
    assert.deepEqual(forkStatusesOf(forked, snapshot), [{ workload: 'Deployment/orders', ready: false, replicas: 1, readyReplicas: 0, images: {}, reason: 'WorkloadNotFound', message: 'no Deployment "orders" to fork' }]);
    assert.deepEqual(forkStatusesOf(forked, { ...snapshot, deployments: [orders] }), [{ workload: 'Deployment/orders', ready: false, replicas: 1, readyReplicas: 0, images: {}, reason: 'Pending', message: 'fork Deployment not created yet' }]);
  });

  test('a status read back from the API server (keys sorted, transition times set) is the same as the one written: no write', () => {
    const written = desiredLaneStatus(lane('feature-x'), defs, NOW, [], [pullingPayments]);
    const readBack = JSON.parse(JSON.stringify({
      conditions: [{ lastTransitionTime: '2026-11-21T11:59:00Z', message: written.conditions[0]!.message, reason: 'ForksNotReady', status: 'False', type: 'Ready' }],
      forks: [{ deployment: 'payments-pr-42-fork', images: { payments: 'registry.example/payments:pr-42' }, message: pullingPayments.message, ready: false, readyReplicas: 0, reason: 'ImagePullError', replicas: 1, workload: 'Deployment/payments' }],
      forksSummary: '0/1 ready',
      message: written.message,
      services: ['orders', 'payments'],
      servicesSummary: 'orders,payments',
    }));
    assert.equal(sameStatus(readBack, written), true);
    assert.equal(sameStatus({ ...readBack, forksSummary: '1/1 ready' }, written), false);
  });
});

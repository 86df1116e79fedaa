// What each Lane's status says: served with which services, or why not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { KubeDefinitions, KubeLane } from '../../control-plane/src/sources/kubernetes/mapping.js';
import { desiredLaneStatus } from '../../control-plane/src/sources/kubernetes/status.js';

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
});

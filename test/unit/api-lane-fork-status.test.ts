// GET /v1/lanes/:name in Kubernetes mode shows the Lane's fork statuses, only when its status
// describes the current generation of its spec (a stale one could say Ready for a previous image).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { kubernetesLaneBackend } from '../../control-plane/src/api/lane-backend-kubernetes.js';
import { laneView } from '../../control-plane/src/api/lanes.js';
import type { ApiContext } from '../../control-plane/src/api/views.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { KubeLaneWriter } from '../../control-plane/src/sources/kubernetes/lane-writer.js';
import type { ForkStatus, KubeLane } from '../../control-plane/src/sources/kubernetes/mapping.js';

const ORDERS: ForkStatus = {
  workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { orders: 'registry.example/orders:pr-42' }, reason: 'ImagePullError',
  message: 'pod orders-pr-42-fork-7d9f8-x2x4q container orders cannot pull image "registry.example/orders:pr-42" (ErrImagePull)',
};

function laneObject(generation: number, observedGeneration: number | undefined, forks?: ForkStatus[]): KubeLane {
  return {
    metadata: { name: 'pr-42', namespace: 'shop', resourceVersion: '4711', generation, creationTimestamp: '2026-12-07T19:00:00Z' },
    spec: { owner: 'ci' },
    status: { ...(observedGeneration !== undefined && { observedGeneration }), services: [], servicesSummary: '', conditions: [], ...(forks && { forks, forksSummary: '0/1 ready' }) },
  };
}

/** The view the API answers with, for the Lane object the watch holds; the writer is never called by a read. */
function shownView(obj: KubeLane) {
  const kc = new KubeConfig();
  kc.loadFromOptions({ clusters: [{ name: 'none', server: 'http://127.0.0.1:1' }], users: [{ name: 'none' }], contexts: [{ name: 'none', cluster: 'none', user: 'none' }], currentContext: 'none' });
  const state = { services: {}, lanes: { 'pr-42': { name: 'pr-42', services: {}, owner: 'ci' } } } as unknown as MeshState;
  const backend = kubernetesLaneBackend({ writer: new KubeLaneWriter(kc, 'shop'), laneObject: () => obj, getState: () => state });
  const ctx = { now: () => new Date('2026-12-07T19:30:00Z') } as ApiContext;
  return laneView(ctx, backend.shown(state.lanes['pr-42']!));
}

describe('lane view: fork status (Kubernetes mode)', () => {
  test('status of the current generation: shown under status.forks', () => {
    assert.deepEqual(shownView(laneObject(2, 2, [ORDERS])), {
      name: 'pr-42', services: {}, owner: 'ci', resourceVersion: '4711', createdAt: '2026-12-07T19:00:00.000Z', status: { forks: [ORDERS] },
    });
  });

  test('status of a previous generation: no status', () => {
    assert.equal(shownView(laneObject(3, 2, [ORDERS])).status, undefined);
  });

  test('a lane without forks: no status', () => {
    assert.equal(shownView(laneObject(1, 1)).status, undefined);
  });
});

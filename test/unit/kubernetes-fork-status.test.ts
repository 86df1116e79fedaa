// What a Lane's status says about each fork, from Deployments and pods as Kubernetes writes them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import { forkStatuses, forksSummary, type ForkSpecInput, type ForkStatus } from '../../control-plane/src/sources/kubernetes/fork-status.js';

const FORK_LABELS = { 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders', 'app.kubernetes.io/managed-by': 'laneway' };

const stableOrders: V1Deployment = {
  apiVersion: 'apps/v1', kind: 'Deployment',
  metadata: { name: 'orders', namespace: 'shop', labels: { app: 'orders' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'orders' } },
    template: { metadata: { labels: { app: 'orders' } }, spec: { containers: [{ name: 'orders', image: 'registry.example/orders:1.4.0', ports: [{ name: 'http', containerPort: 8080 }] }] } },
  },
};

function forkDeployment(image = 'registry.example/orders:pr-42', conditions: NonNullable<V1Deployment['status']>['conditions'] = []): V1Deployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'orders-pr-42-fork', namespace: 'shop', labels: { app: 'orders', ...FORK_LABELS } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { app: 'orders', ...FORK_LABELS } },
      template: { metadata: { labels: { app: 'orders', ...FORK_LABELS } }, spec: { containers: [{ name: 'orders', image, ports: [{ name: 'http', containerPort: 8080 }] }] } },
    },
    status: { observedGeneration: 1, replicas: 1, conditions },
  };
}

interface PodShape { name?: string; image?: string; ready?: boolean; containerStatus?: Partial<V1ContainerStatus>; phase?: string; readyCondition?: { reason: string; message: string } }

function forkPod({ name = 'orders-pr-42-fork-7d9f8-x2x4q', image = 'registry.example/orders:pr-42', ready = true, containerStatus, phase = 'Running', readyCondition }: PodShape = {}): V1Pod {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'shop', labels: { app: 'orders', ...FORK_LABELS, 'pod-template-hash': '7d9f8' } },
    spec: { containers: [{ name: 'orders', image, ports: [{ name: 'http', containerPort: 8080 }] }, { name: 'laneway-proxy', image: 'envoyproxy/envoy:v1.36.2' }] },
    status: {
      phase, podIP: '10.244.1.17',
      conditions: [
        { type: 'PodScheduled', status: 'True' },
        ready ? { type: 'Ready', status: 'True' } : { type: 'Ready', status: 'False', ...(readyCondition ?? { reason: 'ContainersNotReady', message: 'containers with unready status: [orders]' }) },
      ],
      containerStatuses: [
        { name: 'orders', image: `docker.io/${image}`, imageID: '', ready, restartCount: 0, ...containerStatus },
        { name: 'laneway-proxy', image: 'docker.io/envoyproxy/envoy:v1.36.2', imageID: '', ready: true, restartCount: 0 },
      ],
    },
  };
}

const FORK: ForkSpecInput = { workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42' }] };
const RUNNING_IMAGES = { orders: 'docker.io/registry.example/orders:pr-42' };

interface Case { name: string; forks?: ForkSpecInput[]; stable?: V1Deployment[]; forkDeployments?: V1Deployment[]; pods?: V1Pod[]; expected: ForkStatus[] }

const CASES: Case[] = [
  {
    name: 'ready: one ready pod with the fork image',
    forkDeployments: [forkDeployment()], pods: [forkPod()],
    expected: [{ workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: true, replicas: 1, readyReplicas: 1, images: RUNNING_IMAGES, reason: 'Ready', message: '1/1 ready' }],
  },
  {
    name: 'no such stable Deployment',
    forks: [{ workload: 'Deployment/ordres', containers: [{ image: 'registry.example/orders:pr-42' }] }],
    expected: [{ workload: 'Deployment/ordres', ready: false, replicas: 1, readyReplicas: 0, images: {}, reason: 'WorkloadNotFound', message: 'no Deployment "ordres" to fork' }],
  },
  {
    name: 'a fork Deployment is not an original',
    stable: [forkDeployment()], forkDeployments: [forkDeployment()],
    expected: [{ workload: 'Deployment/orders', ready: false, replicas: 1, readyReplicas: 0, images: {}, reason: 'WorkloadNotFound', message: 'no Deployment "orders" to fork' }],
  },
  {
    name: 'fork Deployment not created yet',
    expected: [{ workload: 'Deployment/orders', ready: false, replicas: 1, readyReplicas: 0, images: {}, reason: 'Pending', message: 'fork Deployment not created yet' }],
  },
  {
    name: 'Deployment created, no pod yet: images from its template',
    forkDeployments: [forkDeployment()],
    expected: [{ workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { orders: 'registry.example/orders:pr-42' }, reason: 'Pending', message: "0/1 ready: no pod with the fork's image(s) yet" }],
  },
  {
    name: 'image pull back-off names pod, container and image',
    forkDeployments: [forkDeployment()],
    pods: [forkPod({ ready: false, phase: 'Pending', containerStatus: { image: 'registry.example/orders:pr-42', state: { waiting: { reason: 'ImagePullBackOff', message: 'Back-off pulling image "registry.example/orders:pr-42"' } } } })],
    expected: [{
      workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { orders: 'registry.example/orders:pr-42' }, reason: 'ImagePullError',
      message: 'pod orders-pr-42-fork-7d9f8-x2x4q container orders cannot pull image "registry.example/orders:pr-42" (ImagePullBackOff: Back-off pulling image "registry.example/orders:pr-42")',
    }],
  },
  {
    name: 'invalid image name, no message from the kubelet',
    forkDeployments: [forkDeployment('registry.example/orders:PR 42')],
    forks: [{ workload: 'Deployment/orders', containers: [{ name: 'orders', image: 'registry.example/orders:PR 42' }] }],
    pods: [forkPod({ image: 'registry.example/orders:PR 42', ready: false, phase: 'Pending', containerStatus: { image: 'registry.example/orders:PR 42', state: { waiting: { reason: 'InvalidImageName' } } } })],
    expected: [{
      workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { orders: 'registry.example/orders:PR 42' }, reason: 'ImagePullError',
      message: 'pod orders-pr-42-fork-7d9f8-x2x4q container orders cannot pull image "registry.example/orders:PR 42" (InvalidImageName)',
    }],
  },
  {
    name: 'crash loop with restart count and last exit',
    forkDeployments: [forkDeployment()],
    pods: [forkPod({ ready: false, containerStatus: { restartCount: 5, state: { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 2m40s restarting failed container' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } } })],
    expected: [{
      workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: RUNNING_IMAGES, reason: 'CrashLoop',
      message: 'pod orders-pr-42-fork-7d9f8-x2x4q container orders is crash-looping (restarted 5 times; last exit: Error, code 1)',
    }],
  },
  {
    name: 'quota refusal from the Deployment condition',
    forkDeployments: [forkDeployment('registry.example/orders:pr-42', [
      { type: 'Progressing', status: 'True', reason: 'NewReplicaSetCreated', message: 'Created new replica set "orders-pr-42-fork-7d9f8"' },
      { type: 'ReplicaFailure', status: 'True', reason: 'FailedCreate', message: 'pods "orders-pr-42-fork-7d9f8-x2x4q" is forbidden: exceeded quota: compute, requested: limits.cpu=500m, used: limits.cpu=2, limited: limits.cpu=2' },
    ])],
    expected: [{
      workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { orders: 'registry.example/orders:pr-42' }, reason: 'QuotaRefused',
      message: 'pods "orders-pr-42-fork-7d9f8-x2x4q" is forbidden: exceeded quota: compute, requested: limits.cpu=500m, used: limits.cpu=2, limited: limits.cpu=2',
    }],
  },
  {
    name: 'pods exist but are not ready: named with why',
    forks: [{ workload: 'Deployment/orders', replicas: 2, containers: [{ image: 'registry.example/orders:pr-42' }] }],
    forkDeployments: [forkDeployment()],
    pods: [forkPod(), forkPod({ name: 'orders-pr-42-fork-7d9f8-zq8wd', ready: false })],
    expected: [{
      workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 2, readyReplicas: 1, images: RUNNING_IMAGES, reason: 'NotReady',
      message: '1/2 ready; not ready: orders-pr-42-fork-7d9f8-zq8wd (ContainersNotReady: containers with unready status: [orders])',
    }],
  },
  {
    name: 'after an image change, the ready pod of the previous image does not count',
    forks: [{ workload: 'Deployment/orders', containers: [{ name: 'orders', image: 'registry.example/orders:pr-42-2' }] }],
    forkDeployments: [forkDeployment('registry.example/orders:pr-42-2')],
    pods: [forkPod()],
    expected: [{
      workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready: false, replicas: 1, readyReplicas: 0, images: { orders: 'registry.example/orders:pr-42-2' }, reason: 'Pending',
      message: "0/1 ready: no pod with the fork's image(s) yet; 1 pod(s) still run the previous image(s): orders-pr-42-fork-7d9f8-x2x4q",
    }],
  },
  {
    name: "another lane's fork of the same workload is not this lane's",
    forkDeployments: [{ ...forkDeployment(), metadata: { name: 'orders-pr-7-fork', labels: { ...FORK_LABELS, 'laneway.dev/lane': 'pr-7' } } }],
    expected: [{ workload: 'Deployment/orders', ready: false, replicas: 1, readyReplicas: 0, images: {}, reason: 'Pending', message: 'fork Deployment not created yet' }],
  },
];

describe('fork status', () => {
  for (const c of CASES) {
    test(c.name, () => {
      assert.deepEqual(forkStatuses('pr-42', c.forks ?? [FORK], c.stable ?? [stableOrders], c.forkDeployments ?? [], c.pods ?? []), c.expected);
    });
  }

  test('summary for kubectl get lanes', () => {
    const ready = forkStatuses('pr-42', [FORK], [stableOrders], [forkDeployment()], [forkPod()]);
    const missing = forkStatuses('pr-42', [{ workload: 'Deployment/payments' }], [stableOrders], [], []);
    assert.equal(forksSummary([...ready, ...missing]), '1/2 ready');
    assert.equal(forksSummary([]), '');
  });
});

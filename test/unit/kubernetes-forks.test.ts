// Lane forks without a cluster: the fork Deployment's name, the rendered object (written out), the
// reconciler's plan, the write-time checks, and how the mapping finds a fork's pods.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { LaneFork } from '../../control-plane/src/model/forks.js';
import { forkDeploymentName, renderForkDeployment, type KubeDeployment } from '../../control-plane/src/sources/kubernetes/fork-deployment.js';
import { planForks } from '../../control-plane/src/sources/kubernetes/fork-plan.js';
import { forkTargetErrors } from '../../control-plane/src/sources/kubernetes/fork-targets.js';
import { parseDefinitionsFile } from '../../control-plane/src/sources/yaml-dir.js';
import { injectionDecision } from '../../control-plane/src/webhook/decision.js';
import { mapKubeObjects, type KubeLane, type KubePod, type KubeService } from '../../control-plane/src/sources/kubernetes/mapping.js';

const NOW = Date.parse('2026-12-07T12:00:00Z');

function stableOrders(): KubeDeployment {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'orders', namespace: 'shop', labels: { app: 'orders' }, resourceVersion: '7' },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'orders' } },
      template: {
        metadata: { labels: { app: 'orders', tier: 'backend', team: 'pay' }, annotations: { 'laneway.dev/inject': 'true' } },
        spec: {
          containers: [
            { name: 'orders', image: 'registry.example/orders:1.0', env: [{ name: 'MODE', value: 'prod' }, { name: 'OLD_FLAG', value: '1' }, { name: 'DB', valueFrom: { secretKeyRef: { name: 'db', key: 'url' } } }], ports: [{ containerPort: 3000, name: 'web' }] },
            { name: 'worker', image: 'registry.example/orders-worker:1.0' },
          ],
          restartPolicy: 'Always',
        },
      },
    },
  };
}

const SERVICES: KubeService[] = [
  { metadata: { name: 'orders', namespace: 'shop' }, spec: { selector: { app: 'orders' }, ports: [{ name: 'http', port: 8080, targetPort: 'web' }] } },
  { metadata: { name: 'backends', namespace: 'shop' }, spec: { selector: { tier: 'backend' }, ports: [{ name: 'http', port: 80 }] } },
  { metadata: { name: 'payments', namespace: 'shop' }, spec: { selector: { app: 'payments' }, ports: [{ name: 'http', port: 8080 }] } },
];

const FORK: LaneFork = { workload: 'Deployment/orders', replicas: 1, containers: [{ name: 'orders', image: 'registry.example/orders:pr-42', env: { DB: 'postgres://lane', FEATURE_X: 'on' }, removeEnv: ['OLD_FLAG'] }] };

function lane(name: string, spec: KubeLane['spec'], meta: Partial<NonNullable<KubeLane['metadata']>> = {}): KubeLane {
  return { metadata: { name, namespace: 'shop', uid: `uid-${name}`, creationTimestamp: '2026-12-07T11:00:00Z', resourceVersion: '5', ...meta }, spec };
}

describe('lane forks: the fork Deployment', () => {
  test('names: <workload>-<lane>, or a prefix and 8 hex digits of a hash when over 47 characters', () => {
    assert.equal(forkDeploymentName('orders', 'pr-42'), 'orders-pr-42');
    const long = forkDeploymentName('order-fulfilment-service-backend', 'feature-new-checkout-flow-2026');
    assert.equal(long, 'order-fulfilment-service-backend-featu-4a0d6872');
    assert.equal(long.length, 47);
    assert.equal(forkDeploymentName('order-fulfilment-service-backend', 'feature-new-checkout-flow-2026'), long, 'deterministic');
    assert.notEqual(forkDeploymentName('order-fulfilment-service-backend', 'feature-new-checkout-flow-2027'), long);
    // A prefix never ends in '-' before the hash.
    assert.equal(forkDeploymentName('a'.repeat(37), 'x-long-lane-name'), `${'a'.repeat(37)}-${forkDeploymentName('a'.repeat(37), 'x-long-lane-name').slice(-8)}`);
  });

  test('rendered: stable template, selector labels moved to the annotation, overrides, labels, owner, replicas', () => {
    const rendered = renderForkDeployment({ lane: { name: 'pr-42', uid: 'uid-pr-42' }, namespace: 'shop', fork: FORK, stable: stableOrders(), services: SERVICES });
    assert.ok('deployment' in rendered);
    const { annotations, ...meta } = rendered.deployment.metadata!;
    assert.match(annotations!['laneway.dev/fork-hash']!, /^[0-9a-f]{16}$/);
    assert.deepEqual({ ...rendered.deployment, metadata: meta }, {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: {
        name: 'orders-pr-42', namespace: 'shop',
        labels: { 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders', 'app.kubernetes.io/managed-by': 'laneway' },
        ownerReferences: [{ apiVersion: 'laneway.dev/v1alpha1', kind: 'Lane', name: 'pr-42', uid: 'uid-pr-42', controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders' } },
        template: {
          metadata: {
            labels: { team: 'pay', 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders', 'app.kubernetes.io/managed-by': 'laneway' },
            annotations: { 'laneway.dev/inject': 'true', 'laneway.dev/selector-labels': '{"app":"orders","tier":"backend"}', 'laneway.dev/service': 'orders' },
          },
          spec: {
            containers: [
              { name: 'orders', image: 'registry.example/orders:pr-42', env: [{ name: 'MODE', value: 'prod' }, { name: 'DB', value: 'postgres://lane' }, { name: 'FEATURE_X', value: 'on' }], ports: [{ containerPort: 3000, name: 'web' }] },
              { name: 'worker', image: 'registry.example/orders-worker:1.0' },
            ],
            restartPolicy: 'Always',
          },
        },
      },
    });
  });

  test('injection: a fork\'s pod is injected as its stable pod would be, as the lane\'s instance of the same service', () => {
    const rendered = renderForkDeployment({ lane: { name: 'pr-42', uid: 'u' }, namespace: 'shop', fork: FORK, stable: stableOrders(), services: SERVICES });
    assert.ok('deployment' in rendered);
    const { metadata, spec } = rendered.deployment.spec!.template!;
    const decision = injectionDecision({ metadata: { ...metadata, namespace: 'shop' }, spec: spec as never }, { name: 'shop', labels: {} });
    assert.deepEqual(decision, { inject: true, service: 'orders', lane: 'pr-42', optedInBy: 'pod', capture: true, excludePorts: '', excludeCidrs: '' });
  });

  test('same inputs, same hash; a changed image changes it; an unknown container is a problem', () => {
    const render = (fork: LaneFork) => renderForkDeployment({ lane: { name: 'pr-42', uid: 'u' }, namespace: 'shop', fork, stable: stableOrders(), services: SERVICES });
    const hash = (fork: LaneFork) => { const r = render(fork); return 'deployment' in r ? r.deployment.metadata!.annotations!['laneway.dev/fork-hash'] : r.problem; };
    assert.equal(hash(FORK), hash(structuredClone(FORK)));
    assert.notEqual(hash(FORK), hash({ ...FORK, containers: [{ ...FORK.containers[0]!, image: 'registry.example/orders:pr-43' }] }));
    assert.deepEqual(render({ workload: 'Deployment/orders', replicas: 1, containers: [{ image: 'x:1' }] }), { problem: 'Deployment/orders has 2 containers (orders, worker): name the one to change' });
    assert.deepEqual(render({ workload: 'Deployment/orders', replicas: 1, containers: [{ name: 'web', image: 'x:1' }] }), { problem: 'Deployment/orders has no container "web" (it has: orders, worker)' });
  });
});

describe('lane forks: the reconciler\'s plan', () => {
  const stable = stableOrders();
  const rendered = renderForkDeployment({ lane: { name: 'pr-42', uid: 'uid-pr-42' }, namespace: 'shop', fork: FORK, stable, services: SERVICES });
  const current = { ...(rendered as { deployment: KubeDeployment }).deployment, metadata: { ...(rendered as { deployment: KubeDeployment }).deployment.metadata, resourceVersion: '9' } };
  const kinds = (objects: Parameters<typeof planForks>[0]) => planForks(objects, 'shop', NOW).actions.map((a) => `${a.kind} ${'deployment' in a ? a.deployment.metadata!.name : 'name' in a ? a.name : a.lane.metadata!.name}`);

  test('a new lane: finalizer, then create; once created and finalized: nothing to do', () => {
    assert.deepEqual(kinds({ lanes: [lane('pr-42', { forks: [FORK] })], deployments: [stable], services: SERVICES }), ['add-finalizer pr-42', 'create orders-pr-42']);
    assert.deepEqual(kinds({ lanes: [lane('pr-42', { forks: [FORK] }, { finalizers: ['laneway.dev/forks'] })], deployments: [stable, current], services: SERVICES }), []);
  });

  test('a changed fork updates it; a removed fork, an expired or deleted lane deletes it, then the finalizer goes', () => {
    const changed = { ...FORK, replicas: 2 };
    const plan = planForks({ lanes: [lane('pr-42', { forks: [changed] }, { finalizers: ['laneway.dev/forks'] })], deployments: [stable, current], services: SERVICES }, 'shop', NOW);
    assert.deepEqual(plan.actions.map((a) => a.kind), ['update']);
    assert.equal((plan.actions[0] as { resourceVersion: string }).resourceVersion, '9');
    const finalized = { finalizers: ['laneway.dev/forks'] };
    assert.deepEqual(kinds({ lanes: [lane('pr-42', {}, finalized)], deployments: [stable, current], services: SERVICES }), ['delete orders-pr-42', 'remove-finalizer pr-42']);
    assert.deepEqual(kinds({ lanes: [lane('pr-42', { forks: [FORK], ttl: '3s' }, finalized)], deployments: [stable, current], services: SERVICES }), ['delete orders-pr-42', 'remove-finalizer pr-42']);
    assert.deepEqual(kinds({ lanes: [lane('pr-42', { forks: [FORK] }, { ...finalized, deletionTimestamp: '2026-12-07T11:59:00Z' })], deployments: [stable, current], services: SERVICES }), ['delete orders-pr-42', 'remove-finalizer pr-42']);
    assert.deepEqual(kinds({ lanes: [], deployments: [stable, current], services: SERVICES }), ['delete orders-pr-42'], 'a fork without its Lane');
  });

  test('a fork whose stable Deployment is gone, or a lane edited into an invalid spec, keeps its Deployment as it is', () => {
    const finalized = { finalizers: ['laneway.dev/forks'] };
    const plan = planForks({ lanes: [lane('pr-42', { forks: [FORK] }, finalized)], deployments: [current], services: SERVICES }, 'shop', NOW);
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(plan.problems, [{ path: 'kubernetes/lanes/pr-42/forks/0/workload', reason: 'Deployment/orders does not exist in namespace shop' }]);
    const invalid = { ...FORK, containers: [{ env: { A: '1' }, removeEnv: ['A'] }] };
    const edited = planForks({ lanes: [lane('pr-42', { forks: [invalid] }, finalized)], deployments: [stable, current], services: SERVICES }, 'shop', NOW);
    assert.deepEqual(edited.actions, []);
    assert.deepEqual(edited.problems, [{ path: 'kubernetes/lanes/pr-42/forks/0/containers/0/removeEnv/0', reason: '"A" is also set in env; set it or remove it, not both' }]);
  });

  test('a missing workload or a foreign Deployment of the fork\'s name: no write, a problem named by path', () => {
    const foreign = { ...stableOrders(), metadata: { name: 'orders-pr-42', labels: { app: 'x' } } };
    const plan = planForks({ lanes: [lane('pr-42', { forks: [FORK, { workload: 'Deployment/gone', replicas: 1, containers: [{ image: 'a:1' }] }] }, { finalizers: ['laneway.dev/forks'] })], deployments: [stable, foreign], services: SERVICES }, 'shop', NOW);
    assert.deepEqual(plan.actions, []);
    assert.deepEqual(plan.problems, [
      { path: 'kubernetes/lanes/pr-42/forks/0', reason: 'a Deployment named orders-pr-42 exists and is not this fork; rename or delete it' },
      { path: 'kubernetes/lanes/pr-42/forks/1/workload', reason: 'Deployment/gone does not exist in namespace shop' },
    ]);
  });
});

describe('lane forks: write-time checks and the mapping', () => {
  test('missing Deployments and containers are refused with their field paths', () => {
    const forks: LaneFork[] = [
      { workload: 'Deployment/gone', replicas: 1, containers: [{ image: 'a:1' }] },
      { workload: 'Deployment/orders', replicas: 1, containers: [{ name: 'orders', image: 'a:1' }, { name: 'sidecar', image: 'b:1' }] },
      { workload: 'Deployment/orders-pr-1', replicas: 1, containers: [{ image: 'a:1' }] },
    ];
    const fork = { metadata: { name: 'orders-pr-1', labels: { 'laneway.dev/lane': 'pr-1', 'laneway.dev/fork-of': 'orders', 'app.kubernetes.io/managed-by': 'laneway' } } };
    const found = new Map<string, KubeDeployment | undefined>([['gone', undefined], ['orders', stableOrders()], ['orders-pr-1', fork]]);
    assert.deepEqual(forkTargetErrors('lanes/pr-42', 'shop', forks, found, new Set([0, 1, 2])), [
      { path: 'lanes/pr-42/forks/0/workload', reason: 'Deployment "gone" does not exist in namespace shop' },
      { path: 'lanes/pr-42/forks/1/containers/1/name', reason: 'Deployment/orders has no container "sidecar" (it has: orders, worker)' },
      { path: 'lanes/pr-42/forks/2/workload', reason: 'Deployment "orders-pr-1" is a lane\'s fork; fork its stable workload Deployment/orders instead' },
    ]);
  });

  test('a fork\'s pod is the lane\'s instance of every Service that selects the stable template; a stable pod with the annotation is not', () => {
    const pod = (name: string, ip: string, labels: Record<string, string>, annotations?: Record<string, string>): KubePod => ({
      metadata: { name, namespace: 'shop', labels, ...(annotations && { annotations }) },
      spec: { containers: [{ ports: [{ name: 'web', containerPort: 3000 }] }] },
      status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
    });
    const moved = { 'laneway.dev/selector-labels': '{"app":"orders","tier":"backend"}' };
    const defs = mapKubeObjects({
      services: SERVICES,
      pods: [
        pod('orders-0', '10.0.0.1', { app: 'orders', tier: 'backend' }),
        pod('orders-pr-42-x', '10.0.0.2', { team: 'pay', 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders' }, moved),
        pod('stray', '10.0.0.3', { team: 'pay' }, moved),
      ],
      lanes: [lane('pr-42', {})],
    }, 'shop', NOW);
    assert.deepEqual(defs.services.orders!.endpoints, ['10.0.0.1:3000']);
    assert.deepEqual(defs.lanes['pr-42']!.services, { backends: ['10.0.0.2:80'], orders: ['10.0.0.2:3000'] });
    const deleting = mapKubeObjects({ services: SERVICES, pods: [], lanes: [lane('pr-42', {}, { deletionTimestamp: '2026-12-07T11:59:00Z', finalizers: ['laneway.dev/forks'] })] }, 'shop', NOW);
    assert.deepEqual(Object.keys(deleting.lanes), [], 'a Lane waiting for its forks to be removed is no longer served');
  });

  test('a Lane with forks in the config directory is refused, naming the field', () => {
    assert.deepEqual(parseDefinitionsFile('kind: Lane\nname: pr-42\nforks: [{workload: Deployment/orders, containers: [{image: "orders:1"}]}]\n'), {
      errors: [{ path: 'lanes/pr-42/forks', reason: 'workload forks are kept only on Lane objects in Kubernetes mode (kubectl apply or the REST API), not in the config directory' }],
    });
  });
});

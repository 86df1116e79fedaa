// Lane forks against a real kube-apiserver + etcd (no controller-manager, no kubelet): the control
// plane creates, updates and deletes one Deployment per fork; bad input is refused with nothing
// created; a pod made from a fork's template (created by the test) is routed for its lane by real
// Envoys while the stable Service's selector does not select it.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../deploy/local/processes.js';
import { KubeApiServer } from '../support/kube-apiserver.js';
import { KubeMesh, type Replica } from '../support/kube-mesh.js';
import { get, waitForPath } from '../support/mesh-client.js';

const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments';
const LANES = '/apis/laneway.dev/v1alpha1/namespaces/default/lanes';
const CLI = join(import.meta.dirname, '../../control-plane/src/cli/laneway.ts');
const ALL_STABLE = 'frontend/stable orders/stable payments/stable';
const FORKS = [
  { workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42', env: { FEATURE_X: 'on' } }] },
  { workload: 'Deployment/payments', containers: [{ name: 'worker', image: 'registry.example/pay:pr-42' }] },
];

function stableDeployment(name: string, containers: string[]): Record<string, unknown> {
  return {
    metadata: { name, labels: { app: name } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, team: 'shop' } },
        spec: { containers: containers.map((c) => ({ name: c, image: `registry.example/${c}:1.0`, env: [{ name: 'MODE', value: 'prod' }] })) },
      },
    },
  };
}

describe('lane forks with a real API server', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-forks-e2e-'));
  const settings = join(workDir, 'settings');
  let kube: KubeApiServer;
  let mesh: KubeMesh;
  let api = '';

  const deploymentNames = async () => ((await mesh.api('GET', DEPLOYMENTS)).items as Array<{ metadata: { name: string } }>).map((d) => d.metadata.name).sort();
  const deployment = async (name: string) => (await kube.request('GET', `${DEPLOYMENTS}/${name}`)).body;
  const gone = async (path: string) => (await kube.request('GET', path)).status === 404;
  const rest = async (method: string, path: string, body?: unknown, type = 'application/json') => {
    const res = await fetch(`${api}${path}`, { method, ...(body !== undefined && { headers: { 'content-type': type }, body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const startReplica = async (name: string): Promise<Replica> => {
    const replica = await mesh.startReplica(name, settings);
    api = `http://127.0.0.1:${replica.apiPort}`;
    return replica;
  };

  before(async () => {
    kube = await KubeApiServer.start();
    mesh = await KubeMesh.withDemoServices(kube, workDir);
    await mesh.api('POST', DEPLOYMENTS, stableDeployment('orders', ['orders']));
    await mesh.api('POST', DEPLOYMENTS, stableDeployment('payments', ['payments', 'worker']));
    mkdirSync(settings);
    writeFileSync(join(settings, 'settings.yaml'), 'kind: Settings\nlaneHeader: x-lane\nservedByHeader: x-lane-served-by\nentryService: frontend\n');
    await startReplica('replica-a');
  });

  after(async () => {
    await mesh?.stop();
    await kube?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('every bad input is refused (400 or 422) naming the field, and nothing is created', async () => {
    const before = await deploymentNames();
    // 400: the OpenAPI schema already says so; 422: valid by the schema, refused by what is in the cluster or between items.
    const cases: Array<[unknown[], number, string, RegExp]> = [
      [[{ workload: 'Deployment/nope', containers: [{ image: 'a:1' }] }], 422, 'lanes/bad/forks/0/workload', /Deployment "nope" does not exist in namespace default/],
      [[{ workload: 'Deployment/orders', containers: [{ name: 'nope', image: 'a:1' }] }], 422, 'lanes/bad/forks/0/containers/0/name', /has no container "nope" \(it has: orders\)/],
      [[{ workload: 'Deployment/payments', containers: [{ image: 'a:1' }] }], 422, 'lanes/bad/forks/0/containers/0/name', /has 2 containers \(payments, worker\): name the one to change/],
      [[{ workload: 'Deployment/orders', containers: [{ image: 'registry.example/Orders:pr 42' }] }], 400, 'lanes/bad/forks/0/containers/0/image', /not a valid image reference/],
      [[FORKS[0], FORKS[0]], 422, 'lanes/bad/forks/1/workload', /already forked at lanes\/bad\/forks\/0/],
      [[{ workload: 'StatefulSet/orders', containers: [{ image: 'a:1' }] }], 400, 'lanes/bad/forks/0/workload', /only Deployment workloads can/],
    ];
    for (const [forks, status, path, reason] of cases) {
      const res = await rest('POST', '/v1/lanes', { name: 'bad', forks });
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.equal(res.body.details[0].path, path);
      assert.match(res.body.details[0].reason, reason);
    }
    assert.ok(await gone(`${LANES}/bad`), 'no Lane was written');
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(await deploymentNames(), before, 'no Deployment was created');
  });

  test('REST: a lane with two forks gets two Deployments (template, labels, owner reference); an image change updates one', async (t) => {
    const started = performance.now();
    const created = await rest('POST', '/v1/lanes', { name: 'pr-42', owner: 'ci', forks: FORKS });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.deepEqual(created.body.forks, [{ ...FORKS[0], replicas: 1 }, { ...FORKS[1], replicas: 1 }]);
    await waitFor('both forks', async () => (await deploymentNames()).join() === 'orders,orders-pr-42,payments,payments-pr-42', 10000, 50);
    t.diagnostic(`POST /v1/lanes -> both fork Deployments listed in ${(performance.now() - started).toFixed(0)} ms`);
    const lane = await mesh.api('GET', `${LANES}/pr-42`);
    assert.deepEqual(lane.metadata.finalizers, ['laneway.dev/forks']);
    const orders = await deployment('orders-pr-42');
    const labels = { 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders', 'app.kubernetes.io/managed-by': 'laneway' };
    assert.deepEqual(orders.metadata.labels, labels);
    assert.deepEqual(orders.metadata.ownerReferences, [{ apiVersion: 'laneway.dev/v1alpha1', kind: 'Lane', name: 'pr-42', uid: lane.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.equal(orders.spec.replicas, 1);
    assert.deepEqual(orders.spec.selector, { matchLabels: { 'laneway.dev/lane': 'pr-42', 'laneway.dev/fork-of': 'orders' } });
    assert.deepEqual(orders.spec.template.metadata.labels, { team: 'shop', ...labels });
    assert.equal(orders.spec.template.metadata.annotations['laneway.dev/selector-labels'], '{"app":"orders"}');
    assert.deepEqual(orders.spec.template.spec.containers.map((c: any) => [c.name, c.image, c.env]), [['orders', 'registry.example/orders:pr-42', [{ name: 'MODE', value: 'prod' }, { name: 'FEATURE_X', value: 'on' }]]]);
    const payments = await deployment('payments-pr-42');
    assert.deepEqual(payments.spec.template.spec.containers.map((c: any) => [c.name, c.image]), [['payments', 'registry.example/payments:1.0'], ['worker', 'registry.example/pay:pr-42']]);

    const patched = await rest('PATCH', '/v1/lanes/pr-42', { forks: [{ ...FORKS[0], containers: [{ image: 'registry.example/orders:pr-42b' }] }, FORKS[1]] }, 'application/merge-patch+json');
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    await waitFor('the orders fork to run the new image', async () => (await deployment('orders-pr-42')).spec.template.spec.containers[0].image === 'registry.example/orders:pr-42b', 10000, 50);
    const settled = (await deployment('orders-pr-42')).metadata.resourceVersion;
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal((await deployment('orders-pr-42')).metadata.resourceVersion, settled, 'no further writes once it matches');
  });

  test('a pod from the fork\'s template is routed for x-lane: pr-42 by a real Envoy; the stable Service\'s selector does not select it', async () => {
    await mesh.addPod('frontend-0', 'frontend', 'stable', '127.0.0.11');
    await mesh.addPod('orders-0', 'orders', 'stable', '127.0.0.12');
    await mesh.addPod('payments-0', 'payments', 'stable', '127.0.0.14');
    const template = (await deployment('orders-pr-42')).spec.template.metadata;
    await mesh.addPod('orders-pr-42-pod', 'orders', 'pr-42', '127.0.0.13', undefined, { labels: template.labels, annotations: template.annotations });
    await mesh.startIngress();
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'pr-42' }, 'frontend/stable orders/pr-42 payments/stable', 15000);
    assert.equal((await get(mesh.ingressUrl)).path, ALL_STABLE);
    const selected = await mesh.api('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dorders');
    assert.deepEqual(selected.items.map((p: any) => p.metadata.name), ['orders-0'], 'kube-proxy would send the stable Service only to the stable pod');
    const lane = await rest('GET', '/v1/lanes/pr-42');
    assert.deepEqual(lane.body.services, { orders: [`127.0.0.13:${mesh.appPort}`] });
  });

  test('kubectl apply: a Lane with two forks gets both Deployments and the finalizer; kubectl delete removes them', async () => {
    const manifest = join(workDir, 'lane.yaml');
    writeFileSync(manifest, [
      'apiVersion: laneway.dev/v1alpha1', 'kind: Lane', 'metadata: { name: pr-7 }', 'spec:', '  owner: kubectl', '  forks:',
      '    - workload: Deployment/orders', '      containers: [{ image: "registry.example/orders:pr-7" }]',
      '    - workload: Deployment/payments', '      replicas: 2', '      containers: [{ name: payments, env: { FEATURE_X: "on" }, removeEnv: [MODE] }]', '',
    ].join('\n'));
    kube.kubectl(['apply', '-f', manifest]);
    await waitFor('both forks of pr-7', async () => (await deploymentNames()).includes('payments-pr-7') && (await deploymentNames()).includes('orders-pr-7'), 10000, 50);
    const payments = await deployment('payments-pr-7');
    assert.equal(payments.spec.replicas, 2);
    assert.deepEqual(payments.spec.template.spec.containers.map((c: any) => [c.name, c.env ?? []]), [['payments', [{ name: 'FEATURE_X', value: 'on' }]], ['worker', [{ name: 'MODE', value: 'prod' }]]]);
    await waitFor('the finalizer', async () => ((await mesh.api('GET', `${LANES}/pr-7`)).metadata.finalizers ?? []).includes('laneway.dev/forks'), 10000, 50);
    kube.kubectl(['delete', 'lane', 'pr-7', '--wait=false']);
    await waitFor('pr-7 and its forks to be gone', async () => (await gone(`${LANES}/pr-7`)) && !(await deploymentNames()).some((n) => n.endsWith('-pr-7')), 10000, 50);
  });

  test('deleting the lane through the API deletes both forks (finalizer, no garbage collector)', async () => {
    assert.equal((await rest('DELETE', '/v1/lanes/pr-42')).status, 200);
    await waitFor('pr-42 and its forks to be gone', async () => (await gone(`${LANES}/pr-42`)) && (await deploymentNames()).join() === 'orders,payments', 10000, 50);
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'pr-42' }, ALL_STABLE, 5000);
  });

  test('a 3 s TTL lane\'s forks are removed after expiry, also when the control plane restarts in between', async () => {
    // The CI step: one command.
    const cli = await promisify(execFile)(process.execPath, ['--import', 'tsx', CLI, '--server', api, 'lane', 'create', 'short', '--fork', 'orders=registry.example/orders:pr-9', '--fork-env', 'orders:FEATURE_X=on', '--ttl', '3s', '-o', 'json']);
    assert.deepEqual(JSON.parse(cli.stdout).forks, [{ workload: 'Deployment/orders', replicas: 1, containers: [{ image: 'registry.example/orders:pr-9', env: { FEATURE_X: 'on' } }] }]);
    await waitFor('the fork of short', async () => (await deploymentNames()).includes('orders-short'), 10000, 50);
    await waitFor('short and its fork to be gone', async () => (await gone(`${LANES}/short`)) && !(await deploymentNames()).includes('orders-short'), 10000, 100);

    assert.equal((await rest('POST', '/v1/lanes', { name: 'restart', ttl: '3s', forks: [FORKS[0]] })).status, 201);
    await waitFor('the fork of restart', async () => (await deploymentNames()).includes('orders-restart'), 10000, 50);
    const replica = mesh.replicas.pop()!;
    await replica.process.stop();
    await new Promise((r) => setTimeout(r, 3500));
    assert.ok((await deploymentNames()).includes('orders-restart'), 'expired while no control plane ran: the fork is still there');
    await startReplica('replica-b');
    // The new replica writes once the stopped one's Lease (15 s) has run out.
    await waitFor('restart and its fork to be gone', async () => (await gone(`${LANES}/restart`)) && (await deploymentNames()).join() === 'orders,payments', 30000, 200);
  });
});

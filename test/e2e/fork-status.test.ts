// RUNS ONCE MERGED with the fork reconciler (branch forks-core): move it to test/e2e/ then. It
// needs `laneway lane create --fork`, spec.forks in the CRD and the reconciler creating fork
// Deployments, none of which exists on branch forks-status alone.
//
// Fork status against a real kube-apiserver + etcd (no kubelet: the test writes the fork pod and
// its status as a kubelet would): `--wait` times out naming a fork with no pod (exit 9); a pod
// that is not ready is named in the status (REST, the Lane, kubectl get lanes); an image pull
// error makes `--wait` fail at once (exit 8); once the pod is Ready the status says so, `--wait`
// returns 0, `laneway lane get` shows it and a real Envoy routes x-lane to it.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../deploy/local/processes.js';
import { startDemoService, type DemoService } from '../../deploy/demo/service.js';
import { runCli } from '../../control-plane/src/cli/laneway.js';
import { createForkPod, forkDeployment, readyPodStatus, setPodStatus, startForkMesh, type ForkMesh } from '../support/fork-mesh.js';
import { waitForPath } from '../support/mesh-client.js';

const LANE = 'pr-42';
const IMAGE = 'registry.example/payments:pr-42';
const POD = 'payments-pr-42-7d9f8-x2x4q';
const LANE_FILE = `kind: Lane\nname: ${LANE}\nforks:\n  - workload: Deployment/payments\n    containers:\n      - image: ${IMAGE}\n`;

describe('fork status with a real API server', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-fork-status-e2e-'));
  let cluster: ForkMesh;
  let deploymentName = '';
  let app: DemoService | undefined;

  const laneway = async (args: string[]) => {
    let stdout = '';
    let stderr = '';
    const code = await runCli(['--server', cluster.api, ...args], { env: {}, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    return { code, stdout, stderr };
  };
  const forkStatus = async () => ((await (await fetch(`${cluster.api}/v1/lanes/${LANE}`)).json()) as { status?: { forks?: Array<Record<string, unknown>> } }).status?.forks?.[0];
  const laneObject = () => cluster.mesh.api('GET', `/apis/laneway.dev/v1alpha1/namespaces/default/lanes/${LANE}`);

  before(async () => {
    cluster = await startForkMesh(workDir);
    writeFileSync(join(workDir, 'lane.yaml'), LANE_FILE);
  });

  after(async () => {
    await app?.close();
    await cluster?.mesh.stop();
    await cluster?.kube.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('no pod yet: --wait times out naming the fork (exit 9); a pod that is not ready is named in the status', async () => {
    const created = await laneway(['lane', 'create', LANE, '--fork', `payments=${IMAGE}`, '--wait', '--timeout', '6s']);
    assert.equal(created.code, 9, created.stderr);
    // Under load the first status pass (the Lease holder's) can come after the timeout: either answer names what is missing.
    const pending = [`Deployment/payments (Pending: 0/1 ready: no pod with the fork's image(s) yet)`, `the status of lane ${LANE}'s forks is not reported yet`];
    assert.ok(pending.some((p) => created.stderr === `laneway: timed out after 6s waiting for lane ${LANE}: ${p}\n`), created.stderr);
    const deployment = await forkDeployment(cluster.mesh, LANE);
    deploymentName = deployment.metadata.name;
    await createForkPod(cluster.mesh, deployment, POD);
    await setPodStatus(cluster.mesh, POD, { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True' }, { type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' }] });
    const message = `0/1 ready; not ready: ${POD} (ContainersNotReady: containers with unready status: [app])`;
    // Before the status written above is seen, the pod is already NotReady ("phase Pending"): wait for the condition's words.
    await waitFor('the fork status to name the pod and its condition', async () => (await forkStatus())?.message === message, 10000, 50);
    assert.deepEqual(await forkStatus(), { workload: 'Deployment/payments', deployment: deploymentName, ready: false, replicas: 1, readyReplicas: 0, images: { app: IMAGE }, reason: 'NotReady', message });
    const ready = (await laneObject()).status.conditions.find((c: { type: string }) => c.type === 'Ready');
    assert.deepEqual([ready.status, ready.reason, ready.message], ['False', 'ForksNotReady', `1 of 1 fork(s) not ready: Deployment/payments (NotReady: ${message})`]);
    assert.match(cluster.kube.kubectl(['get', 'lanes', LANE]), new RegExp(`${LANE}\\s+False\\s+0/1 ready`));
  });

  test('an image pull error: --wait fails at once with the reason (exit 8)', async () => {
    const waiting = { reason: 'ImagePullBackOff', message: `Back-off pulling image "${IMAGE}"` };
    await setPodStatus(cluster.mesh, POD, {
      phase: 'Pending',
      conditions: [{ type: 'Ready', status: 'False', reason: 'ContainersNotReady', message: 'containers with unready status: [app]' }],
      containerStatuses: [{ name: 'app', image: IMAGE, imageID: '', ready: false, restartCount: 0, state: { waiting } }],
    });
    await waitFor('the fork status to say ImagePullError', async () => (await forkStatus())?.reason === 'ImagePullError', 10000, 50);
    const started = Date.now();
    const applied = await laneway(['apply', '-f', join(workDir, 'lane.yaml'), '--wait', '--timeout', '30s']);
    assert.equal(applied.code, 8, applied.stderr);
    assert.equal(applied.stderr, `laneway: lane ${LANE} will not be ready: fork Deployment/payments: ImagePullError: pod ${POD} container app cannot pull image "${IMAGE}" (ImagePullBackOff: Back-off pulling image "${IMAGE}")\n`);
    assert.ok(Date.now() - started < 15000, 'fails at once, not at the 30 s timeout');
  });

  test('the pod Ready: the status says Ready, --wait returns 0, lane get shows it, Envoy routes x-lane to it', async () => {
    const ip = '127.0.1.42';
    app = await startDemoService({ service: 'payments', lane: LANE, host: ip, port: cluster.mesh.appPort, protocol: 'grpc', calls: [], propagate: ['x-lane'] });
    await setPodStatus(cluster.mesh, POD, readyPodStatus([{ name: 'app', image: IMAGE }], ip));
    const applied = await laneway(['apply', '-f', join(workDir, 'lane.yaml'), '--wait', '--timeout', '30s']);
    assert.equal(applied.code, 0, applied.stderr);
    assert.ok(applied.stdout.endsWith(`lane/${LANE} ready: Deployment/payments 1/1 (app=${IMAGE})\n`), applied.stdout);
    assert.deepEqual(await forkStatus(), { workload: 'Deployment/payments', deployment: deploymentName, ready: true, replicas: 1, readyReplicas: 1, images: { app: IMAGE }, reason: 'Ready', message: '1/1 ready' });
    assert.match((await laneway(['lane', 'get', LANE])).stdout, new RegExp(`fork Deployment/payments\\s+1/1 ready; app=${IMAGE.replace(/\./g, '\\.')}; Ready\\n`));
    await waitForPath(cluster.mesh.ingressUrl, { 'x-lane': LANE }, `frontend/stable orders/stable payments/${LANE}`, 5000);
    await waitFor('the Lane to be Ready', async () => (await laneObject()).status.conditions.find((c: { type: string }) => c.type === 'Ready')?.status === 'True', 5000, 50);
    assert.match(cluster.kube.kubectl(['get', 'lanes', LANE]), new RegExp(`${LANE}\\s+True\\s+payments\\s+1/1 ready`));
  });
});

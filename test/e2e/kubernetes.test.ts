// Kubernetes mode against a real kube-apiserver + etcd (built by scripts/ensure-kube-apiserver.sh):
// Services, Pods and a Lane as API objects, two control-plane replicas, real Envoys using both.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { freePort, waitFor } from '../../deploy/local/processes.js';
import { counters, dynamicVersions } from '../support/envoy-admin.js';
import { KubeApiServer } from '../support/kube-apiserver.js';
import { KubeMesh } from '../support/kube-mesh.js';
import { get, waitForPath } from '../support/mesh-client.js';

const ALL_STABLE = 'frontend/stable orders/stable payments/stable';
const FEATURE_X = 'frontend/stable orders/feature-x payments/stable';
const CHANGE_COUNTERS = ['listener_manager.listener_added', 'listener_manager.listener_modified', 'listener_manager.listener_removed', 'cluster_manager.cluster_added', 'cluster_manager.cluster_modified', 'cluster_manager.cluster_removed'];
const DEPLOY_DIR = fileURLToPath(new URL('../../deploy/kubernetes', import.meta.url));

describe('kubernetes mode with a real API server', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-k8s-e2e-'));
  let kube: KubeApiServer;
  let mesh: KubeMesh;

  before(async () => {
    kube = await KubeApiServer.start();
    mesh = await KubeMesh.withDemoServices(kube, workDir);
    await mesh.putLane('feature-x', { owner: 'e2e', description: 'orders under test' });
    const settings = join(workDir, 'settings');
    mkdirSync(settings);
    writeFileSync(join(settings, 'settings.yaml'), 'kind: Settings\nlaneHeader: x-lane\nservedByHeader: x-lane-served-by\nentryService: frontend\n');
    await mesh.startReplica('replica-a', settings);
    await mesh.startReplica('replica-b', settings);
    await mesh.addPod('frontend-0', 'frontend', 'stable', '127.0.0.11');
    await mesh.addPod('orders-0', 'orders', 'stable', '127.0.0.12');
    await mesh.addPod('orders-fx', 'orders', 'feature-x', '127.0.0.13');
    await mesh.addPod('payments-0', 'payments', 'stable', '127.0.0.14');
    await mesh.startIngress();
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, FEATURE_X, 15000);
  });

  after(async () => {
    await mesh?.stop();
    await kube?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('kubectl apply -k deploy/kubernetes --dry-run=server is accepted', () => {
    const kubectl = join(kube.binDir, 'kubectl');
    assert.ok(existsSync(kubectl), `${kubectl} is built by scripts/ensure-kube-apiserver.sh`);
    // Server-side dry-run cannot create the namespace its objects go into, so that one is real.
    kube.kubectl(['create', 'namespace', 'laneway-demo']);
    const out = kube.kubectl(['apply', '-k', DEPLOY_DIR, '--dry-run=server']);
    assert.match(out, /deployment.apps\/laneway created \(server dry run\)/);
    assert.match(out, /lane.laneway.dev\/feature-x created \(server dry run\)/);
  });

  test('routing: no lane is stable, x-lane feature-x reaches the lane pod, through Envoys on both replicas', async () => {
    assert.equal((await get(mesh.ingressUrl)).path, ALL_STABLE);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X);
    const connected = await Promise.all(mesh.replicas.map((r) => mesh.proxiesOn(r)));
    assert.equal(connected.flat().length, mesh.pods.length + 1, `every Envoy is connected: ${JSON.stringify(connected)}`);
  });

  test('the REST API reads the cluster\'s lanes with the Lane\'s resourceVersion; services and lane endpoints stay Kubernetes\'', async () => {
    const api = `http://127.0.0.1:${mesh.replicas[0]!.apiPort}`;
    const res = await fetch(`${api}/v1/lanes/feature-x`);
    const lane = (await res.json()) as { services: Record<string, string[]>; resourceVersion: string };
    assert.deepEqual(lane.services, { orders: [`127.0.0.13:${mesh.appPort}`] });
    const object = await mesh.api('GET', '/apis/laneway.dev/v1alpha1/namespaces/default/lanes/feature-x');
    assert.equal(lane.resourceVersion, object.metadata.resourceVersion);
    assert.equal(res.headers.get('etag'), `"${object.metadata.resourceVersion}"`);
    // GET, edit, PUT: the services GET shows (the pods') are accepted back and not written.
    const { resourceVersion: _read, ...shown } = lane as Record<string, unknown>;
    const putBack = await fetch(`${api}/v1/lanes/feature-x`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(shown) });
    assert.equal(putBack.status, 200, await putBack.clone().text());
    assert.deepEqual(((await putBack.json()) as { services: unknown }).services, lane.services);
    assert.deepEqual((await mesh.api('GET', '/apis/laneway.dev/v1alpha1/namespaces/default/lanes/feature-x')).spec, object.spec, 'the spec is as it was');
    const withEndpoints = await fetch(`${api}/v1/lanes/hotfix`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ services: { orders: ['127.0.0.9:80'] } }) });
    assert.equal(withEndpoints.status, 400);
    const refused = (await withEndpoints.json()) as { details: Array<{ path: string; reason: string }> };
    assert.equal(refused.details[0]!.path, 'lanes/hotfix/services');
    assert.match(refused.details[0]!.reason, /laneway\.dev\/lane=hotfix/);
    assert.equal((await kube.request('GET', '/apis/laneway.dev/v1alpha1/namespaces/default/lanes/hotfix')).status, 404, 'nothing was written');
    const service = await fetch(`${api}/v1/services/orders`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ protocol: 'http', port: 8080, endpoints: [] }) });
    assert.equal(service.status, 409);
    assert.match(((await service.json()) as { message: string }).message, /defined by Kubernetes/);
  });

  test('one replica (holding the Lease) writes each Lane\'s status; kubectl get lanes shows it', async (t) => {
    await waitFor('feature-x status', async () => {
      const lane = await mesh.api('GET', '/apis/laneway.dev/v1alpha1/namespaces/default/lanes/feature-x');
      return lane.status?.servicesSummary === 'orders' && lane.status.conditions?.[0]?.status === 'True';
    }, 10000, 100);
    const lease = await mesh.api('GET', '/apis/coordination.k8s.io/v1/namespaces/default/leases/laneway-status-writer');
    assert.ok(lease.spec.holderIdentity, 'a replica holds the status Lease');
    const table = kube.kubectl(['get', 'lanes']);
    assert.match(table, /NAME\s+FALLBACK\s+READY\s+SERVICES\s+FORKS\s+OWNER\s+EXPIRES\s+AGE/);
    assert.match(table, /feature-x\s+True\s+orders\s+e2e/);
    t.diagnostic(table.trim());
  });

  test('an expired Lane stops being served and the status writer deletes it', async () => {
    await mesh.putLane('short-lived', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    await waitFor('short-lived to be deleted', async () => (await kube.request('GET', '/apis/laneway.dev/v1alpha1/namespaces/default/lanes/short-lived')).status === 404, 10000, 200);
  });

  test('two replicas serve identical versions to the same Envoy', async () => {
    // The same Envoy (node, listener port) against each replica in turn; the listener embeds the port.
    const listenerPort = await freePort('127.0.0.1');
    const versions: Array<Record<string, string>> = [];
    for (const replica of mesh.replicas) {
      const probe = await mesh.startProbeIngress('probe', replica, listenerPort);
      try {
        await waitFor(`the probe on ${replica.name} to hold config`, async () => Object.keys(await dynamicVersions(probe.adminPort)).length >= 6, 10000);
        versions.push(await dynamicVersions(probe.adminPort));
      } finally {
        await probe.envoy.stop();
      }
    }
    assert.deepEqual(versions[0], versions[1]);
    const ingress = await dynamicVersions(mesh.ingress.adminPort);
    for (const key of Object.keys(ingress).filter((k) => !k.startsWith('listener '))) assert.equal(versions[0]![key], ingress[key], key);
  });

  test('relabelling a pod moves it into a lane within 2 s; deleting the Lane sends traffic back to stable within 2 s', async (t) => {
    await mesh.addPod('payments-fx', 'payments', 'feature-x', '127.0.0.15', 'not-a-lane-yet');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X, 'a pod of a lane without a Lane resource serves nobody');
    await mesh.setPodLaneLabel('payments-fx', 'feature-x');
    const relabel = await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, 'frontend/stable orders/feature-x payments/feature-x', 2000);
    assert.equal((await get(mesh.ingressUrl)).path, ALL_STABLE);
    await mesh.deleteLane('feature-x');
    const deleted = await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, ALL_STABLE, 2000);
    await mesh.putLane('feature-x', { owner: 'e2e' });
    const recreated = await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, 'frontend/stable orders/feature-x payments/feature-x', 2000);
    t.diagnostic(`relabel -> routed in ${relabel.toFixed(0)} ms; lane delete -> stable in ${deleted.toFixed(0)} ms; recreate in ${recreated.toFixed(0)} ms`);
  });

  test('REST API writes Lane objects: delete and create through one replica route on Envoys of the other; stale If-Match is 412', async (t) => {
    const [a, b] = mesh.replicas;
    const apiA = `http://127.0.0.1:${a!.apiPort}`;
    const apiB = `http://127.0.0.1:${b!.apiPort}`;
    const json = { 'content-type': 'application/json' };
    const lanePath = '/apis/laneway.dev/v1alpha1/namespaces/default/lanes/feature-x';
    const WITH_PAYMENTS = 'frontend/stable orders/feature-x payments/feature-x';
    assert.deepEqual(await mesh.proxiesOn(b!), [], 'every Envoy uses replica-a');
    // The status writer's updates bump the Lane's resourceVersion too: wait until it is done and the API shows it.
    const settled = async (api: string) => {
      let version = '';
      await waitFor('the Lane status to be written and shown', async () => {
        const object = await mesh.api('GET', lanePath);
        const shown = (await (await fetch(`${api}/v1/lanes/feature-x`)).json()) as { resourceVersion?: string };
        version = object.metadata.resourceVersion;
        return object.status?.servicesSummary === 'orders,payments' && shown.resourceVersion === version;
      }, 10000, 50);
      return version;
    };
    // DELETE through replica B's API (If-Match: the Lane's resourceVersion): the object goes, routing returns to stable.
    const removed = await fetch(`${apiB}/v1/lanes/feature-x`, { method: 'DELETE', headers: { 'if-match': `"${await settled(apiB)}"` } });
    assert.equal(removed.status, 200, await removed.clone().text());
    assert.equal((await kube.request('GET', lanePath)).status, 404, 'the Lane object is deleted');
    const deleted = await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, ALL_STABLE, 5000);
    // PUT through replica B creates the Lane; the Envoys on replica A route by it.
    const put = await fetch(`${apiB}/v1/lanes/feature-x`, { method: 'PUT', headers: { ...json, 'if-none-match': '*' }, body: JSON.stringify({ owner: 'e2e', description: 'created through the API', ttl: '2h' }) });
    assert.equal(put.status, 201, await put.clone().text());
    const created = (await put.json()) as { resourceVersion: string; ttl: string; expiresAt: string };
    const object = await mesh.api('GET', lanePath);
    assert.equal(put.headers.get('etag'), `"${created.resourceVersion}"`);
    assert.ok(Number(object.metadata.resourceVersion) >= Number(created.resourceVersion), 'the API answers with the Lane object\'s resourceVersion');
    assert.deepEqual({ owner: object.spec.owner, ttl: object.spec.ttl, expiresAt: object.spec.expiresAt }, { owner: 'e2e', ttl: '2h', expiresAt: created.expiresAt });
    const routed = await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, WITH_PAYMENTS, 5000);
    // PATCH with the current version through replica A; then a PUT with the old one is refused.
    const current = await settled(apiA);
    const patched = await fetch(`${apiA}/v1/lanes/feature-x`, { method: 'PATCH', headers: { ...json, 'if-match': `"${current}"` }, body: JSON.stringify({ description: 'patched through replica A' }) });
    assert.equal(patched.status, 200, await patched.clone().text());
    const changed = (await patched.json()) as { resourceVersion: string; description?: string; owner?: string; ttl?: string };
    assert.notEqual(changed.resourceVersion, current);
    assert.deepEqual([changed.owner, changed.description, changed.ttl], ['e2e', 'patched through replica A', '2h']);
    const stale = await fetch(`${apiA}/v1/lanes/feature-x`, { method: 'PUT', headers: { ...json, 'if-match': `"${created.resourceVersion}"` }, body: JSON.stringify({ owner: 'someone-else' }) });
    assert.equal(stale.status, 412);
    assert.equal(((await stale.json()) as { error: string }).error, 'precondition_failed');
    assert.equal((await mesh.api('GET', lanePath)).spec.owner, 'e2e', 'the stale write changed nothing');
    const staleDelete = await fetch(`${apiA}/v1/lanes/feature-x`, { method: 'DELETE', headers: { 'if-match': `"${created.resourceVersion}"` } });
    assert.equal(staleDelete.status, 412);
    assert.equal(Number(await settled(apiA)) >= Number(changed.resourceVersion), true, 'replica A shows the Lane\'s current resourceVersion');
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, WITH_PAYMENTS);
    t.diagnostic(`API delete -> stable in ${deleted.toFixed(0)} ms; API create on replica-b -> routed by replica-a's Envoys in ${routed.toFixed(0)} ms`);
  });

  test('kill a replica: its Envoys reconnect to the other and see the same versions (no config change)', async () => {
    const [a, b] = mesh.replicas;
    const onA = await mesh.proxiesOn(a!);
    assert.ok(onA.length > 0, 'some Envoys use replica-a');
    const versionsBefore = await Promise.all(mesh.adminPorts.map((p) => dynamicVersions(p)));
    const countersBefore = await Promise.all(mesh.adminPorts.map((p) => counters(p, CHANGE_COUNTERS)));
    await a!.process.kill();
    await waitFor('every Envoy to be connected to replica-b', async () => (await mesh.proxiesOn(b!)).length === mesh.pods.length + 1, 20000, 200);
    assert.deepEqual(await Promise.all(mesh.adminPorts.map((p) => dynamicVersions(p))), versionsBefore, 'same versions from the other replica');
    assert.deepEqual(await Promise.all(mesh.adminPorts.map((p) => counters(p, CHANGE_COUNTERS))), countersBefore, 'no listener or cluster changed');
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, 'frontend/stable orders/feature-x payments/feature-x');
  });

  test('API server down for 10 s: routing continues; after restart the watch resumes and converges', async () => {
    const versionsBefore = await Promise.all(mesh.adminPorts.map((p) => dynamicVersions(p)));
    await kube.stopApiServer();
    await new Promise((r) => setTimeout(r, 10000));
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, 'frontend/stable orders/feature-x payments/feature-x', 'last good config while the API server is down');
    await kube.startApiServer();
    // Resumed watches see nothing new: no push, no flap.
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await Promise.all(mesh.adminPorts.map((p) => dynamicVersions(p))), versionsBefore, 'same versions across the outage');
    await mesh.deleteLane('feature-x');
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, ALL_STABLE, 10000);
  });
});

// The core routing promise with real Envoys on incremental xDS (ADS api_type: DELTA_GRPC): the same
// bootstraps rendered as usual, switched to delta by a wrapper, against the real control plane.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { waitFor } from '../../deploy/local/processes.js';
import { connectedByProtocol, writeDeltaEnvoyWrapper } from '../support/delta-envoy.js';
import { counters, dynamicVersions } from '../support/envoy-admin.js';
import { get, waitForPath } from '../support/mesh-client.js';
import { assertOneEndpointResponsePerNewCluster, responseCounts, waitForSynced } from '../support/proxy-responses.js';

const ALL_STABLE = 'frontend/stable orders/stable payments/stable';
const FEATURE_X = 'frontend/stable orders/feature-x payments/stable';
// Counters that move only when Envoy really changes a listener or cluster.
const CHANGE_COUNTERS = [
  'listener_manager.listener_added', 'listener_manager.listener_modified', 'listener_manager.listener_removed',
  'cluster_manager.cluster_added', 'cluster_manager.cluster_modified', 'cluster_manager.cluster_removed',
];

describe('lanes through real Envoy sidecars on delta xDS', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-delta-'));
  const mesh = new LocalMesh({ workDir, ports: 'free', envoyBin: writeDeltaEnvoyWrapper(workDir) });
  const nodeIds = () => ['ingress', ...mesh.instances.map((i) => `${i.service}-${i.lane}`)].sort();

  before(async () => {
    await mesh.startDemo();
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, FEATURE_X, 10000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('every Envoy runs a delta ADS stream, none State of the World', () => {
    for (const id of nodeIds()) assert.match(readFileSync(join(workDir, `${id}.envoy.yaml`), 'utf8'), /api_type: DELTA_GRPC/);
    assert.deepEqual(connectedByProtocol(mesh.controlPlane.logFile), { delta: nodeIds(), sotw: [] });
  });

  test('no lane header: every hop is stable; x-lane: feature-x reaches feature-x orders', async () => {
    const stable = await get(mesh.ingressUrl);
    assert.equal(stable.status, 200);
    assert.equal(stable.path, ALL_STABLE);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'no-such-lane' })).path, ALL_STABLE);
  });

  test('a lane created through the API takes effect; its deletion undoes it without a failed request', async (t) => {
    const hotfix = await mesh.addInstance('payments', 'hotfix');
    const before = await responseCounts(mesh);
    const put = await mesh.api('PUT', '/v1/lanes/hotfix', { services: { payments: [`127.0.0.1:${hotfix.appPort}`] } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const ms = await waitForPath(mesh.ingressUrl, { 'x-lane': 'hotfix' }, 'frontend/stable orders/stable payments/hotfix', 5000);
    t.diagnostic(`delta: lane create -> routed through 3 sidecars in ${ms.toFixed(0)} ms`);
    assertOneEndpointResponsePerNewCluster(before, await waitForSynced(mesh));

    const statuses: number[] = [];
    let deleting = true;
    const load = (async () => {
      while (deleting) statuses.push((await get(mesh.ingressUrl, { 'x-lane': 'hotfix' })).status);
    })();
    const del = await mesh.api('DELETE', '/v1/lanes/hotfix');
    assert.equal(del.status, 200, JSON.stringify(del.body));
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'hotfix' }, ALL_STABLE, 5000);
    await new Promise((r) => setTimeout(r, 200));
    deleting = false;
    await load;
    assert.ok(statuses.length > 0);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'no request failed while the lane was removed');
  });

  test('control plane restart: Envoys reconnect with what they hold and nothing changes', async () => {
    const proxies = [mesh.ingress.adminPort, ...mesh.instances.map((i) => i.adminPort)];
    const versionsBefore = await Promise.all(proxies.map((p) => dynamicVersions(p)));
    const countersBefore = await Promise.all(proxies.map((p) => counters(p, CHANGE_COUNTERS)));
    const connectedBefore = await Promise.all(proxies.map((p) => counters(p, ['control_plane.connected_state'])));
    assert.ok(connectedBefore.every((c) => c['control_plane.connected_state'] === 1));
    await mesh.controlPlane.kill();
    await waitFor('the ingress to notice the control plane is gone', async () =>
      (await counters(mesh.ingress.adminPort, ['control_plane.connected_state']))['control_plane.connected_state'] === 0, 10000);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X, 'routing while the control plane is down');

    await mesh.startControlPlane();
    await waitFor('every Envoy to reconnect', async () => {
      const now = await Promise.all(proxies.map((p) => counters(p, ['control_plane.connected_state'])));
      return now.every((c) => c['control_plane.connected_state'] === 1);
    }, 15000);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepEqual(await Promise.all(proxies.map((p) => dynamicVersions(p))), versionsBefore, 'same versions after restart');
    assert.deepEqual(await Promise.all(proxies.map((p) => counters(p, CHANGE_COUNTERS))), countersBefore, 'no listener or cluster changed');
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X);
    assert.deepEqual(connectedByProtocol(mesh.controlPlane.logFile).sotw, []);
    assert.doesNotMatch(readFileSync(mesh.controlPlane.logFile, 'utf8'), /NACK/, 'no Envoy rejected a delta response');
  });
});

// The control plane SIGKILLed and restarted: Envoys keep routing while it is down, reconnect, and
// receive the same versions (no config change); nothing stored is lost.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { waitFor } from '../../deploy/local/processes.js';
import { counters, dynamicVersions } from '../support/envoy-admin.js';
import { get, waitForPath } from '../support/mesh-client.js';

const FEATURE_X = 'frontend/stable orders/feature-x payments/stable';
// Counters that move only when Envoy really changes a listener or cluster.
const CHANGE_COUNTERS = [
  'listener_manager.listener_added',
  'listener_manager.listener_modified',
  'listener_manager.listener_removed',
  'cluster_manager.cluster_added',
  'cluster_manager.cluster_modified',
  'cluster_manager.cluster_removed',
];

const UPDATE_COUNTERS = ['cluster_manager.cds.update_success', 'listener_manager.lds.update_success'];

describe('control plane restart', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-restart-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });

  before(async () => {
    await mesh.startDemo();
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, FEATURE_X, 10000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('SIGKILL, keep routing, restart, same versions, nothing lost', async () => {
    const proxies = [mesh.ingress.adminPort, ...mesh.instances.map((i) => i.adminPort)];
    const versionsBefore = await Promise.all(proxies.map((p) => dynamicVersions(p)));
    const countersBefore = await Promise.all(proxies.map((p) => counters(p, CHANGE_COUNTERS)));
    const lanesBefore = await mesh.api('GET', '/v1/lanes');
    const servicesBefore = await mesh.api('GET', '/v1/services');
    assert.ok(Object.keys(versionsBefore[0]!).length > 0, 'the ingress holds dynamic config');

    const updatesBefore = await Promise.all(proxies.map((p) => counters(p, UPDATE_COUNTERS)));
    await mesh.controlPlane.kill();
    assert.equal(mesh.controlPlane.child.signalCode, 'SIGKILL');
    await waitFor('the ingress to notice the control plane is gone', async () => {
      const c = await counters(mesh.ingress.adminPort, ['control_plane.connected_state']);
      return c['control_plane.connected_state'] === 0;
    }, 10000);
    for (let i = 0; i < 5; i++) {
      assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X, 'routing while the control plane is down');
    }

    await mesh.startControlPlane();
    // Reconnected and re-served: each Envoy accepted a fresh CDS and LDS response.
    await waitFor('every Envoy to reconnect and accept the re-sent config', async () => {
      const now = await Promise.all(proxies.map((p) => counters(p, UPDATE_COUNTERS)));
      return now.every((c, i) => UPDATE_COUNTERS.every((name) => (c[name] ?? 0) > (updatesBefore[i]![name] ?? 0)));
    }, 15000);

    assert.deepEqual(await Promise.all(proxies.map((p) => dynamicVersions(p))), versionsBefore, 'same versions after restart');
    assert.deepEqual(await Promise.all(proxies.map((p) => counters(p, CHANGE_COUNTERS))), countersBefore, 'no listener or cluster changed');
    assert.deepEqual(await mesh.api('GET', '/v1/lanes'), lanesBefore);
    assert.deepEqual(await mesh.api('GET', '/v1/services'), servicesBefore);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X);
  });
});

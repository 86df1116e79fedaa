// Lane TTLs end to end with real Envoys: a lane created with a 2 s TTL is routed, then disappears
// from the API and from Envoy routing once it expires, also when the control plane was down
// (SIGKILL) across the expiry and restarted afterwards.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { loadStore } from '../../control-plane/src/sources/store-file.js';
import { waitFor } from '../../deploy/local/processes.js';
import { get, waitForPath } from '../support/mesh-client.js';

const ALL_STABLE = 'frontend/stable orders/stable payments/stable';
// The short-lived lanes borrow feature-x's orders instance, so where a request went shows in the path.
const VIA_FEATURE_X_ORDERS = 'frontend/stable orders/feature-x payments/stable';

describe('lane expiry through real Envoy sidecars', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-e2e-expiry-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });

  before(async () => {
    await mesh.startDemo();
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, VIA_FEATURE_X_ORDERS, 10000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  /** Creates a lane with a 2 s TTL and waits until Envoy routes it; returns its expiresAt. */
  async function createBriefLane(name: string): Promise<number> {
    const put = await mesh.api('PUT', `/v1/lanes/${name}`, { ttl: '2s', services: { orders: mesh.endpointsOf('orders', 'feature-x') } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    assert.equal(put.body.ttl, '2s');
    const expiresAt = Date.parse(put.body.expiresAt);
    // The lane lives at least 2 s; routing it takes milliseconds, so this is not a race in practice.
    let path = '';
    while (path !== VIA_FEATURE_X_ORDERS && Date.now() < expiresAt) path = (await get(mesh.ingressUrl, { 'x-lane': name })).path;
    assert.equal(path, VIA_FEATURE_X_ORDERS, `Envoy never routed lane ${name} before it expired`);
    return expiresAt;
  }

  test('a 2 s lane is routed, then is gone from the API and from Envoy routing', async (t) => {
    await createBriefLane('brief');
    await waitFor('the lane to leave the API', async () => (await mesh.api('GET', '/v1/lanes/brief')).status === 404, 15000).catch((err: Error) => {
      // What the control plane said about expiry, so a failure here can be told apart from a lost timer.
      const said = readFileSync(mesh.controlPlane.logFile, 'utf8').split('\n').filter((l) => /expir/.test(l)).slice(-10);
      throw new Error(`${err.message}; the control plane's log lines about expiry: ${said.join('\n') || 'none'}`);
    });
    const ms = await waitForPath(mesh.ingressUrl, { 'x-lane': 'brief' }, ALL_STABLE, 10000);
    t.diagnostic(`expired lane routed to stable ${ms.toFixed(0)} ms after it left the API`);
    assert.deepEqual((await mesh.api('GET', '/v1/lanes')).body.items.map((l: { name: string }) => l.name), ['feature-x']);
  });

  test('a 2 s lane that expires while the control plane is down is gone once it restarts', async () => {
    const expiresAt = await createBriefLane('brief-2');
    await mesh.controlPlane.kill();
    // Read as the store reads it at start: the state file and its journal.
    const stored = (await loadStore(join(workDir, 'data'), new Date().toISOString())).contents.state;
    assert.ok(Object.hasOwn(stored.lanes, 'brief-2'), 'the lane was still stored when the control plane died');
    // Envoys keep their last config while the control plane is down: the lane is still routed.
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'brief-2' })).path, VIA_FEATURE_X_ORDERS);
    await waitFor('the lane\'s expiry to pass', async () => Date.now() > expiresAt + 200, 10000);

    await mesh.startControlPlane();
    assert.equal((await mesh.api('GET', '/v1/lanes/brief-2')).status, 404, 'gone as soon as the restarted control plane answers');
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'brief-2' }, ALL_STABLE, 15000);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, VIA_FEATURE_X_ORDERS, 'other lanes are untouched');
    const log = readFileSync(mesh.controlPlane.logFile, 'utf8');
    assert.match(log, /"who":"expiry","action":"lane\.expire","lane":"brief-2"/);
  });
});

// The core promise, end to end with real Envoys: ingress -> frontend -> orders -> payments, each
// hop through a sidecar configured only by our control plane (a child process, killed for real).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { get, waitForPath } from '../support/mesh-client.js';
import { assertOneEndpointResponsePerNewCluster, responseCounts, waitForSynced } from '../support/proxy-responses.js';

const ALL_STABLE = 'frontend/stable orders/stable payments/stable';
const FEATURE_X = 'frontend/stable orders/feature-x payments/stable';

describe('lanes through real Envoy sidecars', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-e2e-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });

  before(async () => {
    await mesh.startDemo();
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-x' }, FEATURE_X, 10000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('no lane header: every hop is stable', async () => {
    const answer = await get(mesh.ingressUrl);
    assert.equal(answer.status, 200);
    assert.equal(answer.path, ALL_STABLE);
    assert.equal(answer.servedBy, 'frontend/stable');
  });

  test('x-lane: feature-x reaches the feature-x orders and stable everywhere else', async () => {
    const answer = await get(mesh.ingressUrl, { 'x-lane': 'feature-x' });
    assert.equal(answer.status, 200);
    assert.equal(answer.path, FEATURE_X);
  });

  test('unknown and malformed lanes go to stable', async () => {
    const values = ['no-such-lane', 'FEATURE-X', 'feature_x', 'feature-x,feature-y', '../feature-x', 'x'.repeat(300), ''];
    for (const value of values) {
      const answer = await get(mesh.ingressUrl, { 'x-lane': value });
      assert.equal(answer.status, 200, `x-lane: ${JSON.stringify(value)}`);
      assert.equal(answer.path, ALL_STABLE, `x-lane: ${JSON.stringify(value)}`);
    }
  });

  test('a lane created through the API takes effect without restarts, and its deletion undoes it', async (t) => {
    const lane = { services: { payments: mesh.endpointsOf('payments', 'stable') }, description: 'created by the e2e test' };
    // An instance for the new lane: a second payments process, served as lane "hotfix".
    const hotfix = await mesh.addInstance('payments', 'hotfix');
    lane.services.payments = [`127.0.0.1:${hotfix.appPort}`];
    const before = await responseCounts(mesh);
    const put = await mesh.api('PUT', '/v1/lanes/hotfix', lane);
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const ms = await waitForPath(mesh.ingressUrl, { 'x-lane': 'hotfix' }, 'frontend/stable orders/stable payments/hotfix', 5000);
    t.diagnostic(`lane create -> routed through 3 sidecars in ${ms.toFixed(0)} ms`);
    // The new cluster's endpoints go out right after it, before Envoy asks: one EDS response per
    // proxy that got the cluster, ACKed (an endpoint response Envoy had dropped would leave the
    // cluster warming, and the request above would not have reached the lane).
    assertOneEndpointResponsePerNewCluster(before, await waitForSynced(mesh));

    // Make before break: while the lane goes away, every request is served (by hotfix, then stable).
    const statuses: number[] = [];
    let deleting = true;
    const load = (async () => {
      while (deleting) statuses.push((await get(mesh.ingressUrl, { 'x-lane': 'hotfix' })).status);
    })();
    const del = await mesh.api('DELETE', '/v1/lanes/hotfix');
    assert.equal(del.status, 200, JSON.stringify(del.body));
    const back = await waitForPath(mesh.ingressUrl, { 'x-lane': 'hotfix' }, ALL_STABLE, 5000);
    await new Promise((r) => setTimeout(r, 200));
    deleting = false;
    await load;
    t.diagnostic(`lane delete -> back to stable in ${back.toFixed(0)} ms; ${statuses.length} requests during the change`);
    assert.ok(statuses.length > 0);
    assert.deepEqual(statuses.filter((s) => s !== 200), [], 'no request failed while the lane was removed');
  });

  test('chained lanes: feature-y overrides payments and falls back to feature-x', async () => {
    const y = await mesh.addInstance('payments', 'feature-y');
    const put = await mesh.api('PUT', '/v1/lanes/feature-y', { fallback: 'feature-x', services: { payments: [`127.0.0.1:${y.appPort}`] } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-y' }, 'frontend/stable orders/feature-x payments/feature-y', 5000);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X);

    const blocked = await mesh.api('DELETE', '/v1/lanes/feature-x');
    assert.equal(blocked.status, 409, 'feature-x is feature-y\'s fallback');
    assert.match(blocked.body.message, /feature-y/);
  });

  test('an invalid definition is refused with a 400 naming the field, and changes nothing', async () => {
    const before = await mesh.api('GET', '/v1/lanes/feature-x');
    const bad = await mesh.api('PUT', '/v1/lanes/feature-x', { fallback: 'missing-lane', services: { orders: ['not an endpoint'] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_definition');
    assert.ok(bad.body.details.some((d: { path: string }) => d.path === 'lanes/feature-x/services/orders/0'), JSON.stringify(bad.body));
    assert.deepEqual(await mesh.api('GET', '/v1/lanes/feature-x'), before);
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-x' })).path, FEATURE_X);
  });
});

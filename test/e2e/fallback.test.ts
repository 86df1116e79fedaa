// Fallback on unhealthy, per lane and opt-in: when every endpoint of feature-x's orders is down,
// feature-x requests are served by stable orders and say "orders/stable (fallback)"; feature-y,
// which did not opt in, fails like a broken lane should. Envoy does it (health checks, priorities).
// The lanes are set through the REST API, as a user would.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { meshGet, waitForAnswer, type MeshAnswer } from '../../deploy/local/client.js';
import { LocalMesh, type Instance } from '../../deploy/local/mesh.js';

const STABLE = 'frontend/stable orders/stable payments/stable';
const ordersHop = (a: MeshAnswer) => `${a.status} ${a.path} [${a.hops[1]?.servedBy}]`;

describe('fallback to stable when a lane instance is unhealthy', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-fallback-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });
  let featureX: Instance;
  let featureY: Instance;

  before(async () => {
    await mesh.startDemo();
    featureX = mesh.instances.find((i) => i.service === 'orders' && i.lane === 'feature-x')!;
    featureY = await mesh.addInstance('orders', 'feature-y');
    const x = await mesh.api('PATCH', '/v1/lanes/feature-x', { fallbackOnUnhealthy: true });
    assert.equal(x.status, 200, JSON.stringify(x.body));
    assert.equal(x.body.fallbackOnUnhealthy, true);
    const y = await mesh.api('PUT', '/v1/lanes/feature-y', { services: { orders: [`127.0.0.1:${featureY.appPort}`] } });
    assert.equal(y.status, 201, JSON.stringify(y.body));
    for (const lane of ['feature-x', 'feature-y']) {
      const expected = `200 frontend/stable orders/${lane} payments/stable [orders/${lane}]`;
      await waitForAnswer(mesh.ingressUrl, { 'x-lane': lane }, (a) => ordersHop(a) === expected, 15000);
    }
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('fallbackOnUnhealthy on: the lane instance dies, requests succeed on stable and say so', async (t) => {
    await mesh.stopApp(featureX);
    const expected = `200 ${STABLE} [orders/stable (fallback)]`;
    const { ms } = await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'feature-x' }, (a) => ordersHop(a) === expected, 15000);
    t.diagnostic(`lane instance down -> served by stable (fallback) after ${ms.toFixed(0)} ms`);
    for (let i = 0; i < 10; i++) assert.equal(ordersHop(await meshGet(mesh.ingressUrl, { 'x-lane': 'feature-x' })), expected);
    // Requests without the lane are not affected, and are not labelled as a fallback.
    assert.equal(ordersHop(await meshGet(mesh.ingressUrl)), `200 ${STABLE} [orders/stable]`);
  });

  test('the lane instance comes back: its requests return to it', async (t) => {
    await mesh.restartApp(featureX);
    const expected = '200 frontend/stable orders/feature-x payments/stable [orders/feature-x]';
    const { ms } = await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'feature-x' }, (a) => ordersHop(a) === expected, 15000);
    t.diagnostic(`lane instance back -> served by feature-x after ${ms.toFixed(0)} ms`);
  });

  test('fallbackOnUnhealthy off (the default): the lane instance dies and its requests fail', async () => {
    await mesh.stopApp(featureY);
    for (let i = 0; i < 10; i++) {
      const answer = await meshGet(mesh.ingressUrl, { 'x-lane': 'feature-y' });
      assert.equal(answer.status, 502, ordersHop(answer));
      assert.match(answer.error ?? '', /^orders answered 503/);
    }
    assert.equal(ordersHop(await meshGet(mesh.ingressUrl)), `200 ${STABLE} [orders/stable]`);
  });
});

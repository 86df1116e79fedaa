// W3C baggage carries the lane: a request whose `baggage` holds the member lane=feature-x routes
// exactly like x-lane: feature-x, at the ingress and at a sidecar on its own, with the realistic
// strings OpenTelemetry SDKs send (several members, properties, whitespace, percent-encoding).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { meshGet, waitForAnswer, type RequestHeaders } from '../../deploy/local/client.js';
import { LocalMesh } from '../../deploy/local/mesh.js';

const STABLE = 'frontend/stable orders/stable payments/stable';
const FEATURE_X = 'frontend/stable orders/feature-x payments/stable';

const ENTERS_FEATURE_X: Array<string | string[]> = [
  'lane=feature-x',
  'userId=alice,lane=feature-x,sessionId=42',
  '  userId = alice ;  ttl=3 ,  lane = feature-x ; propagate ; ttl=60 ,other=1',
  'lane=feature%2Dx',
  '%F0%9F%9A%80=rocket,traceState=abc%2C%3Bdef,lane=feature-x;owner=bob%40example.com',
  'lane=feature-x;sampled=true,lane=feature-y',
  ['userId=alice', 'lane=feature-x'],
];

const STAYS_STABLE: Array<string | string[]> = [
  'Lane=feature-x',
  'xlane=feature-x',
  'lane-x=feature-x',
  'userId=alice;lane=feature-x',
  'lane=',
  'lane=FEATURE-X',
  'lane=feature_x',
  'lane=feature-x%2Cfeature-y',
  'lane',
  ',,,',
];

describe('W3C baggage enters a lane', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-baggage-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });
  /** The frontend's sidecar, called as the frontend app calls orders (no ingress involved). */
  const viaSidecar = (headers: RequestHeaders) => {
    const frontend = mesh.instances.find((i) => i.service === 'frontend' && i.lane === 'stable')!;
    return meshGet(`http://127.0.0.1:${frontend.sidecarPort}/`, { ...headers, host: 'orders' });
  };

  before(async () => {
    await mesh.startDemo();
    await waitForAnswer(mesh.ingressUrl, { baggage: 'lane=feature-x' }, (a) => a.path === FEATURE_X, 10000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  for (const baggage of ENTERS_FEATURE_X) {
    test(`baggage ${JSON.stringify(baggage)} enters feature-x, through the ingress and at a sidecar`, async () => {
      const answer = await meshGet(mesh.ingressUrl, { baggage });
      assert.equal(answer.status, 200);
      assert.equal(answer.path, FEATURE_X);
      const direct = await viaSidecar({ baggage });
      assert.equal(direct.servedBy, 'orders/feature-x');
      assert.equal(direct.path, 'orders/feature-x payments/stable');
    });
  }

  test('baggage without a lane member (or with a key, case or value that is not one) stays stable', async () => {
    for (const baggage of STAYS_STABLE) {
      const answer = await meshGet(mesh.ingressUrl, { baggage });
      assert.equal(answer.status, 200, JSON.stringify(baggage));
      assert.equal(answer.path, STABLE, JSON.stringify(baggage));
      assert.equal((await viaSidecar({ baggage })).servedBy, 'orders/stable', JSON.stringify(baggage));
    }
  });

  test('the lane header wins over baggage, even when it names an unknown lane', async () => {
    const y = await mesh.addInstance('payments', 'feature-y');
    const put = await mesh.api('PUT', '/v1/lanes/feature-y', { services: { payments: [`127.0.0.1:${y.appPort}`] } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    const featureY = 'frontend/stable orders/stable payments/feature-y';
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'feature-y' }, (a) => a.path === featureY, 10000);

    assert.equal((await meshGet(mesh.ingressUrl, { 'x-lane': 'feature-y', baggage: 'lane=feature-x' })).path, featureY);
    assert.equal((await meshGet(mesh.ingressUrl, { 'x-lane': 'no-such-lane', baggage: 'lane=feature-x' })).path, STABLE);
    assert.equal((await viaSidecar({ 'x-lane': 'feature-y', baggage: 'lane=feature-x' })).servedBy, 'orders/stable');
    // An empty lane header is no lane header.
    assert.equal((await meshGet(mesh.ingressUrl, { 'x-lane': '', baggage: 'lane=feature-x' })).path, FEATURE_X);
  });
});

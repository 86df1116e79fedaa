// Entering a lane at the edge, end to end through the ingress and three sidecar hops: the lane
// header, W3C baggage, a host subdomain, a cookie and a query parameter each enter feature-x, and
// when several are present the first in that order wins.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { meshGet, waitForAnswer, type RequestHeaders } from '../../deploy/local/client.js';
import { LocalMesh } from '../../deploy/local/mesh.js';

const DOMAIN = 'app.example.test';
const STABLE = 'frontend/stable orders/stable payments/stable';
const FEATURE_X = 'frontend/stable orders/feature-x payments/stable';
const FEATURE_Y = 'frontend/stable orders/stable payments/feature-y';

describe('lane entry at the ingress', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-ingress-'));
  const mesh = new LocalMesh({ workDir, ports: 'free', ingressDomain: DOMAIN });
  const host = (sub?: string) => `${sub ? `${sub}.` : ''}${DOMAIN}:${mesh.ingress.port}`;
  const get = (path: string, headers: RequestHeaders) => meshGet(`${mesh.ingressUrl}${path}`, headers);

  before(async () => {
    await mesh.startDemo();
    // feature-y overrides payments (gRPC), so precedence tests can tell two lanes apart.
    const y = await mesh.addInstance('payments', 'feature-y');
    const put = await mesh.api('PUT', '/v1/lanes/feature-y', { services: { payments: [`127.0.0.1:${y.appPort}`] } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'feature-y' }, (a) => a.path === FEATURE_Y, 10000);
    await waitForAnswer(mesh.ingressUrl, { host: host('feature-x') }, (a) => a.path === FEATURE_X, 10000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  const entries: Array<[mechanism: string, path: string, headers: () => RequestHeaders]> = [
    ['lane header', '/', () => ({ 'x-lane': 'feature-x' })],
    ['baggage', '/', () => ({ baggage: 'userId=alice,lane=feature-x' })],
    ['host subdomain', '/', () => ({ host: host('feature-x') })],
    ['host subdomain, any case', '/', () => ({ host: host('Feature-X') })],
    ['cookie', '/', () => ({ cookie: 'theme=dark; laneway-lane=feature-x; session=abc' })],
    ['query parameter', '/checkout?item=42&lane=feature-x', () => ({})],
  ];
  for (const [mechanism, path, headers] of entries) {
    test(`${mechanism} enters feature-x for all three hops`, async () => {
      const answer = await get(path, headers());
      assert.equal(answer.status, 200, answer.path);
      assert.equal(answer.path, FEATURE_X);
      assert.equal(answer.hops[1]?.servedBy, 'orders/feature-x');
    });
  }

  test('no mechanism, the bare domain, or unknown and malformed lanes: stable everywhere', async () => {
    const cases: Array<[string, RequestHeaders]> = [
      ['/', {}],
      ['/', { host: host() }],
      ['/', { host: host('no-such-lane') }],
      ['/', { host: host('a.feature-x') }],
      ['/', { host: `feature-x.other.test:${mesh.ingress.port}` }],
      ['/', { cookie: 'laneway-lane=nope' }],
      ['/?lane=', {}],
      ['/?lanes=feature-x', {}],
      ['/', { cookie: 'my-laneway-lane=feature-x' }],
    ];
    for (const [path, headers] of cases) {
      const answer = await get(path, headers);
      assert.equal(answer.status, 200, JSON.stringify({ path, headers }));
      assert.equal(answer.path, STABLE, JSON.stringify({ path, headers }));
    }
  });

  test('precedence: lane header, then baggage, then subdomain, then cookie, then query', async () => {
    const cases: Array<[string, string, RequestHeaders, string]> = [
      ['header beats baggage', '/', { 'x-lane': 'feature-y', baggage: 'lane=feature-x' }, FEATURE_Y],
      ['header beats subdomain', '/', { 'x-lane': 'feature-y', host: host('feature-x') }, FEATURE_Y],
      ['baggage beats subdomain', '/', { baggage: 'lane=feature-y', host: host('feature-x') }, FEATURE_Y],
      ['subdomain beats cookie', '/', { host: host('feature-y'), cookie: 'laneway-lane=feature-x' }, FEATURE_Y],
      ['cookie beats query', '/?lane=feature-x', { cookie: 'laneway-lane=feature-y' }, FEATURE_Y],
      ['subdomain beats query', '/?lane=feature-x', { host: host('feature-y') }, FEATURE_Y],
      ['an explicit unknown lane header still wins', '/?lane=feature-x', { 'x-lane': 'nope', cookie: 'laneway-lane=feature-x' }, STABLE],
      ['a value that is no lane name is skipped', '/?lane=feature-y', { cookie: 'laneway-lane=Not_A_Lane' }, FEATURE_Y],
    ];
    for (const [why, path, headers, expected] of cases) {
      const answer = await get(path, headers);
      assert.equal(answer.status, 200, why);
      assert.equal(answer.path, expected, why);
    }
  });
});

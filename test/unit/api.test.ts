import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const NOW = new Date('2030-01-01T00:00:00Z');
const AT = '2030-01-01T00:00:00.000Z';
const meta = (resourceVersion: string) => ({ resourceVersion, createdAt: AT, updatedAt: AT });

describe('REST API over HTTP', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'laneway-api-'));
  let ready = false;
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;

  before(async () => {
    const store = await FileStore.open(dataDir, { now: () => NOW });
    const app = buildApi({ store, getState: () => store.state(), ready: () => ready, logger: pino({ level: 'silent' }), now: () => NOW });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = () => app.close();
  });

  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const raw = typeof body === 'string' ? body : body === undefined ? undefined : JSON.stringify(body);
    const contentType: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const res = await fetch(`${base}${path}`, { method, headers: { ...contentType, ...headers }, body: raw });
    const text = await res.text();
    return { status: res.status, type: res.headers.get('content-type'), body: text ? JSON.parse(text) : undefined };
  }

  test('health is always ok; readiness follows the callback', async () => {
    assert.deepEqual(await call('GET', '/healthz'), { status: 200, type: 'application/json; charset=utf-8', body: { status: 'ok' } });
    assert.deepEqual((await call('GET', '/readyz')).status, 503);
    ready = true;
    assert.deepEqual((await call('GET', '/readyz')).body, { status: 'ready' });
  });

  test('services: PUT creates (201) then updates (200); GET one and the sorted list', async () => {
    const payments = { protocol: 'grpc', port: 9090, endpoints: ['10.0.0.2:9090'] };
    assert.deepEqual(await call('PUT', '/v1/services/payments', payments), { status: 201, type: 'application/json; charset=utf-8', body: { name: 'payments', ...payments, ...meta('1') } });
    assert.equal((await call('PUT', '/v1/services/orders', { name: 'orders', protocol: 'http', port: 8080 })).status, 201);
    const updated = await call('PUT', '/v1/services/orders', { protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] });
    assert.deepEqual(updated, { status: 200, type: 'application/json; charset=utf-8', body: { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'], ...meta('3') } });
    assert.deepEqual((await call('GET', '/v1/services/orders')).body, { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'], ...meta('3') });
    assert.deepEqual((await call('GET', '/v1/services')).body, { items: [
      { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'], ...meta('3') },
      { name: 'payments', protocol: 'grpc', port: 9090, endpoints: ['10.0.0.2:9090'], ...meta('1') },
    ] });
  });

  test('lanes: PUT, GET, chained lanes, sorted list', async () => {
    assert.deepEqual(await call('PUT', '/v1/lanes/feature-x', { services: { orders: ['10.1.0.1:8080'] }, owner: 'ana' }), {
      status: 201, type: 'application/json; charset=utf-8', body: { name: 'feature-x', services: { orders: ['10.1.0.1:8080'] }, owner: 'ana', ...meta('4') },
    });
    assert.equal((await call('PUT', '/v1/lanes/feature-y', { fallback: 'feature-x', services: { payments: ['10.2.0.2:9090'] } })).status, 201);
    assert.deepEqual((await call('GET', '/v1/lanes')).body.items.map((l: { name: string }) => l.name), ['feature-x', 'feature-y']);
    assert.deepEqual((await call('GET', '/v1/lanes/feature-y')).body, { name: 'feature-y', fallback: 'feature-x', services: { payments: ['10.2.0.2:9090'] }, ...meta('5') });
  });

  test('an invalid definition is a 400 naming every field (422: valid by the schemas, not between objects), and changes nothing', async () => {
    const lanesBefore = await call('GET', '/v1/lanes');
    const files = () => ['state.json', 'journal-0.jsonl'].map((name) => readFileSync(join(dataDir, name), 'utf8'));
    const fileBefore = files();
    const bad = await call('PUT', '/v1/lanes/feature-x', { fallback: 'missing-lane', services: { orders: ['not an endpoint'] }, colour: 5 });
    assert.deepEqual(bad, { status: 400, type: 'application/json; charset=utf-8', body: {
      error: 'invalid_definition',
      message: 'lanes/feature-x/colour: unknown field (allowed: name, fallback, services, owner, description, labels, ttl, expiresAt, expiresInSeconds, fallbackOnUnhealthy, forks, registered, status, resourceVersion, createdAt, updatedAt) (and 1 more error)',
      details: [
        { path: 'lanes/feature-x/colour', reason: 'unknown field (allowed: name, fallback, services, owner, description, labels, ttl, expiresAt, expiresInSeconds, fallbackOnUnhealthy, forks, registered, status, resourceVersion, createdAt, updatedAt)' },
        { path: 'lanes/feature-x/services/orders/0', reason: '"not an endpoint" is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)' },
      ],
    } });
    const badEndpoint = await call('PUT', '/v1/lanes/feature-x', { fallback: 'missing-lane', services: { orders: ['not an endpoint'] } });
    assert.deepEqual(badEndpoint.body.details, [
      { path: 'lanes/feature-x/services/orders/0', reason: '"not an endpoint" is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)' },
    ]);
    const dangling = await call('PUT', '/v1/lanes/feature-x', { fallback: 'missing-lane', services: {} });
    assert.equal(dangling.status, 422);
    assert.deepEqual(dangling.body, {
      error: 'invalid_definition',
      message: 'lanes/feature-x/fallback: lane "missing-lane" does not exist',
      details: [{ path: 'lanes/feature-x/fallback', reason: 'lane "missing-lane" does not exist' }],
    });
    const cycle = await call('PUT', '/v1/lanes/feature-x', { fallback: 'feature-y', services: {} });
    assert.equal(cycle.body.message, 'lanes/feature-x/fallback: fallback cycle feature-x -> feature-y -> feature-x');
    const renamed = await call('PUT', '/v1/lanes/feature-x', { name: 'feature-z', services: {} });
    assert.deepEqual(renamed.body.details, [{ path: 'lanes/feature-x/name', reason: '"feature-z" does not match the name in the URL "feature-x"' }]);
    const badName = await call('PUT', '/v1/lanes/Feature_X', { services: {} });
    assert.equal(badName.body.details[0].path, 'lanes/Feature_X/name');
    const reserved = await call('PUT', '/v1/lanes/stable', { services: {} });
    assert.equal(reserved.body.message, 'lanes/stable/name: "stable" is reserved for the mainline instances');
    const list = await call('PUT', '/v1/services/orders', [1, 2]);
    assert.deepEqual(list.body.details, [{ path: 'services/orders', reason: 'the body must be a JSON object, got a list' }]);
    for (const r of [badEndpoint, badName, reserved, list]) assert.equal(r.status, 400);
    for (const r of [dangling, cycle, renamed]) assert.equal(r.status, 422);
    assert.deepEqual(await call('GET', '/v1/lanes'), lanesBefore);
    assert.deepEqual(files(), fileBefore);
  });

  test('unknown names and routes are 404', async () => {
    assert.deepEqual(await call('GET', '/v1/lanes/nope'), { status: 404, type: 'application/json; charset=utf-8', body: {
      error: 'not_found', message: 'lane "nope" does not exist', details: [{ path: 'lanes/nope', reason: 'does not exist' }],
    } });
    assert.equal((await call('GET', '/v1/services/constructor')).status, 404);
    assert.deepEqual((await call('DELETE', '/v1/services/nope')).body, {
      error: 'not_found', message: 'service "nope" does not exist', details: [{ path: 'services/nope', reason: 'does not exist' }],
    });
    assert.deepEqual(await call('GET', '/v1/nothing?x=1'), { status: 404, type: 'application/json; charset=utf-8', body: {
      error: 'not_found', message: 'no route GET /v1/nothing', details: [],
    } });
  });

  test('deletes that would break other definitions are 409 naming them', async () => {
    assert.deepEqual(await call('DELETE', '/v1/lanes/feature-x'), { status: 409, type: 'application/json; charset=utf-8', body: {
      error: 'conflict',
      message: 'lane "feature-x" is the fallback of lane "feature-y"; change their fallback first',
      details: [{ path: 'lanes/feature-y/fallback', reason: 'lane "feature-y" falls back to "feature-x"' }],
    } });
    assert.deepEqual((await call('DELETE', '/v1/services/payments')).body, {
      error: 'conflict',
      message: 'service "payments" is still used by lanes/feature-y; change those first',
      details: [{ path: 'lanes/feature-y/services/payments', reason: 'lane "feature-y" overrides service "payments"' }],
    });
  });

  test('malformed bodies are 400, wrong content types 415, big bodies 413', async () => {
    const cases: Array<[string, Record<string, string>, number, string]> = [
      ['{"services": ', {}, 400, 'bad_request'],
      ['', {}, 400, 'bad_request'],
      ['{"services": {}}', { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      ['services=1', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      [JSON.stringify({ description: 'x'.repeat(1024 * 1024) }), {}, 413, 'payload_too_large'],
    ];
    for (const [body, headers, status, error] of cases) {
      const res = await call('PUT', '/v1/lanes/feature-q', body, headers);
      assert.equal(res.status, status, `${body.slice(0, 30)} ${JSON.stringify(headers)}`);
      assert.equal(res.body.error, error);
      assert.equal(typeof res.body.message, 'string');
      assert.ok(Array.isArray(res.body.details) && res.body.details.length === 1, JSON.stringify(res.body));
    }
    assert.deepEqual((await call('PUT', '/v1/lanes/feature-q', '{"services": ')).body, {
      error: 'bad_request', message: 'body: is not valid JSON', details: [{ path: 'body', reason: 'is not valid JSON' }],
    });
    assert.equal((await call('GET', '/v1/lanes/feature-q')).status, 404);
  });

  test('settings: PUT fills defaults, refuses a missing entry service', async () => {
    assert.deepEqual(await call('PUT', '/v1/settings', { entryService: 'orders' }), { status: 200, type: 'application/json; charset=utf-8', body: {
      laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'orders', resourceVersion: '6',
    } });
    const bad = await call('PUT', '/v1/settings', { entryService: 'carts' });
    assert.deepEqual([bad.status, bad.body.details], [422, [{ path: 'settings/entryService', reason: 'service "carts" does not exist' }]]);
    assert.equal((await call('GET', '/v1/settings')).body.entryService, 'orders');
  });

  test('DELETE answers 200 with what was deleted', async () => {
    assert.deepEqual(await call('DELETE', '/v1/lanes/feature-y'), { status: 200, type: 'application/json; charset=utf-8', body: {
      name: 'feature-y', fallback: 'feature-x', services: { payments: ['10.2.0.2:9090'] }, ...meta('5'),
    } });
    assert.equal((await call('DELETE', '/v1/lanes/feature-x')).status, 200);
    assert.deepEqual((await call('GET', '/v1/lanes')).body, { items: [] });
  });
});

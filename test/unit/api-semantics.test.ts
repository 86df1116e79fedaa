// What API clients rely on, over real HTTP: versions and ETags, If-Match (412), create-only
// (If-None-Match), PATCH, one service override at a time, POST with generated names, filters,
// TTLs with renew, and the error statuses each misuse gets.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const clock = { now: Date.parse('2030-01-01T00:00:00Z') };
const at = (iso: string) => Date.parse(iso);

describe('REST API semantics', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'laneway-api-semantics-'));
  const configDirLanes = new Set(['from-git']);
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;

  before(async () => {
    const now = () => new Date(clock.now);
    const store = await FileStore.open(dataDir, { now });
    const app = buildApi({
      store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }), now,
      definedElsewhere: (kind, name) => kind === 'lanes' && configDirLanes.has(name),
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = () => app.close();
    for (const name of ['orders', 'payments']) await call('PUT', `/v1/services/${name}`, { protocol: 'http', port: 8080, endpoints: [] });
  });

  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const contentType: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' };
    const res = await fetch(`${base}${path}`, { method, headers: { ...contentType, ...headers }, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, etag: res.headers.get('etag'), location: res.headers.get('location'), body: text ? JSON.parse(text) : undefined };
  }

  test('every object answers with its resourceVersion, also as ETag', async () => {
    const created = await call('PUT', '/v1/lanes/feature-x', { services: { orders: ['10.1.0.1:80'] } });
    assert.equal(created.status, 201);
    assert.equal(created.etag, `"${created.body.resourceVersion}"`);
    const got = await call('GET', '/v1/lanes/feature-x');
    assert.equal(got.etag, created.etag);
    assert.equal((await call('GET', '/v1/settings')).etag, '"0"');
  });

  test('PUT is idempotent: the same definition again is 200 with the same version', async () => {
    const first = await call('PUT', '/v1/lanes/feature-x', { services: { orders: ['10.1.0.1:80'] }, owner: 'ana' });
    const again = await call('PUT', '/v1/lanes/feature-x', { services: { orders: ['10.1.0.1:80'] }, owner: 'ana' });
    assert.deepEqual([first.status, again.status], [200, 200]);
    assert.equal(again.body.resourceVersion, first.body.resourceVersion);
    // A GET, edited and PUT back (server fields included) is accepted too.
    const roundTrip = await call('PUT', '/v1/lanes/feature-x', { ...again.body, owner: 'bo' });
    assert.equal(roundTrip.status, 200);
    assert.equal(roundTrip.body.owner, 'bo');
  });

  test('If-Match: the version read passes once; a stale one is 412 naming the current version', async () => {
    const read = await call('GET', '/v1/lanes/feature-x');
    const ok = await call('PUT', '/v1/lanes/feature-x', { services: { orders: ['10.1.0.2:80'] } }, { 'if-match': read.etag! });
    assert.equal(ok.status, 200);
    const stale = await call('PUT', '/v1/lanes/feature-x', { services: { orders: ['10.1.0.3:80'] } }, { 'if-match': read.etag! });
    assert.deepEqual(stale, { status: 412, etag: null, location: null, body: {
      error: 'precondition_failed',
      message: `lanes/feature-x is at resourceVersion ${ok.body.resourceVersion}, not ${read.body.resourceVersion}: it changed since you read it; read it again and retry`,
      details: [{ path: 'lanes/feature-x', reason: `resourceVersion is ${ok.body.resourceVersion}` }],
    } });
    const staleBody = await call('PUT', '/v1/lanes/feature-x', { ...read.body, owner: 'cy' });
    assert.equal(staleBody.status, 412, 'the resourceVersion in a body is a precondition too');
    const staleDelete = await call('DELETE', '/v1/lanes/feature-x', undefined, { 'if-match': `"${read.body.resourceVersion}"` });
    assert.equal(staleDelete.status, 412);
    assert.deepEqual((await call('GET', '/v1/lanes/feature-x')).body.services, { orders: ['10.1.0.2:80'] });
  });

  test('If-None-Match: * creates only', async () => {
    assert.equal((await call('PUT', '/v1/lanes/only-once', { services: {} }, { 'if-none-match': '*' })).status, 201);
    const again = await call('PUT', '/v1/lanes/only-once', { services: {} }, { 'if-none-match': '*' });
    assert.equal(again.status, 412);
    assert.match(again.body.message, /^lanes\/only-once already exists \(resourceVersion \d+\); the request asked to create it only$/);
  });

  test('PATCH merges (null removes); it does not create', async () => {
    await call('PUT', '/v1/lanes/patchy', { services: {}, labels: { team: 'pay', env: 'ci' }, description: 'x' });
    const patched = await call('PATCH', '/v1/lanes/patchy', '{"labels":{"env":null,"tier":"1"},"description":null,"owner":"dee"}', { 'content-type': 'application/merge-patch+json' });
    assert.equal(patched.status, 200);
    assert.deepEqual([patched.body.labels, patched.body.description, patched.body.owner], [{ team: 'pay', tier: '1' }, undefined, 'dee']);
    assert.equal((await call('PATCH', '/v1/lanes/nobody', { owner: 'x' })).status, 404);
    const service = await call('PATCH', '/v1/services/payments', { endpoints: ['10.0.0.9:8080'] });
    assert.deepEqual(service.body.endpoints, ['10.0.0.9:8080']);
  });

  test('one service override at a time: add (201), replace (200), drop (200), drop again (404)', async () => {
    const path = '/v1/lanes/patchy/services/orders';
    assert.equal((await call('PUT', path, { endpoints: ['10.3.0.1:80'] })).status, 201);
    const replaced = await call('PUT', path, { endpoints: ['10.3.0.2:80'] });
    assert.deepEqual([replaced.status, replaced.body.services], [200, { orders: ['10.3.0.2:80'] }]);
    assert.deepEqual((await call('PUT', path, { endpoints: [] })).body.details, [{ path: 'lanes/patchy/services/orders/endpoints', reason: 'must have at least 1 item' }]);
    assert.equal((await call('PUT', '/v1/lanes/patchy/services/carts', { endpoints: ['10.3.0.2:80'] })).status, 422);
    const dropped = await call('DELETE', path);
    assert.deepEqual([dropped.status, dropped.body.services], [200, {}]);
    assert.deepEqual((await call('DELETE', path)).body, {
      error: 'not_found', message: 'lane "patchy" does not override service "orders"', details: [{ path: 'lanes/patchy/services/orders', reason: 'does not exist' }],
    });
    assert.equal((await call('PUT', '/v1/lanes/nobody/services/orders', { endpoints: ['10.3.0.2:80'] })).status, 404);
  });

  test('POST creates: a given name (409 when taken) or one generated from a prefix', async () => {
    const generated = await call('POST', '/v1/lanes', { namePrefix: 'ci-', services: { orders: ['10.4.0.1:80'] } });
    assert.equal(generated.status, 201);
    assert.match(generated.body.name, /^ci-[a-z0-9]{5}$/);
    assert.equal(generated.location, `/v1/lanes/${generated.body.name}`);
    assert.equal((await call('POST', '/v1/lanes', { name: 'posted', services: {} })).status, 201);
    assert.deepEqual(await call('POST', '/v1/lanes', { name: 'posted', services: {} }).then((r) => [r.status, r.body.message]), [409, 'lane "posted" already exists; PUT /v1/lanes/posted replaces it']);
    assert.deepEqual((await call('POST', '/v1/lanes', { services: {} })).body.details, [{ path: 'lanes/name', reason: 'is required (or give namePrefix)' }]);
  });

  test('GET /v1/lanes filters by owner, label and service', async () => {
    await call('PUT', '/v1/lanes/team-a', { owner: 'ana', labels: { team: 'a', env: 'ci' }, services: { payments: ['10.5.0.1:80'] } });
    await call('PUT', '/v1/lanes/team-b', { owner: 'bo', labels: { team: 'b' }, services: {} });
    const names = async (query: string) => (await call('GET', `/v1/lanes?${query}`)).body.items.map((l: { name: string }) => l.name);
    assert.deepEqual(await names('owner=ana'), ['team-a']);
    assert.deepEqual(await names('label=team'), ['patchy', 'team-a', 'team-b']);
    assert.deepEqual(await names('label=team%3Da,env%3Dci'), ['team-a']);
    assert.deepEqual(await names('service=payments'), ['team-a']);
    assert.deepEqual(await names('owner=ana&label=team%3Db'), []);
    assert.deepEqual((await call('GET', '/v1/lanes?label=a%3Db%3Dc')).status, 400);
    assert.deepEqual((await call('GET', '/v1/lanes?colour=red')).body.details, [{ path: 'query/colour', reason: 'unknown field (allowed: owner, label, service)' }]);
  });

  test('TTL: expiresAt from ttl, time left, re-applying keeps the deadline, renew extends it', async () => {
    clock.now = at('2030-01-01T10:00:00Z');
    const created = await call('PUT', '/v1/lanes/short', { services: {}, ttl: '2h' });
    assert.deepEqual([created.body.ttl, created.body.expiresAt, created.body.expiresInSeconds], ['2h', '2030-01-01T12:00:00Z', 7200]);
    clock.now = at('2030-01-01T11:30:00Z');
    const reapplied = await call('PUT', '/v1/lanes/short', { services: {}, ttl: '2h' });
    assert.deepEqual([reapplied.body.expiresAt, reapplied.body.expiresInSeconds, reapplied.body.resourceVersion], ['2030-01-01T12:00:00Z', 1800, created.body.resourceVersion]);
    const renewed = await call('POST', '/v1/lanes/short/renew', {});
    assert.deepEqual([renewed.status, renewed.body.expiresAt, renewed.body.ttl], [200, '2030-01-01T13:30:00Z', '2h']);
    const longer = await call('POST', '/v1/lanes/short/renew', { ttl: '1d' });
    assert.deepEqual([longer.body.expiresAt, longer.body.ttl], ['2030-01-02T11:30:00Z', '1d']);
    const cleared = await call('PATCH', '/v1/lanes/short', { ttl: null, expiresAt: null });
    assert.deepEqual([cleared.body.ttl, cleared.body.expiresAt, cleared.body.expiresInSeconds], [undefined, undefined, undefined]);
    const renewNothing = await call('POST', '/v1/lanes/short/renew', {});
    assert.deepEqual([renewNothing.status, renewNothing.body.error], [422, 'unprocessable']);
    assert.deepEqual((await call('PUT', '/v1/lanes/short', { services: {}, ttl: '2 hours' })).body.details, [{ path: 'lanes/short/ttl', reason: '"2 hours" is not a duration such as "90s", "30m", "2h", "1h30m" or "7d", from 1s to 366d' }]);
  });

  test('settings: defaultLaneTtl applies to new lanes, maxLaneTtl refuses longer ones with 422', async () => {
    clock.now = at('2030-01-01T00:00:00Z');
    const settings = await call('PUT', '/v1/settings', { defaultLaneTtl: '8h', maxLaneTtl: '1d' });
    assert.equal(settings.status, 200);
    assert.equal((await call('PUT', '/v1/settings', { defaultLaneTtl: '8h', maxLaneTtl: '1d' }, { 'if-match': '"0"' })).status, 412);
    const defaulted = await call('POST', '/v1/lanes', { name: 'defaulted', services: {} });
    assert.deepEqual([defaulted.body.ttl, defaulted.body.expiresAt], ['8h', '2030-01-01T08:00:00Z']);
    const tooLong = await call('POST', '/v1/lanes', { name: 'too-long', services: {}, ttl: '2d' });
    assert.deepEqual(tooLong.body, { error: 'unprocessable', message: 'lanes/too-long/ttl: "2d" is longer than settings.maxLaneTtl is 1d: lanes must expire within 1d', details: [{ path: 'lanes/too-long/ttl', reason: 'settings.maxLaneTtl is 1d: lanes must expire within 1d' }] });
    assert.equal((await call('PATCH', '/v1/lanes/defaulted', { expiresAt: '2031-01-01T00:00:00Z' })).status, 422);
    assert.equal((await call('PUT', '/v1/settings', {}, { 'if-match': settings.etag! })).status, 200);
  });

  test('objects the config directory defines are read-only here (409)', async () => {
    const refused = await call('PUT', '/v1/lanes/from-git', { services: {} });
    assert.deepEqual(refused, { status: 409, etag: null, location: null, body: {
      error: 'conflict',
      message: 'lanes/from-git is defined in the config directory (--config-dir), which overrides the API; change it there',
      details: [{ path: 'lanes/from-git', reason: 'defined in the config directory' }],
    } });
  });

  test('each misuse gets its own status, always the one error shape', async () => {
    const cases: Array<[string, string, unknown, Record<string, string>, number, string]> = [
      ['PUT', '/v1/lanes/Bad_Name', { services: {} }, {}, 400, 'bad_request'],
      ['PUT', '/v1/lanes/feature-x', { services: { orders: 'x' } }, {}, 400, 'invalid_definition'],
      ['PUT', '/v1/lanes/feature-x', { services: {} }, { 'if-match': '' }, 400, 'bad_request'],
      ['PUT', '/v1/lanes/feature-x', { services: {}, resourceVersion: '1' }, { 'if-match': '"2"' }, 400, 'bad_request'],
      ['PUT', '/v1/lanes/feature-x', { services: {} }, { 'if-none-match': '"3"' }, 400, 'bad_request'],
      ['GET', '/v1/lanes/nope', undefined, {}, 404, 'not_found'],
      ['DELETE', '/v1/services/orders', undefined, {}, 409, 'conflict'],
      ['PUT', '/v1/lanes/feature-x', { services: {} }, { 'if-match': '"999"' }, 412, 'precondition_failed'],
      ['PUT', '/v1/lanes/feature-x', JSON.stringify({ description: 'x'.repeat(1024 * 1024) }), {}, 413, 'payload_too_large'],
      ['PUT', '/v1/lanes/feature-x', 'services=', { 'content-type': 'application/x-www-form-urlencoded' }, 415, 'unsupported_media_type'],
      ['POST', '/v1/lanes/feature-x/renew', {}, {}, 422, 'unprocessable'],
    ];
    for (const [method, path, body, headers, status, error] of cases) {
      const res = await call(method, path, body, headers);
      assert.equal(res.status, status, `${method} ${path} ${JSON.stringify(headers)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, error);
      assert.equal(typeof res.body.message, 'string');
      assert.ok(res.body.details.length >= 1 && res.body.details.every((d: { path: unknown; reason: unknown }) => typeof d.path === 'string' && typeof d.reason === 'string'));
    }
  });
});

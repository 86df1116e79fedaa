// Access control over real HTTP: tokens with roles (viewer reads, admin writes), public health and
// docs, loopback-only without tokens; every write logged with who, what and the version it made.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { loadApiTokens, parseTokensEnv, TokenError, TokenRegistry } from '../../control-plane/src/api/tokens.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const ADMIN = 'admin-token-0123456789';
const VIEWER = 'viewer-token-0123456789';
const root = mkdtempSync(join(tmpdir(), 'laneway-api-access-'));
after(() => rmSync(root, { recursive: true, force: true }));

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } });
  return { lines, logger: pino({ level: 'info' }, stream) };
}

describe('with API tokens', () => {
  const { lines, logger } = logCapture();
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;

  before(async () => {
    const file = join(root, 'tokens.yaml');
    writeFileSync(file, `tokens:\n  - name: ci\n    role: admin\n    token: ${ADMIN}\n`);
    const tokens = new TokenRegistry(await loadApiTokens(file, `grafana:viewer:${VIEWER}`));
    const store = await FileStore.open(join(root, 'data'));
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger, tokens });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = () => app.close();
  });
  after(() => close());

  async function call(method: string, path: string, token?: string, body?: unknown) {
    const headers: Record<string, string> = { ...(token && { authorization: `Bearer ${token}` }), ...(body !== undefined && { 'content-type': 'application/json' }) };
    const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    return { status: res.status, challenge: res.headers.get('www-authenticate'), body: text.startsWith('{') ? JSON.parse(text) : text };
  }

  test('no token or an unknown one: 401 with a Bearer challenge, naming what is missing', async () => {
    assert.deepEqual(await call('GET', '/v1/lanes'), { status: 401, challenge: 'Bearer realm="laneway"', body: {
      error: 'unauthenticated', message: 'this API needs a token: send "Authorization: Bearer <token>"', details: [{ path: 'headers/authorization', reason: 'missing bearer token' }],
    } });
    assert.equal((await call('GET', '/v1/lanes', 'not-a-known-token-000')).body.message, 'the API token is not known');
    assert.equal((await call('PUT', '/v1/services/orders', undefined, { protocol: 'http', port: 80 })).status, 401);
  });

  test('a viewer reads but may not write (403); an admin writes', async () => {
    assert.equal((await call('GET', '/v1/lanes', VIEWER)).status, 200);
    assert.deepEqual(await call('PUT', '/v1/services/orders', VIEWER, { protocol: 'http', port: 80 }), { status: 403, challenge: null, body: {
      error: 'forbidden', message: 'token "grafana" has role viewer, which may only read', details: [{ path: 'headers/authorization', reason: 'needs role admin' }],
    } });
    assert.equal((await call('PUT', '/v1/services/orders', ADMIN, { protocol: 'http', port: 80 })).status, 201);
    assert.equal((await call('GET', '/v1/services/orders', VIEWER)).status, 200);
  });

  test('health, readiness, the OpenAPI document and the docs page need no token', async () => {
    for (const path of ['/healthz', '/readyz', '/openapi.json', '/docs/']) assert.equal((await call('GET', path)).status, 200, path);
  });

  test('every write is logged with who, what and the new version; refused writes too', async () => {
    lines.length = 0;
    await call('PUT', '/v1/lanes/feature-x', ADMIN, { services: { orders: ['10.0.0.1:80'] } });
    await call('PUT', '/v1/lanes/feature-x', ADMIN, { services: { orders: ['10.0.0.1:80'] } });
    await call('DELETE', '/v1/lanes/feature-x', VIEWER);
    await call('DELETE', '/v1/lanes/feature-x', ADMIN);
    const writes = lines.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('write')).map(({ who, role, action, status, target, outcome, resourceVersion, msg }) => ({ who, role, action, status, target, outcome, resourceVersion, msg }));
    assert.deepEqual(writes, [
      { who: 'ci', role: 'admin', action: 'PUT /v1/lanes/:name', status: 201, target: 'lanes/feature-x', outcome: 'created', resourceVersion: '2', msg: 'write created: lanes/feature-x' },
      { who: 'ci', role: 'admin', action: 'PUT /v1/lanes/:name', status: 200, target: 'lanes/feature-x', outcome: 'unchanged', resourceVersion: '2', msg: 'write unchanged: lanes/feature-x' },
      { who: 'grafana', role: 'viewer', action: 'DELETE /v1/lanes/:name', status: 403, target: undefined, outcome: undefined, resourceVersion: undefined, msg: 'write refused' },
      { who: 'ci', role: 'admin', action: 'DELETE /v1/lanes/:name', status: 200, target: 'lanes/feature-x', outcome: 'deleted', resourceVersion: '2', msg: 'write deleted: lanes/feature-x' },
    ]);
  });
});

describe('without API tokens', () => {
  test('loopback clients are answered; others get 401 saying why', async () => {
    const store = await FileStore.open(join(root, 'open'));
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const res = await fetch(`http://127.0.0.1:${(app.server.address() as { port: number }).port}/v1/lanes`);
      assert.equal(res.status, 200);
      // A remote client cannot be made over loopback; inject sets the peer address instead.
      const remote = await app.inject({ method: 'GET', url: '/v1/lanes', remoteAddress: '10.1.2.3' });
      assert.equal(remote.statusCode, 401);
      assert.equal(remote.json().message, 'no API tokens are configured, so the API answers only clients on its own host; configure --tokens-file or LANEWAY_API_TOKENS');
      assert.equal((await app.inject({ method: 'GET', url: '/healthz', remoteAddress: '10.1.2.3' })).statusCode, 200);
    } finally {
      await app.close();
    }
  });
});

describe('loading tokens', () => {
  test('a bad entry is refused naming the file, the entry and the field', async () => {
    const file = join(root, 'bad-tokens.yaml');
    writeFileSync(file, 'tokens:\n  - name: ci\n    role: root\n    token: short\n');
    await assert.rejects(loadApiTokens(file, undefined), (err: unknown) => err instanceof TokenError
      && err.message === `tokens file ${file}: tokens/0: role must be "admin" or "viewer", got "root"; token must be 16-512 characters of A-Z a-z 0-9 . _ ~ + / = -`);
    await assert.rejects(loadApiTokens(join(root, 'missing.yaml'), undefined), /tokens file .*missing\.yaml: ENOENT/);
    await assert.rejects(loadApiTokens(undefined, `a:admin:${ADMIN},b:viewer:${ADMIN}`), { message: 'API tokens "a" and "b" have the same token' });
    assert.deepEqual(parseTokensEnv(` ci:admin:${ADMIN} ,`, 'X'), [{ name: 'ci', role: 'admin', token: ADMIN }]);
    assert.throws(() => parseTokensEnv('ci:admin', 'LANEWAY_API_TOKENS'), /LANEWAY_API_TOKENS entry 1 \(name:role:token\): token must be/);
  });
});

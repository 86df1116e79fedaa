// The dashboard's API routes (matrix, lane-change stream, preview links, whoami) and its static
// files, through a real API on a real port; the OpenAPI document describes the new routes.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { pino } from 'pino';
import { registerDashboard } from '../../control-plane/src/api/dashboard.js';
import { matrixPage } from '../../control-plane/src/api/matrix.js';
import { previewLinks } from '../../control-plane/src/api/preview-links.js';
import { buildApi } from '../../control-plane/src/api/server.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { FileStore } from '../../control-plane/src/sources/store.js';
import { ProxyStatusRegistry } from '../../control-plane/src/xds/proxy-status.js';

const STATE: MeshState = {
  settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', ingressDomain: 'app.example.test', laneFrom: { cookie: false } },
  services: {
    orders: { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] },
    payments: { name: 'payments', protocol: 'grpc', port: 8080, endpoints: ['10.0.0.2:8080'] },
  },
  lanes: {
    'feature-x': { name: 'feature-x', services: { orders: ['10.0.1.1:8080'] }, owner: 'ana' },
    'feature-x-fix': { name: 'feature-x-fix', fallback: 'feature-x', services: { payments: ['10.0.1.2:8080'] }, fallbackOnUnhealthy: true },
    other: { name: 'other', services: {} },
  },
};

describe('dashboard: matrix and preview links (pure)', () => {
  test('cells say own, inherited (from which lane), stable, and health fallback', () => {
    assert.deepEqual(matrixPage(STATE, {}), {
      services: ['orders', 'payments'],
      rows: [
        { lane: 'feature-x', owner: 'ana', cells: [{ kind: 'own', instance: 'feature-x' }, { kind: 'stable', instance: 'stable' }] },
        { lane: 'feature-x-fix', cells: [{ kind: 'inherited', instance: 'feature-x' }, { kind: 'own', instance: 'feature-x-fix', healthFallback: true }] },
        { lane: 'other', cells: [{ kind: 'stable', instance: 'stable' }, { kind: 'stable', instance: 'stable' }] },
      ],
      total: 3, offset: 0, limit: 50,
    });
  });

  test('paged and filtered on the server', () => {
    const page = matrixPage(STATE, { offset: 1, limit: 1, service: 'pay' });
    assert.deepEqual(page, { services: ['payments'], rows: [{ lane: 'feature-x-fix', cells: [{ kind: 'own', instance: 'feature-x-fix', healthFallback: true }] }], total: 3, offset: 1, limit: 1 });
    assert.deepEqual(matrixPage(STATE, { lane: 'fix' }).rows.map((r) => r.lane), ['feature-x-fix']);
    assert.deepEqual(matrixPage(STATE, { owner: 'ana' }).rows.map((r) => r.lane), ['feature-x']);
  });

  test('preview links follow the settings (cookie turned off here)', () => {
    assert.deepEqual(previewLinks(STATE, 'feature-x', 'http://127.0.0.1:10000'), [
      { mechanism: 'subdomain', url: 'http://feature-x.app.example.test:10000/', curl: 'curl http://feature-x.app.example.test:10000/' },
      { mechanism: 'query', url: 'http://127.0.0.1:10000/?lane=feature-x', curl: "curl 'http://127.0.0.1:10000/?lane=feature-x'" },
      { mechanism: 'header', url: 'http://127.0.0.1:10000/', carries: 'header x-lane: feature-x', curl: "curl -H 'x-lane: feature-x' http://127.0.0.1:10000/" },
      { mechanism: 'baggage', url: 'http://127.0.0.1:10000/', carries: 'header baggage: lane=feature-x', curl: "curl -H 'baggage: lane=feature-x' http://127.0.0.1:10000/" },
    ]);
  });
});

describe('dashboard routes on a real API', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-api-dashboard-'));
  const uiDir = join(dir, 'ui');
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: res.status, body: await res.json() as any };
  };

  before(async () => {
    mkdirSync(uiDir);
    writeFileSync(join(uiDir, 'index.html'), '<!doctype html><title>Laneway</title>');
    const store = await FileStore.open(join(dir, 'data'));
    const status = new ProxyStatusRegistry();
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }), plugins: [(a) => registerDashboard(a, { getState: () => store.state(), status, uiDir })] });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = () => app.close();
    assert.equal((await call('PUT', '/v1/services/orders', { protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] })).status, 201);
    assert.equal((await call('PUT', '/v1/lanes/a', { services: { orders: ['10.0.1.1:8080'] } })).status, 201);
  });

  after(async () => {
    await close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('/ui/ serves the built page; /ui redirects to it', async () => {
    const page = await fetch(`${base}/ui/`);
    assert.equal(page.status, 200);
    assert.equal(await page.text(), '<!doctype html><title>Laneway</title>');
    const bare = await fetch(`${base}/ui`, { redirect: 'manual' });
    assert.equal(bare.status, 302);
    assert.equal(bare.headers.get('location'), '/ui/');
  });

  test('GET /v1/matrix, /v1/whoami, /v1/lanes/:name/links', async () => {
    assert.deepEqual(await call('GET', '/v1/matrix?limit=10&offset=0'), { status: 200, body: { services: ['orders'], rows: [{ lane: 'a', cells: [{ kind: 'own', instance: 'a' }] }], total: 1, offset: 0, limit: 10 } });
    assert.equal((await call('GET', '/v1/matrix?limit=ten')).status, 400);
    assert.deepEqual(await call('GET', '/v1/whoami'), { status: 200, body: { name: 'local', role: 'admin' } });
    assert.deepEqual(await call('GET', '/v1/lanes/a/links'), { status: 200, body: { lane: 'a', ingresses: [] } });
    assert.equal((await call('GET', '/v1/lanes/nope/links')).status, 404);
  });

  test('GET /v1/watch/lanes streams a lane created and deleted through the API', async () => {
    const controller = new AbortController();
    const res = await fetch(`${base}/v1/watch/lanes`, { signal: controller.signal });
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) text += (await reader.read()).value ?? '';
    };
    await until('event: ready');
    await call('PUT', '/v1/lanes/b', { services: {} });
    await until('"added":["b"]');
    await call('DELETE', '/v1/lanes/b');
    await until('"removed":["b"]');
    controller.abort();
    assert.equal(text, [
      // Revision 1: lane a, written before the stream opened.
      'retry: 1000\nevent: ready\ndata: {"revision":1}\n\n',
      'event: lanes\ndata: {"revision":2,"added":["b"],"removed":[],"changed":[]}\n\n',
      'event: lanes\ndata: {"revision":3,"added":[],"removed":["b"],"changed":[]}\n\n',
    ].join(''));
  });

  test('the OpenAPI document describes the new routes and still validates', async () => {
    const doc = (await call('GET', '/openapi.json')).body;
    await SwaggerParser.validate(structuredClone(doc));
    for (const path of ['/v1/matrix', '/v1/watch/lanes', '/v1/lanes/{name}/links', '/v1/whoami']) assert.ok(doc.paths[path]?.get, path);
    assert.deepEqual(Object.keys(doc.paths['/v1/watch/lanes'].get.responses['200'].content), ['text/event-stream']);
    assert.equal(Object.keys(doc.paths).some((p: string) => p.startsWith('/ui')), false);
  });
});

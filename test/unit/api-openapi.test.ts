// The OpenAPI document validates with a real OpenAPI validator and lists every route the server has.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import { pino } from 'pino';
import { buildApi, type ApiPlugin } from '../../control-plane/src/api/server.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const ROUTES = [
  'GET /healthz', 'GET /openapi.json', 'GET /readyz',
  'GET /v1/lanes', 'POST /v1/lanes',
  'DELETE /v1/lanes/{name}', 'GET /v1/lanes/{name}', 'PATCH /v1/lanes/{name}', 'PUT /v1/lanes/{name}',
  'POST /v1/lanes/{name}/renew',
  'DELETE /v1/lanes/{name}/services/{service}', 'PUT /v1/lanes/{name}/services/{service}',
  'GET /v1/services', 'DELETE /v1/services/{name}', 'GET /v1/services/{name}', 'PATCH /v1/services/{name}', 'PUT /v1/services/{name}',
  'GET /v1/settings', 'PUT /v1/settings',
  'GET /v1/example',
];

describe('OpenAPI document', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'laneway-api-openapi-'));
  const served: string[] = [];
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;

  before(async () => {
    const store = await FileStore.open(dataDir);
    // A plugin's routes (as the debugging routes will be) are documented like the built-in ones.
    const plugin: ApiPlugin = (app) => {
      app.get('/v1/example', { schema: { summary: 'a plugin route', response: { 200: { type: 'object' } } } }, async () => ({}));
    };
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }), plugins: [plugin] });
    app.addHook('onRoute', (route) => {
      const methods = [route.method].flat().filter((m) => m !== 'HEAD');
      if (!route.schema?.hide) for (const m of methods) served.push(`${m} ${route.url.replace(/:(\w+)/g, '{$1}')}`);
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = () => app.close();
  });

  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function document() {
    const res = await fetch(`${base}/openapi.json`);
    assert.equal(res.status, 200);
    return (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
  }

  test('validates as OpenAPI 3.1', async () => {
    const doc = await document();
    assert.equal(doc.openapi, '3.1.0');
    await SwaggerParser.validate(structuredClone(doc) as never);
    assert.deepEqual(Object.keys(doc.components.schemas).sort(), ['Error', 'Lane', 'Service', 'Settings']);
  });

  test('lists every route, and every route the server has', async () => {
    const doc = await document();
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).filter((k) => k !== 'parameters').map((m) => `${m.toUpperCase()} ${path}`));
    assert.deepEqual(documented.sort(), [...ROUTES].sort());
    assert.deepEqual([...new Set(served)].sort(), [...ROUTES].sort());
  });

  test('security is what this server does: no tokens, so loopback clients need no credentials', async () => {
    const doc = (await document()) as unknown as { security: unknown; info: { description: string } };
    assert.deepEqual(doc.security, [{}]);
    assert.match(doc.info.description, /This server has no API tokens: it answers clients on its own host \(loopback\) without credentials/);
  });

  test('links chain a lane and a service from their write to reading, changing and deleting them, at the version written', async () => {
    const doc = (await document()) as unknown as { paths: Record<string, Record<string, { responses: Record<string, { links?: Record<string, { operationId: string; parameters: Record<string, string> }> }> }>> };
    const links = (path: string, method: string, status: string) => doc.paths[path]![method]!.responses[status]!.links!;
    const created = links('/v1/lanes', 'post', '201');
    assert.deepEqual(Object.keys(created), ['getLane', 'getLaneLinks', 'putLane', 'patchLane', 'renewLane', 'deleteLane']);
    assert.deepEqual(created.deleteLane, { operationId: 'deleteLane', parameters: { 'path.name': '$response.body#/name', 'header.if-match': '$response.header.etag' } });
    assert.deepEqual(created.getLane, { operationId: 'getLane', parameters: { 'path.name': '$response.body#/name' } });
    assert.deepEqual(Object.keys(links('/v1/services/{name}', 'put', '201')), ['getService', 'patchService', 'deleteService']);
  });

  test('every operation with path parameters documents 414, in the one error shape', async () => {
    const doc = (await document()) as unknown as { paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };
    const withParams = Object.entries(doc.paths).filter(([path]) => path.includes('{')).flatMap(([, ops]) => Object.values(ops));
    assert.equal(withParams.length, 11);
    for (const op of withParams) {
      assert.deepEqual(op.responses['414'], {
        description: 'a path parameter is longer than the server reads (1024 characters)',
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      });
    }
  });

  test('the browsable docs page is served', async () => {
    const res = await fetch(`${base}/docs/`, { redirect: 'manual' });
    assert.equal(res.status, 200);
    assert.match(await res.text(), /swagger-ui/i);
  });
});

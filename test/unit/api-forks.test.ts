// Lane forks through the REST API in embedded (store) mode: every write with forks is refused, 422
// naming the field, and nothing is stored; bad fork input is refused with its path first.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startStoreApi, type StoreApi } from '../support/store-api.js';

const FORKS = [{ workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42' }] }];
const EMBEDDED = 'workload forks are Kubernetes-only: this control plane keeps lanes in its embedded store (started without --kubernetes), where there is no Deployment to fork';

describe('REST API: lane forks in embedded mode', () => {
  let api: StoreApi;
  before(async () => (api = await startStoreApi('api-forks')));
  after(() => api.close());

  async function call(method: string, path: string, body?: unknown, type = 'application/json') {
    const res = await fetch(`${api.base}${path}`, { method, ...(body !== undefined && { headers: { 'content-type': type }, body: JSON.stringify(body) }) });
    return { status: res.status, body: (await res.json()) as { details?: Array<{ path: string; reason: string }> } };
  }

  test('POST, PUT and PATCH with forks: 422 at lanes/<name>/forks (valid by the schema, refused by this mode), nothing stored', async () => {
    const created = await call('POST', '/v1/lanes', { name: 'pr-42', forks: FORKS });
    assert.equal(created.status, 422);
    assert.deepEqual(created.body.details, [{ path: 'lanes/pr-42/forks', reason: EMBEDDED }]);
    assert.equal((await call('PUT', '/v1/lanes/pr-42', { forks: FORKS })).status, 422);
    assert.equal((await call('GET', '/v1/lanes/pr-42')).status, 404, 'nothing was stored');
    assert.equal((await call('PUT', '/v1/lanes/pr-42', { owner: 'ci' })).status, 201);
    const patched = await call('PATCH', '/v1/lanes/pr-42', { forks: FORKS }, 'application/merge-patch+json');
    assert.deepEqual([patched.status, patched.body.details], [422, [{ path: 'lanes/pr-42/forks', reason: EMBEDDED }]]);
    assert.equal((await call('PUT', '/v1/lanes/pr-42', { owner: 'ci', forks: [] })).status, 200, 'an empty list is no fork');
  });

  test('bad fork input is refused with its field path: 400 where the schema says so, 422 for rules between items', async () => {
    const badImage = await call('POST', '/v1/lanes', { name: 'bad', forks: [{ workload: 'Deployment/orders', containers: [{ image: 'Not A Ref' }] }] });
    assert.deepEqual([badImage.status, badImage.body.details?.map((d) => d.path)], [400, ['lanes/bad/forks/0/containers/0/image']]);
    const twice = await call('POST', '/v1/lanes', { name: 'bad', forks: [...FORKS, ...FORKS] });
    assert.deepEqual([twice.status, twice.body.details?.map((d) => d.path)], [422, ['lanes/bad/forks/1/workload', 'lanes/bad/forks']]);
    const kind = await call('POST', '/v1/lanes', { name: 'bad', forks: [{ workload: 'StatefulSet/db', containers: [{ image: 'db:1' }] }] });
    assert.equal(kind.status, 400);
    assert.match(kind.body.details?.[0]?.reason ?? '', /only Deployment workloads can/);
    assert.equal((await call('GET', '/v1/lanes/bad')).status, 404);
  });
});

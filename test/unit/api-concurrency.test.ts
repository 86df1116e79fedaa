// Many writers at once over real HTTP: with If-Match exactly one writer wins per version and the
// rest get 412; without it every write lands in turn; nothing is lost or merged wrongly.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const WRITERS = 50;

describe('concurrent writers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'laneway-api-concurrency-'));
  let base = '';
  let close: () => Promise<unknown> = async () => undefined;
  let reopen: () => Promise<FileStore>;

  async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${base}${path}`, {
      method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers }, body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, etag: res.headers.get('etag'), body: await res.json() };
  }

  before(async () => {
    const store = await FileStore.open(dataDir);
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
    close = () => app.close();
    reopen = () => FileStore.open(dataDir);
    for (let i = 0; i < WRITERS; i++) await call('PUT', `/v1/services/svc-${i}`, { protocol: 'http', port: 80, endpoints: [] });
    await call('PUT', '/v1/lanes/shared', { services: {}, description: 'start' });
  });

  after(async () => {
    await close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  test(`${WRITERS} parallel updates with the same If-Match: one wins per version, the rest get 412`, async () => {
    for (let round = 0; round < 3; round++) {
      const read = await call('GET', '/v1/lanes/shared');
      const answers = await Promise.all(Array.from({ length: WRITERS }, (_, i) =>
        call('PUT', '/v1/lanes/shared', { services: { [`svc-${i}`]: [`10.0.${round}.${i + 1}:80`] }, description: `writer ${i}` }, { 'if-match': read.etag! })));
      const winners = answers.flatMap((a, i) => (a.status === 200 ? [i] : []));
      assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
      assert.deepEqual(answers.filter((a) => a.status === 412).length, WRITERS - 1);
      const winner = winners[0]!;
      const now = await call('GET', '/v1/lanes/shared');
      assert.equal(now.body.resourceVersion, String(Number(read.body.resourceVersion) + 1));
      assert.deepEqual([now.body.description, now.body.services], [`writer ${winner}`, { [`svc-${winner}`]: [`10.0.${round}.${winner + 1}:80`] }]);
      assert.deepEqual(answers[winner]!.body, now.body);
    }
  });

  test(`${WRITERS} parallel PATCHes with If-Match: one wins, and the others' fields are not merged in`, async () => {
    const read = await call('GET', '/v1/lanes/shared');
    const answers = await Promise.all(Array.from({ length: WRITERS }, (_, i) =>
      call('PATCH', '/v1/lanes/shared', { labels: { [`w${i}`]: 'yes' } }, { 'if-match': read.etag! })));
    const winner = answers.findIndex((a) => a.status === 200);
    assert.equal(answers.filter((a) => a.status === 200).length, 1);
    assert.deepEqual((await call('GET', '/v1/lanes/shared')).body.labels, { [`w${winner}`]: 'yes' });
  });

  test(`${WRITERS} parallel service overrides without If-Match: every one lands, none lost`, async () => {
    await call('PUT', '/v1/lanes/wide', { services: {} });
    const before = await call('GET', '/v1/lanes/wide');
    const answers = await Promise.all(Array.from({ length: WRITERS }, (_, i) => call('PUT', `/v1/lanes/wide/services/svc-${i}`, { endpoints: [`10.9.0.${i + 1}:80`] })));
    assert.deepEqual(answers.map((a) => a.status), Array(WRITERS).fill(201));
    const after = await call('GET', '/v1/lanes/wide');
    assert.deepEqual(after.body.services, Object.fromEntries(Array.from({ length: WRITERS }, (_, i) => [`svc-${i}`, [`10.9.0.${i + 1}:80`]])));
    assert.equal(after.body.resourceVersion, String(Number(before.body.resourceVersion) + WRITERS));
    assert.deepEqual((await reopen()).state().lanes.wide?.services, after.body.services, 'what was answered is what is on disk');
  });

  test('read-modify-write with retry on 412: 20 increments give 20, none lost', async () => {
    await call('PUT', '/v1/lanes/counter', { services: {}, labels: { count: '0' } });
    const increment = async () => {
      for (;;) {
        const read = await call('GET', '/v1/lanes/counter');
        const next = String(Number(read.body.labels.count) + 1);
        const write = await call('PUT', '/v1/lanes/counter', { ...read.body, labels: { count: next } }, { 'if-match': read.etag! });
        if (write.status === 200) return;
        assert.equal(write.status, 412);
      }
    };
    await Promise.all(Array.from({ length: 20 }, increment));
    assert.equal((await call('GET', '/v1/lanes/counter')).body.labels.count, '20');
  });
});

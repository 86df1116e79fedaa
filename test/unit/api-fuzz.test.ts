// Property test over real HTTP: thousands of random, mostly malformed requests (bodies, names,
// headers) get only 4xx or 2xx, never a 5xx or a dropped connection; and the state afterwards
// equals what a second server reaches by replaying only the requests the first one accepted.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const REQUESTS = 2500;
const TIME_BUDGET_MS = 15_000;
const SEED = Number(process.env.LANEWAY_FUZZ_SEED ?? 20301);
const NOW = new Date('2030-01-01T00:00:00Z');

/** mulberry32: a small seeded generator, so a failing run can be repeated with its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Server { base: string; store: FileStore; dataDir: string; close(): Promise<unknown> }

async function startServer(): Promise<Server> {
  const dataDir = mkdtempSync(join(tmpdir(), 'laneway-api-fuzz-'));
  const store = await FileStore.open(dataDir, { now: () => NOW });
  const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }), now: () => NOW });
  await app.listen({ host: '127.0.0.1', port: 0 });
  return { base: `http://127.0.0.1:${(app.server.address() as { port: number }).port}`, store, dataDir, close: () => app.close() };
}

interface Request { method: string; path: string; headers: Record<string, string>; body?: string }

function generator(next: () => number) {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const chance = (p: number) => next() < p;
  const GOOD_NAMES = ['orders', 'payments', 'feature-x', 'feature-y', 'ci-1', 'a'];
  const BAD_NAMES = ['Orders', 'stable', '__proto__', 'constructor', 'x'.repeat(64), 'a_b', '-a', '%2e%2e', 'caf%C3%A9', '%00', 'a.b', '9'.repeat(70), ''];
  const name = () => (chance(0.85) ? pick(GOOD_NAMES) : pick(BAD_NAMES));
  const endpoint = () => pick(['10.0.0.1:80', '10.0.0.2:8080', '[::1]:80', 'svc.local:81', 'bad', '1.2.3.4:0', '1.2.3.4:99999', ':80', 'a:b']);
  const junk = (): unknown => pick<() => unknown>([
    () => null, () => 42, () => -1.5, () => true, () => 'x', () => [], () => {}, () => [endpoint()], () => ({ nested: { deeper: [1, { x: null }] } }),
    () => 'ü'.repeat(300), () => '2h', () => '1h30m', () => '0s', () => '2030-01-01T00:00:00Z', () => 'http',
  ])();
  const lane = (): Record<string, unknown> => ({
    ...(chance(0.6) && { services: Object.fromEntries(Array.from({ length: Math.floor(next() * 3) }, () => [name(), [endpoint()]])) }),
    ...(chance(0.3) && { fallback: pick([...GOOD_NAMES, 'stable']) }),
    ...(chance(0.3) && { owner: pick(['ana', 'bo']) }),
    ...(chance(0.2) && { labels: { team: pick(['a', 'b', 'bad value']) } }),
    ...(chance(0.2) && { ttl: pick(['2h', '30m', '0s', '400d', 'soon']) }),
    ...(chance(0.1) && { expiresAt: pick(['2030-06-01T00:00:00Z', 'tomorrow']) }),
  });
  const service = () => ({ protocol: pick(['http', 'grpc', 'udp']), port: pick([80, 8080, 0, 70000, '80']), ...(chance(0.7) && { endpoints: [endpoint()] }) });
  const mutate = (value: Record<string, unknown>): unknown => {
    if (chance(0.5)) return value;
    const copy: Record<string, unknown> = { ...value };
    for (let i = 0; i < 1 + Math.floor(next() * 3); i++) copy[pick(['services', 'fallback', 'owner', 'labels', 'ttl', 'protocol', 'port', 'endpoints', 'name', 'resourceVersion', 'colour', '__proto__'])] = junk();
    return chance(0.1) ? pick([junk(), [copy], 'null']) : copy;
  };
  const bodyText = (value: unknown): string => {
    const text = JSON.stringify(value) ?? 'null';
    if (chance(0.05)) return text.slice(0, Math.floor(next() * text.length));
    if (chance(0.02)) return '{"__proto__": {"polluted": 1}, "services": {}}';
    if (chance(0.01)) return JSON.stringify({ description: 'x'.repeat(1024 * 1024 + 10) });
    return text;
  };
  const paths = (): [string, string, (() => unknown) | undefined] => pick<[string, string, (() => unknown) | undefined]>([
    ['PUT', `/v1/services/${name()}`, () => mutate(service())],
    ['PATCH', `/v1/services/${name()}`, () => mutate(service())],
    ['DELETE', `/v1/services/${name()}`, undefined],
    ['PUT', `/v1/lanes/${name()}`, () => mutate(lane())],
    ['PUT', `/v1/lanes/${name()}`, () => mutate(lane())],
    ['PATCH', `/v1/lanes/${name()}`, () => mutate(lane())],
    ['POST', '/v1/lanes', () => mutate({ ...lane(), name: name() })],
    ['DELETE', `/v1/lanes/${name()}`, undefined],
    ['PUT', `/v1/lanes/${name()}/services/${name()}`, () => mutate({ endpoints: [endpoint()] })],
    ['DELETE', `/v1/lanes/${name()}/services/${name()}`, undefined],
    ['POST', `/v1/lanes/${name()}/renew`, () => mutate(chance(0.5) ? {} : { ttl: pick(['1h', '3d', 'x']) })],
    ['PUT', '/v1/settings', () => mutate({ ...(chance(0.5) && { entryService: name() }), ...(chance(0.3) && { laneHeader: pick(['x-lane', 'tag', 'Host', 'host']) }) })],
    ['GET', `/v1/lanes?${pick(['owner=ana', 'label=team%3Da', 'label=%3D', 'service=orders', 'x=1', 'label=a&label=b'])}`, undefined],
    ['GET', pick(['/v1/lanes', '/v1/services', `/v1/lanes/${name()}`, `/v1/services/${name()}`, '/v1/settings', '/v1/nope', '/v1/lanes/a/b/c']), undefined],
    [pick(['OPTIONS', 'HEAD', 'PROPFIND', 'PUT', 'POST']), pick(['/v1/lanes', '/healthz', '/v1/settings/x', '//v1//lanes']), () => junk()],
  ]);
  return (): Request => {
    const [method, path, body] = paths();
    const headers: Record<string, string> = {};
    // fetch cannot send a body with GET or HEAD.
    const value = method === 'HEAD' || method === 'GET' ? undefined : body?.();
    if (value !== undefined) headers['content-type'] = pick(['application/json', 'application/json', 'application/json', 'application/merge-patch+json', 'text/plain', 'application/json; charset=utf-8', 'application/xml', 'x/y']);
    if (chance(0.15)) headers['if-match'] = pick(['"1"', '"2"', '"5"', '*', '', 'W/"3"', '"', 'x y', '"1", "2"']);
    if (chance(0.05)) headers['if-none-match'] = pick(['*', '"1"', '']);
    if (chance(0.05)) headers.authorization = pick(['Bearer abc', 'Basic xyz', 'Bearer']);
    return { method, path, headers, ...(value !== undefined && { body: bodyText(value) }) };
  };
}

const WRITES = new Set(['PUT', 'PATCH', 'POST', 'DELETE']);

async function send(base: string, request: Request) {
  const res = await fetch(`${base}${request.path}`, { method: request.method, headers: request.headers, body: request.body });
  return { status: res.status, text: await res.text() };
}

describe('fuzzing the REST API', () => {
  let fuzzed: Server;
  let oracle: Server;

  before(async () => {
    [fuzzed, oracle] = await Promise.all([startServer(), startServer()]);
  });

  after(async () => {
    for (const server of [fuzzed, oracle]) {
      await server.close();
      rmSync(server.dataDir, { recursive: true, force: true });
    }
  });

  test(`${REQUESTS} random requests: never a 5xx; the state equals the accepted requests replayed`, async (t) => {
    t.diagnostic(`seed ${SEED} (repeat with LANEWAY_FUZZ_SEED=${SEED})`);
    const nextRequest = generator(random(SEED));
    const started = Date.now();
    const counts = new Map<number, number>();
    let sent = 0;
    for (; sent < REQUESTS && Date.now() - started < TIME_BUDGET_MS; sent++) {
      const request = nextRequest();
      const answer = await send(fuzzed.base, request);
      counts.set(answer.status, (counts.get(answer.status) ?? 0) + 1);
      const where = `#${sent} ${request.method} ${request.path} ${JSON.stringify(request.headers)} ${request.body?.slice(0, 200)}`;
      assert.ok(answer.status < 500, `${where} -> ${answer.status} ${answer.text.slice(0, 300)}`);
      if (answer.status >= 400 && request.method !== 'HEAD') {
        const body = JSON.parse(answer.text);
        assert.deepEqual(Object.keys(body), ['error', 'message', 'details'], where);
      }
      if (answer.status < 300 && WRITES.has(request.method)) {
        const replay = await send(oracle.base, request);
        assert.deepEqual(replay, answer, `the oracle disagrees on ${where}`);
      }
    }
    t.diagnostic(`${sent} requests in ${Date.now() - started} ms; statuses ${JSON.stringify(Object.fromEntries([...counts].sort()))}`);
    assert.ok((counts.get(200) ?? 0) + (counts.get(201) ?? 0) > sent / 20, 'enough requests were valid to build some state');
    assert.ok([...counts.keys()].filter((s) => s >= 400).length >= 5, 'the requests reached many kinds of error');
    for (const path of ['/v1/services', '/v1/lanes', '/v1/settings']) {
      assert.deepEqual(await send(fuzzed.base, { method: 'GET', path, headers: {} }), await send(oracle.base, { method: 'GET', path, headers: {} }), path);
    }
    const onDisk = await FileStore.open(fuzzed.dataDir, { now: () => NOW });
    assert.deepEqual([onDisk.state(), onDisk.meta()], [oracle.store.state(), oracle.store.meta()], 'what is on disk is what the accepted requests made');
  });
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { ConflictError, NotFoundError, ValidationError } from '../../control-plane/src/model/errors.js';
import type { Lane, Service } from '../../control-plane/src/model/types.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const root = mkdtempSync(join(tmpdir(), 'laneway-store-'));
let n = 0;
const freshDir = () => join(root, `d${++n}`);
/** Every file of the data directory, by name: what a write must leave alone when it is refused. */
const disk = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((name) => [name, readFileSync(join(dir, name), 'utf8')]));
after(() => rmSync(root, { recursive: true, force: true }));

const orders: Service = { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] };
const payments: Service = { name: 'payments', protocol: 'grpc', port: 9090, endpoints: [] };
const featureX: Lane = { name: 'feature-x', services: { orders: ['10.1.0.1:8080'] } };
const featureY: Lane = { name: 'feature-y', fallback: 'feature-x', services: {} };

describe('FileStore', () => {
  test('a missing file opens as the empty state', async () => {
    const store = await FileStore.open(freshDir());
    assert.deepEqual(store.state(), { settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' }, services: {}, lanes: {} });
  });

  test('writes survive a reopen, and report whether they created', async () => {
    const dir = freshDir();
    const store = await FileStore.open(dir, { now: () => new Date('2030-01-01T00:00:00Z') });
    const meta = (resourceVersion: string) => ({ resourceVersion, createdAt: '2030-01-01T00:00:00.000Z', updatedAt: '2030-01-01T00:00:00.000Z' });
    assert.deepEqual(await store.putService(orders), { value: orders, meta: meta('1'), created: true, changed: true });
    assert.deepEqual(await store.putService({ ...orders, port: 8081 }), { value: { ...orders, port: 8081 }, meta: meta('2'), created: false, changed: true });
    assert.deepEqual(await store.putLane(featureX), { value: featureX, meta: meta('3'), created: true, changed: true });
    await store.putSettings({ laneHeader: 'tag', servedByHeader: 'x-served-by', entryService: 'orders' });
    const reopened = await FileStore.open(dir);
    assert.deepEqual(reopened.state(), {
      settings: { laneHeader: 'tag', servedByHeader: 'x-served-by', entryService: 'orders' },
      services: { orders: { ...orders, port: 8081 } },
      lanes: { 'feature-x': featureX },
    });
    assert.deepEqual(readdirSync(dir).sort(), ['journal-0.jsonl', 'state.json'], 'no temporary files left behind');
  });

  test('a file of more pieces than one writev takes (IOV_MAX 1024) is written whole, byte for byte, on close', async () => {
    const dir = freshDir();
    const store = await FileStore.open(dir, { now: () => new Date('2030-01-01T00:00:00Z') });
    await store.putService(orders);
    // Each lane is four pieces of the file (its member and a comma, in lanes and in meta.lanes).
    for (let i = 0; i < 400; i++) await store.putLane({ name: `lane-${i}`, services: { orders: [`10.1.${i >> 8}.${i & 255}:8080`] } });
    await store.close();
    await assert.rejects(store.putLane(featureX), { message: 'the store is closed' });
    assert.deepEqual(readdirSync(dir).sort(), ['journal-1.jsonl', 'state.json'], 'closing folded the journal into the state file');
    assert.equal(readFileSync(join(dir, 'journal-1.jsonl'), 'utf8'), '', 'and started the next journal empty');
    const text = readFileSync(join(dir, 'state.json'), 'utf8');
    const parsed = JSON.parse(text) as { format: number; journal: number; lanes: Record<string, Lane>; meta: { revision: number } };
    assert.equal(parsed.format, 3);
    assert.equal(parsed.journal, 1, 'the state file names the next journal');
    assert.equal(Object.keys(parsed.lanes).length, 400);
    assert.deepEqual(parsed.lanes['lane-399'], { name: 'lane-399', services: { orders: ['10.1.1.143:8080'] } });
    assert.equal(parsed.meta.revision, 401);
    assert.equal(text, `${JSON.stringify(parsed)}\n`, 'compact JSON, one newline, nothing cut or doubled');
    assert.deepEqual((await FileStore.open(dir)).getLane('lane-7')?.meta.resourceVersion, '9');
  });

  test('the snapshot is frozen and later writes do not change it', async () => {
    const store = await FileStore.open(freshDir());
    await store.putService(orders);
    const snapshot = store.state();
    assert.throws(() => snapshot.services.orders!.endpoints.push('10.0.0.9:80'), TypeError);
    await store.putService({ ...orders, endpoints: [] });
    assert.deepEqual(snapshot.services.orders!.endpoints, ['10.0.0.1:8080']);
  });

  test('after every kind of write, state and meta are frozen all the way down', async () => {
    const store = await FileStore.open(freshDir());
    const isDeepFrozen = (value: unknown): boolean =>
      typeof value !== 'object' || value === null || (Object.isFrozen(value) && Object.values(value).every(isDeepFrozen));
    const writes: Array<[string, () => Promise<unknown>]> = [
      ['putService', () => store.putService(orders)],
      ['putLane', () => store.putLane(featureX)],
      ['updateLane with a ttl', () => store.updateLane('feature-x', () => ({ lane: { ...featureX, owner: 'ana' }, ttl: '1h' }))],
      ['putSettings', () => store.putSettings({ laneHeader: 'x-tag', servedByHeader: 'x-lane-served-by' })],
      ['deleteLane', () => store.deleteLane('feature-x')],
    ];
    for (const [what, write] of writes) {
      await write();
      assert.ok(isDeepFrozen(store.state()), `state after ${what}`);
      assert.ok(isDeepFrozen(store.meta()), `meta after ${what}`);
    }
  });

  test('an invalid write throws ValidationError and changes nothing, in memory or on disk', async () => {
    const dir = freshDir();
    const store = await FileStore.open(dir);
    await store.putService(orders);
    await store.putLane(featureX);
    const files = disk(dir);
    const memory = store.state();
    const bad: Array<[() => Promise<unknown>, string[]]> = [
      [() => store.putLane({ name: 'feature-x', fallback: 'nope', services: { orders: ['bad'] } }), [
        'lanes/feature-x/services/orders/0: "bad" is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)',
      ]],
      [() => store.putLane({ name: 'feature-x', fallback: 'nope', services: {} }), ['lanes/feature-x/fallback: lane "nope" does not exist']],
      [() => store.putLane({ name: 'feature-z', services: { carts: ['10.0.0.1:80'] } }), ['lanes/feature-z/services/carts: service "carts" does not exist']],
      [() => store.putService({ ...orders, port: 0 }), ['services/orders/port: must be an integer from 1 to 65535, got 0']],
      [() => store.putSettings({ laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'carts' }), ['settings/entryService: service "carts" does not exist']],
    ];
    for (const [write, expected] of bad) {
      await assert.rejects(write(), (err: unknown) => {
        assert.ok(err instanceof ValidationError);
        assert.deepEqual(err.errors.map((e) => `${e.path}: ${e.reason}`), expected);
        return true;
      });
    }
    assert.equal(store.state(), memory);
    assert.deepEqual(disk(dir), files);
  });

  test('a fallback cycle is refused when written', async () => {
    const store = await FileStore.open(freshDir());
    await store.putService(orders);
    await store.putLane(featureX);
    await store.putLane(featureY);
    await assert.rejects(store.putLane({ ...featureX, fallback: 'feature-y' }), (err: unknown) => {
      assert.ok(err instanceof ValidationError);
      assert.deepEqual(err.errors, [{ path: 'lanes/feature-x/fallback', reason: 'fallback cycle feature-x -> feature-y -> feature-x' }]);
      return true;
    });
  });

  test('deletes that would break other definitions are conflicts naming them; unknown names are not found', async () => {
    const store = await FileStore.open(freshDir());
    await store.putService(orders);
    await store.putService(payments);
    await store.putLane(featureX);
    await store.putLane(featureY);
    await assert.rejects(store.deleteLane('feature-x'), (err: unknown) => {
      assert.ok(err instanceof ConflictError);
      assert.equal(err.message, 'lane "feature-x" is the fallback of lane "feature-y"; change their fallback first');
      assert.deepEqual(err.details, [{ path: 'lanes/feature-y/fallback', reason: 'lane "feature-y" falls back to "feature-x"' }]);
      return true;
    });
    await assert.rejects(store.deleteService('orders'), (err: unknown) => {
      assert.ok(err instanceof ConflictError);
      assert.equal(err.message, 'service "orders" is still used by lanes/feature-x; change those first');
      return true;
    });
    await assert.rejects(store.deleteLane('nope'), NotFoundError);
    await assert.rejects(store.deleteService('constructor'), NotFoundError);
    assert.deepEqual((await store.deleteLane('feature-y')).value, featureY);
    assert.deepEqual((await store.deleteLane('feature-x')).value, featureX);
    assert.deepEqual((await store.deleteService('orders')).value, orders);
    assert.deepEqual(Object.keys(store.state().services), ['payments']);
  });

  test('concurrent writes are serialized and each notifies once, after it is durable', async () => {
    const dir = freshDir();
    const store = await FileStore.open(dir);
    const seen: string[][] = [];
    store.onChange((state) => {
      const journal = readFileSync(join(dir, 'journal-0.jsonl'), 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { name: string });
      assert.deepEqual(journal.map((entry) => entry.name), Object.keys(state.services), 'each write is in the journal before anyone hears of it');
      seen.push(Object.keys(state.services));
    });
    const names = Array.from({ length: 20 }, (_, i) => `svc-${i}`);
    await Promise.all(names.map((name) => store.putService({ ...payments, name })));
    assert.equal(seen.length, 20);
    assert.deepEqual(seen.map((keys) => keys.length), names.map((_, i) => i + 1));
    assert.deepEqual(Object.keys((await FileStore.open(dir)).state().services).sort(), [...names].sort());
  });

  test('a corrupt file is a clear error, never an empty start', async () => {
    const dir = freshDir();
    await (await FileStore.open(dir)).putService(orders);
    writeFileSync(join(dir, 'state.json'), '{"format":1,"services":{"or');
    await assert.rejects(FileStore.open(dir), (err: Error) => {
      assert.match(err.message, new RegExp(`^store file ${join(dir, 'state.json')} is corrupt \\(`));
      assert.match(err.message, /refusing to start with an empty state/);
      return true;
    });
    writeFileSync(join(dir, 'state.json'), JSON.stringify({ format: 1, settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' }, services: {}, lanes: { a: { name: 'a', fallback: 'b', services: {} } } }));
    await assert.rejects(FileStore.open(dir), { message: `store file ${join(dir, 'state.json')} holds invalid definitions: lanes/a/fallback: lane "b" does not exist` });
  });

  test('a write acknowledged just before SIGKILL is there after a reopen', async () => {
    const dir = freshDir();
    const storeUrl = pathToFileURL(join(import.meta.dirname, '../../control-plane/src/sources/store.ts')).href;
    // The child kills itself the moment the write resolves: nothing after "acknowledged" runs.
    const script = `
      const { FileStore } = await import(${JSON.stringify(storeUrl)});
      const store = await FileStore.open(${JSON.stringify(dir)});
      await store.putService(${JSON.stringify(orders)});
      await store.putLane(${JSON.stringify(featureX)});
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL', stderr);
    const state = (await FileStore.open(dir)).state();
    assert.deepEqual(state.services, { orders });
    assert.deepEqual(state.lanes, { 'feature-x': featureX });
  });
});

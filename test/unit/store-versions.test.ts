// resourceVersions, preconditions and idempotent writes in the store; format 1 files are read.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { PreconditionFailedError } from '../../control-plane/src/model/errors.js';
import type { Lane, Service } from '../../control-plane/src/model/types.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const root = mkdtempSync(join(tmpdir(), 'laneway-store-versions-'));
let n = 0;
const freshDir = () => join(root, `d${++n}`);
after(() => rmSync(root, { recursive: true, force: true }));

const T0 = '2030-01-01T00:00:00.000Z';
const T1 = '2030-01-01T00:05:00.000Z';
const orders: Service = { name: 'orders', protocol: 'http', port: 8080, endpoints: ['10.0.0.1:8080'] };
const featureX: Lane = { name: 'feature-x', services: { orders: ['10.1.0.1:8080'] } };

async function openAt(dir: string, clock: { now: string }) {
  return FileStore.open(dir, { now: () => new Date(clock.now) });
}

function rejectsPrecondition(message: string, currentVersion: string | undefined) {
  return (err: unknown) => {
    assert.ok(err instanceof PreconditionFailedError, String(err));
    assert.equal(err.message, message);
    assert.equal(err.currentVersion, currentVersion);
    return true;
  };
}

describe('FileStore versions', () => {
  test('each change gets the next version; an unchanged write keeps it and writes nothing', async () => {
    const dir = freshDir();
    const clock = { now: T0 };
    const store = await openAt(dir, clock);
    assert.equal((await store.putService(orders)).meta.resourceVersion, '1');
    const files = () => ['state.json', 'journal-0.jsonl'].map((name) => readFileSync(join(dir, name), 'utf8'));
    const fileBefore = files();
    clock.now = T1;
    assert.deepEqual(await store.putService({ ...orders }), {
      value: orders, meta: { resourceVersion: '1', createdAt: T0, updatedAt: T0 }, created: false, changed: false,
    });
    assert.deepEqual(files(), fileBefore);
    assert.deepEqual((await store.putService({ ...orders, port: 9090 })).meta, { resourceVersion: '2', createdAt: T0, updatedAt: T1 });
    assert.equal((await store.putLane(featureX)).meta.resourceVersion, '3');
    assert.equal(store.meta().revision, 3);
  });

  test('If-Match: the current version (or *) passes; another fails and changes nothing', async () => {
    const store = await openAt(freshDir(), { now: T0 });
    await store.putService(orders);
    await store.putLane(featureX);
    const before = store.state();
    await assert.rejects(store.putLane({ ...featureX, owner: 'bo' }, { ifMatch: ['1'] }),
      rejectsPrecondition('lanes/feature-x is at resourceVersion 2, not 1: it changed since you read it; read it again and retry', '2'));
    await assert.rejects(store.deleteLane('feature-x', { ifMatch: ['7', '8'] }),
      rejectsPrecondition('lanes/feature-x is at resourceVersion 2, not 7 or 8: it changed since you read it; read it again and retry', '2'));
    await assert.rejects(store.putLane({ ...featureX, name: 'feature-z' }, { ifMatch: ['*'] }),
      rejectsPrecondition('lanes/feature-z does not exist, but the request expected resourceVersion *', undefined));
    assert.equal(store.state(), before);
    assert.equal((await store.putLane({ ...featureX, owner: 'bo' }, { ifMatch: ['2'] })).meta.resourceVersion, '3');
    assert.equal((await store.putLane({ ...featureX, owner: 'cy' }, { ifMatch: ['*'] })).meta.resourceVersion, '4');
    assert.equal((await store.deleteLane('feature-x', { ifMatch: ['4'] })).value.owner, 'cy');
  });

  test('If-None-Match: * creates only', async () => {
    const store = await openAt(freshDir(), { now: T0 });
    await store.putService(orders, { ifNoneMatch: true });
    await assert.rejects(store.putService(orders, { ifNoneMatch: true }),
      rejectsPrecondition('services/orders already exists (resourceVersion 1); the request asked to create it only', '1'));
  });

  test('updateLane reads and writes in one step, and keeps the lane TTL beside it', async () => {
    const store = await openAt(freshDir(), { now: T0 });
    await store.putService(orders);
    await store.putService({ ...orders, name: 'payments' });
    await store.putLane(featureX);
    // Both run against the state each one finds: nothing is lost.
    await Promise.all([
      store.updateLane('feature-x', (current) => ({ lane: { ...current!.value, services: { ...current!.value.services, payments: ['10.1.0.2:80'] } } })),
      store.updateLane('feature-x', (current) => ({ lane: { ...current!.value, owner: 'ana' }, ttl: '2h' })),
    ]);
    assert.deepEqual(store.getLane('feature-x'), {
      value: { name: 'feature-x', services: { orders: ['10.1.0.1:8080'], payments: ['10.1.0.2:80'] }, owner: 'ana' },
      meta: { resourceVersion: '5', createdAt: T0, updatedAt: T0, ttl: '2h' },
    });
  });

  test('versions and times survive a reopen; the counter never goes back', async () => {
    const dir = freshDir();
    const store = await openAt(dir, { now: T0 });
    await store.putService(orders);
    await store.putLane(featureX);
    await store.deleteLane('feature-x');
    const reopened = await openAt(dir, { now: T1 });
    assert.deepEqual(reopened.getService('orders')?.meta, { resourceVersion: '1', createdAt: T0, updatedAt: T0 });
    assert.equal((await reopened.putLane(featureX)).meta.resourceVersion, '3', 'a re-created lane never reuses its old version 2');
  });

  test('a format 1 file (no metadata) is read and given versions', async () => {
    const dir = freshDir();
    await openAt(dir, { now: T0 });
    writeFileSync(join(dir, 'state.json'), JSON.stringify({
      format: 1, settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' }, services: { orders }, lanes: { 'feature-x': featureX },
    }));
    const store = await openAt(dir, { now: T1 });
    assert.deepEqual(store.getLane('feature-x'), { value: featureX, meta: { resourceVersion: '0', createdAt: T1, updatedAt: T1 } });
    assert.equal((await store.putLane({ ...featureX, owner: 'ana' }, { ifMatch: ['0'] })).meta.resourceVersion, '1');
    assert.equal(JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')).format, 3, 'rewritten at open: an older binary must not read it and miss the journal');
  });
});

// The lane expiry sweep: expired lanes go, lanes that others fall back to wait, a renewal that lands
// first wins, and a reopened store is swept before anything else.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { waitFor } from '../../deploy/local/processes.js';
import type { Lane } from '../../control-plane/src/model/types.js';
import { LaneExpiry, SWEEP_RETRY_MS } from '../../control-plane/src/sources/expiry.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const root = mkdtempSync(join(tmpdir(), 'laneway-expiry-'));
let n = 0;
const freshDir = () => join(root, `d${++n}`);
after(() => rmSync(root, { recursive: true, force: true }));

const NOW = Date.parse('2030-01-01T12:00:00Z');
const PAST = '2030-01-01T11:59:59Z';
const FUTURE = '2030-01-01T12:00:01Z';

function recordingLogger() {
  const lines: Array<{ level: string; fields: object; message: string }> = [];
  const log = (level: string) => (fields: object, message: string) => void lines.push({ level, fields, message });
  return { lines, logger: { info: log('info'), warn: log('warn'), error: log('error') } };
}

async function storeWith(dir: string, lanes: Lane[]): Promise<FileStore> {
  const store = await FileStore.open(dir);
  await store.putService({ name: 'orders', protocol: 'http', port: 80, endpoints: [] });
  for (const lane of lanes) await store.putLane(lane);
  return store;
}

const lane = (name: string, expiresAt?: string, fallback?: string): Lane => ({
  name, services: { orders: ['10.0.0.1:80'] }, ...(fallback && { fallback }), ...(expiresAt && { expiresAt }),
});

describe('LaneExpiry', () => {
  test('removes expired lanes only, and logs each removal as a write by "expiry"', async () => {
    const store = await storeWith(freshDir(), [lane('old', PAST), lane('young', FUTURE), lane('forever')]);
    const { lines, logger } = recordingLogger();
    const expiry = new LaneExpiry({ store, logger, now: () => NOW });
    assert.deepEqual(await expiry.sweep(), ['old']);
    assert.deepEqual(Object.keys(store.state().lanes).sort(), ['forever', 'young']);
    assert.deepEqual(lines, [{ level: 'info', message: 'lane expired and was removed', fields: {
      who: 'expiry', action: 'lane.expire', lane: 'old', expiresAt: PAST, resourceVersion: '2',
    } }]);
  });

  test('a chain that expired together goes, dependants first; a lane someone still falls back to stays, logged once', async () => {
    const store = await storeWith(freshDir(), [lane('base', PAST), lane('mid', PAST, 'base'), lane('top', PAST, 'mid'), lane('held', PAST), lane('user', undefined, 'held')]);
    const { lines, logger } = recordingLogger();
    const expiry = new LaneExpiry({ store, logger, now: () => NOW });
    assert.deepEqual((await expiry.sweep()).sort(), ['base', 'mid', 'top']);
    await expiry.sweep();
    assert.deepEqual(Object.keys(store.state().lanes).sort(), ['held', 'user']);
    assert.deepEqual(lines.filter((l) => l.level === 'warn').map((l) => l.message), [
      'lane expired but stays: lane "held" is the fallback of lane "user"; change their fallback first',
    ]);
    await store.putLane(lane('user'));
    assert.deepEqual(await expiry.sweep(), ['held']);
  });

  test('a renewal that lands before the removal wins', async () => {
    const store = await storeWith(freshDir(), [lane('busy', PAST)]);
    const expiry = new LaneExpiry({ store, logger: recordingLogger().logger, now: () => NOW });
    // The renewal is queued before the sweep's conditional delete, so the delete sees a new version.
    const renewal = store.updateLane('busy', (current) => ({ lane: { ...current!.value, expiresAt: '2030-01-01T13:00:00Z' } }));
    const removed = await expiry.sweep();
    await renewal;
    assert.deepEqual(removed, []);
    assert.equal(store.state().lanes.busy?.expiresAt, '2030-01-01T13:00:00Z');
  });

  test('start() sweeps before it returns: what expired while stopped is gone at once', async () => {
    const dir = freshDir();
    await storeWith(dir, [lane('stale', PAST), lane('fresh', '2030-01-02T00:00:00Z')]);
    const reopened = await FileStore.open(dir);
    const expiry = new LaneExpiry({ store: reopened, logger: recordingLogger().logger, now: () => NOW });
    await expiry.start();
    expiry.close();
    assert.deepEqual(Object.keys(reopened.state().lanes), ['fresh']);
  });

  test('a lane is removed by the timer when it comes due (real clock)', async () => {
    const store = await storeWith(freshDir(), []);
    const expiry = new LaneExpiry({ store, logger: recordingLogger().logger });
    await expiry.start();
    try {
      await store.putLane(lane('short', new Date(Date.now() + 300).toISOString()));
      assert.ok(Object.hasOwn(store.state().lanes, 'short'));
      await waitFor('the lane to expire', async () => !Object.hasOwn(store.state().lanes, 'short'), 10000);
    } finally {
      expiry.close();
    }
  });
  test('a sweep whose store write fails is retried by itself, with no other write to the store (real clock)', async () => {
    const store = await storeWith(freshDir(), []);
    const { lines, logger } = recordingLogger();
    // A fake of a full disk: the first delete is refused the way a failed journal append is (the
    // real full disk is test/e2e/data-dir.test.ts); every later one reaches the real store.
    const realDelete = store.deleteLane.bind(store);
    let refusals = 1;
    store.deleteLane = (name, preconditions) => (refusals-- > 0 ? Promise.reject(new Error('data directory /x: no space left on device')) : realDelete(name, preconditions));
    const expiry = new LaneExpiry({ store, logger });
    await expiry.start();
    try {
      await store.putLane(lane('short', new Date(Date.now() + 100).toISOString()));
      await waitFor('the failed sweep to be logged', async () => lines.some((l) => l.level === 'error'), 5000);
      assert.ok(Object.hasOwn(store.state().lanes, 'short'), 'the refused delete left the lane');
      assert.match(lines.find((l) => l.level === 'error')!.message, new RegExp(`retrying in ${SWEEP_RETRY_MS} ms`));
      await waitFor('the retry to remove the lane', async () => !Object.hasOwn(store.state().lanes, 'short'), SWEEP_RETRY_MS + 5000);
      assert.equal(refusals, -1, 'one refused delete, then one that went through');
    } finally {
      expiry.close();
    }
  });

  test('after 300 random writes (TTLs set, renewed, cleared, lanes deleted) a sweep removes exactly the lanes due', async () => {
    const store = await storeWith(freshDir(), []);
    let now = NOW;
    const expiry = new LaneExpiry({ store, logger: recordingLogger().logger, now: () => now });
    await expiry.start();
    // A seeded generator: the same writes on every run.
    let seed = 7;
    const random = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) {
        const name = `lane-${random(40)}`;
        const choice = random(4);
        if (choice === 0 && store.getLane(name)) await store.deleteLane(name);
        // Always ahead of the clock while writing, so nothing is swept before the check.
        else await store.putLane(lane(name, choice === 1 ? undefined : new Date(now + 1000 + random(60_000)).toISOString()));
      }
      now += 30_000;
      const due = Object.values(store.state().lanes).filter((l) => l.expiresAt !== undefined && Date.parse(l.expiresAt) <= now).map((l) => l.name);
      assert.ok(due.length > 0, `round ${round + 1}: some lanes are due`);
      assert.deepEqual((await expiry.sweep()).sort(), due.sort(), `round ${round + 1}`);
      assert.ok(Object.values(store.state().lanes).every((l) => l.expiresAt === undefined || Date.parse(l.expiresAt) > now));
    }
    expiry.close();
  });
});

// The global cap on change pushes in flight, with real gRPC streams: the cap holds, waiting streams
// coalesce to the newest version, every stream converges, requests never wait, dead proxies time out.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import type { AdsClient } from '../support/ads-client.js';
import { DeltaAdsClient } from '../support/delta-ads-client.js';
import { listener } from '../support/xds-fixtures.js';
import { startTestXds, type TestXds } from '../support/xds-harness.js';
import { PushLimiter, StreamPushGate } from '../../control-plane/src/xds/push-limiter.js';
import { xdsMetrics } from '../../control-plane/src/runtime/metrics.js';

const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function setup(t: TestContext, opts: Parameters<typeof startTestXds>[0]): Promise<TestXds> {
  const xds = await startTestXds(opts);
  t.after(() => xds.close());
  xds.cache.setSnapshot('g', [listener('v1')]);
  return xds;
}

const ldsVersion = (xds: TestXds) => xds.cache.getSnapshot('g')!.types.get(LDS)!.version;

async function subscribed(xds: TestXds, id: string): Promise<AdsClient> {
  const c = xds.connect({ id });
  c.request({ typeUrl: LDS });
  const res = await c.next(LDS);
  c.ack(res);
  await xds.server.status.waitForAck(id, LDS, res.versionInfo);
  return c;
}

test('limiter: grants up to the cap, queues the rest in order, cancel leaves the queue', () => {
  const limiter = new PushLimiter({ maxConcurrent: 2, timeoutMs: 1000 });
  const granted: string[] = [];
  for (const name of ['a', 'b', 'c', 'd']) limiter.acquire(() => granted.push(name));
  const cancelE = limiter.acquire(() => granted.push('e'));
  assert.deepEqual(granted, ['a', 'b']);
  assert.equal(limiter.waiting, 3);
  cancelE();
  limiter.release();
  limiter.release();
  assert.deepEqual(granted, ['a', 'b', 'c', 'd']);
  limiter.release();
  limiter.release();
  assert.deepEqual([limiter.inFlight, limiter.waiting, limiter.peak], [0, 0, 2]);
});

test('gate: a slot goes back when its responses are answered, or at once when nothing was left to send', () => {
  const limiter = new PushLimiter({ maxConcurrent: 1, timeoutMs: 1000 });
  const a = new StreamPushGate(limiter, () => {});
  let wokeB = 0;
  const b: StreamPushGate = new StreamPushGate(limiter, () => {
    wokeB++;
    b.flushed(); // its pending push already went out with a request: nothing to send
  });
  assert.equal(a.tryEnter(), true);
  a.sent('n1');
  a.sent('n2');
  a.flushed();
  assert.equal(b.tryEnter(), false);
  a.answered('n1');
  assert.deepEqual([limiter.inFlight, wokeB], [1, 0]);
  a.answered('n2');
  assert.deepEqual([limiter.inFlight, limiter.waiting, wokeB], [0, 0, 1]);
  a.close();
  b.close();
});

test('SotW: at most the cap of change pushes are unanswered; waiting streams get only the newest version', async (t) => {
  const xds = await setup(t, { maxConcurrentPushes: 2 });
  const clients = await Promise.all(['p0', 'p1', 'p2', 'p3', 'p4', 'p5'].map((id) => subscribed(xds, id)));
  xds.cache.setSnapshot('g', [listener('v2')]);
  const v2 = ldsVersion(xds);
  await sleep(150);
  const first = await Promise.all(clients.map((c) => c.unreadAfter(0, LDS)));
  assert.equal(first.filter((u) => u.length > 0).length, 2, 'two streams pushed, four waiting');
  assert.deepEqual([xds.server.pushLimiter.inFlight, xds.server.pushLimiter.waiting], [2, 4]);
  const metrics = await xdsMetrics(xds.server.status, xds.server.pushLimiter).registry.metrics();
  assert.match(metrics, /^laneway_xds_pushes_in_flight 2$/m);
  assert.match(metrics, /^laneway_xds_pushes_waiting 4$/m);
  assert.match(metrics, /^laneway_xds_pushes_in_flight_max 2$/m);

  xds.cache.setSnapshot('g', [listener('v3')]);
  const v3 = ldsVersion(xds);
  // Every client now acks what it gets, as Envoy does, until it runs the newest version.
  await Promise.all(clients.map(async (c) => {
    for (;;) {
      const res = await c.next(LDS, 3000);
      c.ack(res);
      if (res.versionInfo === v3) return;
    }
  }));
  for (const [i, c] of clients.entries()) {
    const versions = c.responses.slice(1).map((r) => r.versionInfo);
    assert.deepEqual(versions, first[i]!.length > 0 ? [v2, v3] : [v3], `client ${i}`);
  }
  assert.ok(xds.server.pushLimiter.peak <= 2, `peak ${xds.server.pushLimiter.peak}`);
  await sleep(50);
  assert.deepEqual([xds.server.pushLimiter.inFlight, xds.server.pushLimiter.waiting], [0, 0]);
});

test('Delta: the cap holds across streams and every stream converges', async (t) => {
  const xds = await setup(t, { maxConcurrentPushes: 1 });
  const clients: DeltaAdsClient[] = [];
  for (const id of ['d0', 'd1', 'd2', 'd3']) {
    const c = new DeltaAdsClient(xds.server.port, { id });
    t.after(() => c.close());
    c.request({ typeUrl: LDS });
    c.ack(await c.next(LDS));
    clients.push(c);
  }
  await sleep(50);
  xds.cache.setSnapshot('g', [listener('v2')]);
  await sleep(150);
  const pushed = clients.filter((c) => c.responses.length > 1).length;
  assert.equal(pushed, 1);
  await Promise.all(clients.map(async (c) => {
    const res = await c.next(LDS, 3000);
    assert.deepEqual(res.resources.map((r) => r.name), ['v2']);
    c.ack(res);
  }));
  assert.equal(xds.server.pushLimiter.peak, 1);
});

test('an initial request is answered while every slot is held, and a silent proxy gives its slot back after the timeout', async (t) => {
  const xds = await setup(t, { maxConcurrentPushes: 1, pushTimeoutMs: 300 });
  const [a, b] = await Promise.all([subscribed(xds, 'a'), subscribed(xds, 'b')]);
  xds.cache.setSnapshot('g', [listener('v2')]);
  const v2 = ldsVersion(xds);
  await sleep(100);
  const [holder, waiter] = (await a.unreadAfter(0, LDS)).length > 0 ? [a, b] : [b, a];
  assert.equal((await waiter.unreadAfter(0, LDS)).length, 0);

  const started = Date.now();
  const late = xds.connect({ id: 'late' });
  late.request({ typeUrl: LDS });
  assert.equal((await late.next(LDS, 200)).versionInfo, v2);
  assert.ok(Date.now() - started < 200);

  // The holder never acks: after pushTimeoutMs its slot goes to the waiter.
  assert.equal((await waiter.next(LDS, 1000)).versionInfo, v2);
  assert.ok(Date.now() - started >= 150, 'waited for the timeout');
  assert.equal((await holder.next(LDS)).versionInfo, v2);
});

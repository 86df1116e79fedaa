// xDS under hostile input: a seeded fuzzer drives SotW, delta and raw-byte ADS streams of the real
// server (in this process) with malformed sequences, while a well-behaved SotW and delta client and a
// real Envoy (an ingress, lanes published to it each round) stay connected. Invariants: no uncaught
// exception or unhandled rejection; the reference clients get each snapshot published during the
// abuse; the Envoy stays connected, never NACKs, routes each round's new lane by x-lane, answers every
// request sent through it meanwhile, and ends on the versions the server holds; every stream the
// server ends gets a clear status; the heap returns near its baseline.
// LANEWAY_XDS_FUZZ_SECONDS (default 30) sets the abuse time,
// LANEWAY_XDS_FUZZ_SEED the seed; LANEWAY_XDS_FUZZ_REPORT a file for the run's summary as JSON.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { test } from 'node:test';
import { status as grpcStatus, type StatusObject } from '@grpc/grpc-js';
import type { ResourceInput } from '../../control-plane/src/xds/cache.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';
import { AdsClient } from '../support/ads-client.js';
import { DeltaAdsClient } from '../support/delta-ads-client.js';
import { cluster, endpointPort, endpoints, listener, resourceNames } from '../support/xds-fixtures.js';
import { abandonBurst, deltaAbuse, rawCall, Prng, rawAbuse, rawClient, settle, slowReader, sotwAbuse, type StreamOutcome } from '../support/xds-fuzz-actions.js';
import { ENVOY_NODE_ID, FuzzEnvoy } from '../support/xds-fuzz-envoy.js';
import { startTestXds, type TestXds } from '../support/xds-harness.js';
import { waitFor } from '../../deploy/local/processes.js';

const SECONDS = Number(process.env.LANEWAY_XDS_FUZZ_SECONDS ?? 30);
const SEED = Number(process.env.LANEWAY_XDS_FUZZ_SEED ?? 29);
const STREAMS_PER_ROUND = 24;
const SLOW_READERS_PER_ROUND = 3;
const ABANDONED_PER_ROUND = 100;
// Heap growth allowed after the abuse, after forced GC: pooled buffers, JIT code, grpc-js caches.
const HEAP_BOUND_BYTES = 16 * 1024 * 1024;
// Statuses the server may end an abusive stream with; anything else (UNKNOWN above all) is unclear.
// INTERNAL is not among them: the server sends it only when its own handler threw, a bug.
const CLEAR_CODES = new Set([grpcStatus.INVALID_ARGUMENT, grpcStatus.RESOURCE_EXHAUSTED, grpcStatus.UNAVAILABLE]);

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;

function forceGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

async function settledHeap(gc: () => void): Promise<number> {
  for (let i = 0; i < 4; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return process.memoryUsage().heapUsed;
}

function snapshotFor(clusters: readonly string[]): ResourceInput[] {
  return [...clusters.map((c) => cluster(c)), ...clusters.map((c, i) => endpoints(c, 9000 + i)), listener('ingress')];
}

/** Reads (and ACKs) CDS responses until one names exactly `expected`. */
async function sotwSees(ref: AdsClient, expected: readonly string[]): Promise<void> {
  for (;;) {
    const res = await ref.next(CDS, 10_000);
    ref.ack(res);
    if (JSON.stringify(resourceNames(res).sort()) === JSON.stringify([...expected].sort())) return;
  }
}

/** The reference SotW client subscribes to the newest cluster's endpoints and gets the right port. */
async function sotwEndpointsOf(ref: AdsClient, name: string, port: number): Promise<void> {
  ref.request({ typeUrl: EDS, resourceNames: [name] });
  for (;;) {
    const res = await ref.next(EDS, 10_000);
    ref.ack(res);
    if (endpointPort(res, name) === port) return;
  }
}

async function deltaSees(ref: DeltaAdsClient, name: string): Promise<void> {
  for (;;) {
    const res = await ref.next(CDS, 10_000);
    ref.ack(res);
    if (res.resources.some((r) => r.name === name)) return;
  }
}

/** Runs the reference checks of a round; on a failure, says what the server's push limiter and registry held. */
async function served(xds: TestXds, round: number, clients: Array<{ status: Promise<StatusObject> }>, checks: () => Promise<void>): Promise<void> {
  try {
    await checks();
  } catch (err) {
    const limiter = xds.server.pushLimiter;
    const refs = xds.logs.filter((l) => String(l.nodeId ?? '').startsWith('reference') && (l.level >= 40 || l.msg === 'proxy disconnected'));
    const ends = await Promise.all(clients.map((c) => settle(c.status, 10)));
    throw new Error(`round ${round}: ${(err as Error).message}; reference client statuses ${JSON.stringify(ends)}; push limiter in flight ${limiter.inFlight}, waiting ${limiter.waiting}; proxies ${xds.server.status.list().length}; reference log ${JSON.stringify(refs).slice(0, 3000)}`);
  }
}

interface Tally {
  streams: number;
  requests: number;
  abandoned: number;
  statuses: Map<string, number>;
  unclear: string[];
}

function record(tally: Tally, outcome: StreamOutcome): void {
  tally.streams++;
  tally.requests += outcome.requests;
  const s = outcome.status;
  const key = s === 'open' ? `${outcome.kind} open (ignored, cancelled by the fuzzer)` : `${outcome.kind} ${grpcStatus[s.code]}: ${s.details.replace(/node [^:]*:/, 'node …:').slice(0, 120)}`;
  tally.statuses.set(key, (tally.statuses.get(key) ?? 0) + 1);
  // The hostile streams share one HTTP/2 connection; when it goes down, grpc-js ends them all itself.
  const connectionLost = s !== 'open' && s.details.includes('triggered by internal client error');
  if (s !== 'open' && !connectionLost && (!CLEAR_CODES.has(s.code) || s.details.trim() === '')) tally.unclear.push(key);
}

async function abuseRound(xds: TestXds, rng: Prng, round: number, clusters: readonly string[], tally: Tally): Promise<void> {
  const raw = rawClient(xds.server.port);
  const slow = Array.from({ length: SLOW_READERS_PER_ROUND }, (_, i) => slowReader(rng, raw, round * 100 + i, clusters));
  const runs = Array.from({ length: STREAMS_PER_ROUND }, (_, i) => {
    const id = round * 100 + i;
    const pick = rng.int(10);
    if (pick < 4) return sotwAbuse(rng, xds.server.port, id, clusters);
    if (pick < 8) return deltaAbuse(rng, xds.server.port, id, clusters);
    return rawAbuse(rng, raw);
  });
  const abandoned = abandonBurst(rng, xds.server.port, ABANDONED_PER_ROUND);
  for (const outcome of await Promise.all(runs)) record(tally, outcome);
  tally.streams += await abandoned;
  tally.abandoned += ABANDONED_PER_ROUND;
  for (const s of slow) {
    s.cancel();
    tally.streams++;
    tally.requests += s.requests;
  }
  raw.close();
}

test('xDS survives hostile streams and keeps serving the well-behaved ones', { timeout: (SECONDS + 120) * 1000 }, async (t) => {
  const crashes: unknown[] = [];
  const onCrash = (err: unknown) => crashes.push(err);
  process.on('uncaughtException', onCrash);
  process.on('unhandledRejection', onCrash);
  t.after(() => {
    process.off('uncaughtException', onCrash);
    process.off('unhandledRejection', onCrash);
  });
  const gc = forceGc();
  const rng = new Prng(SEED);
  let envoy: FuzzEnvoy | undefined;
  const xds = await startTestXds({ groupForNode: (node) => envoy?.groupFor(node) ?? { group: typeof node.metadata.group === 'string' ? node.metadata.group : 'g' } });
  t.after(() => xds.close());
  let clusters = ['orders', 'payments'];
  xds.cache.setSnapshot('g', snapshotFor(clusters));
  envoy = new FuzzEnvoy(xds.cache);
  const realEnvoy = envoy;
  t.after(() => realEnvoy.close());
  const envoyEvents: string[] = [];
  xds.server.status.on('disconnect', (e) => e.nodeId === ENVOY_NODE_ID && envoyEvents.push(`disconnect stream ${e.streamId}`));
  xds.server.status.on('nack', (e) => e.nodeId === ENVOY_NODE_ID && envoyEvents.push(`NACK ${e.typeUrl}: ${e.error}`));
  await realEnvoy.start(xds.server.port);

  const tally: Tally = { streams: 0, requests: 0, abandoned: 0, statuses: new Map(), unclear: [] };
  // One round first, so the baseline includes warmed code and pools rather than counting them as growth.
  await abuseRound(xds, rng, 0, clusters, tally);
  const heapBefore = await settledHeap(gc);

  // The reference clients dial "localhost", not 127.0.0.1: grpc-js shares one HTTP/2 connection per
  // target, and a proxy has a connection of its own, not the one the hostile streams ride on.
  const ref = new AdsClient(xds.server.port, { id: 'reference', metadata: { group: 'g' } }, 'localhost');
  t.after(() => ref.close());
  ref.request({ typeUrl: CDS });
  await sotwSees(ref, clusters);
  const dref = new DeltaAdsClient(xds.server.port, { id: 'reference-delta', metadata: { group: 'g' } }, 'localhost');
  t.after(() => dref.close());
  dref.request({ typeUrl: CDS, subscribe: ['*'] });
  await deltaSees(dref, 'orders');

  realEnvoy.startTraffic();
  const envoyHealth: string[] = [];
  let lanes: string[] = [];
  const started = Date.now();
  let round = 1;
  for (; Date.now() - started < SECONDS * 1000; round++) {
    xds.logs.length = 0; // the harness keeps every log line; the heap check measures the server
    const abuse = abuseRound(xds, rng, round, clusters, tally);
    // Publish while the abuse is in flight; the reference clients must get it regardless.
    clusters = [...clusters.filter(() => rng.chance(0.8)).slice(-20), `c${round}`];
    xds.cache.setSnapshot('g', snapshotFor(clusters));
    lanes = [...lanes.slice(-4), `r${round}`];
    realEnvoy.publish(lanes);
    await abuse;
    await served(xds, round, [ref, dref], async () => {
      await sotwSees(ref, clusters);
      await sotwEndpointsOf(ref, `c${round}`, 9000 + clusters.length - 1);
      await deltaSees(dref, `c${round}`);
      const lane = `r${round}`;
      await waitFor(`the Envoy to route x-lane ${lane}`, async () => (await realEnvoy.route(lane)) === `web/${lane} lane-instance`, 10_000, 20);
    });
    const health = await realEnvoy.health();
    if (health.connected !== 1 || health.rejected !== 0) envoyHealth.push(`round ${round}: connected_state ${health.connected}, update_rejected ${health.rejected}`);
    // The test clients keep every response; drop them so the heap check measures the server.
    ref.responses.length = 0;
    dref.responses.length = 0;
  }
  const traffic = await realEnvoy.stopTraffic();
  const envoyGroup = xds.server.status.forNode(ENVOY_NODE_ID)[0]?.group ?? '';
  const servedVersions = Object.fromEntries([...xds.cache.getSnapshot(envoyGroup)?.types ?? []].filter(([t]) => t !== EDS).sort(([a], [b]) => (a < b ? -1 : 1)).map(([t, s]) => [t, [s.version]]));
  // The last CDS push may still hold removed clusters (make before break); the release follows the RDS ACK.
  await waitFor('the Envoy to apply the served versions', async () => JSON.stringify(await realEnvoy.runningVersions()) === JSON.stringify(servedVersions), 10_000, 100).catch(() => {});
  const running = await realEnvoy.runningVersions();
  await new Promise((resolve) => setTimeout(resolve, 500));
  const heapAfter = await settledHeap(gc);
  const summary = {
    seed: SEED, seconds: SECONDS, rounds: round - 1, streams: tally.streams, abandoned: tally.abandoned, requests: tally.requests,
    heapBeforeMiB: +(heapBefore / 2 ** 20).toFixed(1), heapAfterMiB: +(heapAfter / 2 ** 20).toFixed(1),
    trackedProxies: xds.server.status.list().length,
    envoy: { requests: traffic.sent, failed: traffic.failures.length, lanesRouted: round - 1, events: envoyEvents.length },
    statuses: Object.fromEntries([...tally.statuses].sort((a, b) => b[1] - a[1])),
  };
  if (process.env.LANEWAY_XDS_FUZZ_REPORT) writeFileSync(process.env.LANEWAY_XDS_FUZZ_REPORT, `${JSON.stringify(summary, null, 2)}\n`);
  t.diagnostic(JSON.stringify(summary));

  assert.deepEqual(crashes, [], 'no uncaught exception or unhandled rejection');
  assert.deepEqual(tally.unclear, [], 'every stream the server ended got a clear status with details');
  assert.ok(heapAfter - heapBefore < HEAP_BOUND_BYTES, `heap grew ${((heapAfter - heapBefore) / 2 ** 20).toFixed(1)} MiB over the abuse`);
  assert.deepEqual(xds.server.status.list().map((p) => p.nodeId).sort(), [ENVOY_NODE_ID, 'reference', 'reference-delta'], 'only the live proxies are tracked');
  assert.deepEqual(envoyEvents, [], 'the Envoy kept its one stream and never NACKed');
  assert.deepEqual(envoyHealth, [], 'the Envoy said it was connected, with no rejected update, after every round');
  assert.deepEqual(traffic.failures, [], 'every request through the Envoy reached the instance its lane names');
  assert.ok(traffic.sent > 0, 'requests went through the Envoy during the abuse');
  assert.deepEqual(running, servedVersions, 'the Envoy runs the versions the server holds for it');
});

test('undecodable request bytes end the stream with INVALID_ARGUMENT saying why, on both methods', async (t) => {
  const xds = await startTestXds();
  t.after(() => xds.close());
  const client = rawClient(xds.server.port);
  t.after(() => client.close());
  const ended: string[] = [];
  for (const [method, message] of [['StreamAggregatedResources', 'DiscoveryRequest'], ['DeltaAggregatedResources', 'DeltaDiscoveryRequest']] as const) {
    const call = rawCall(client, method);
    call.on('error', () => {});
    const statusEvent = new Promise<StatusObject>((resolve) => call.on('status', resolve));
    call.write(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01])); // a length far past the end
    const s = await statusEvent;
    ended.push(`${grpcStatus[s.code]} ${s.details.startsWith(`${message} is not valid protobuf: `)}`);
  }
  assert.deepEqual(ended, ['INVALID_ARGUMENT true', 'INVALID_ARGUMENT true']);
  assert.equal(xds.logs.filter((l) => l.msg === 'undecodable ADS request; ending the stream').length, 2);
});

// The soak's verdicts (test/bench/soak-traffic.ts) and memory slopes (soak-memory.ts), on made-up
// records: what counts as ok, as the test's own doing, and as unexpected.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LaneTimeline } from '../bench/soak-lanes.js';
import { memoryFits, type MemorySample } from '../bench/soak-memory.js';
import { judge, type RequestRecord } from '../bench/soak-traffic.js';

const STABLE = 'frontend/stable orders/stable payments/stable';
const A = 'frontend/stable orders/pool-a payments/stable';
const B = 'frontend/stable orders/pool-b payments/pool-b';

function timeline(): LaneTimeline {
  const t = new LaneTimeline();
  t.acked('soak-0', t.begin('soak-0', { orders: 'orders/pool-a' }, 1000), 1010);
  t.acked('soak-0', t.begin('soak-0', { orders: 'orders/pool-b', payments: 'payments/pool-b' }, 30_000), 30_020);
  t.failed('soak-1', t.begin('soak-1', { orders: 'orders/pool-a' }, 2000)); // refused: changes nothing
  return t;
}

const req = (lane: string | undefined, t0: number, status: number, path: string): RequestRecord => ({ lane, t0, t1: t0 + 15, status, path });

test('a request is ok, the test\'s own doing, or unexpected', () => {
  const t = timeline();
  const ingressDown = [{ what: 'ingress Envoy restart', start: 50_000, end: 50_600 }];
  const cases: Array<[RequestRecord, string]> = [
    [req(undefined, 500, 200, STABLE), 'ok'],
    [req('soak-0', 500, 200, STABLE), 'ok'],
    [req('soak-0', 2000, 200, A), 'ok'],
    [req('soak-0', 5000, 200, STABLE), 'expected: lane write propagating'],
    [req('soak-0', 12_000, 200, STABLE), 'unexpected'],
    [req('soak-0', 29_995, 200, B), 'expected: lane write propagating'],
    [req('soak-0', 31_000, 200, B), 'ok'],
    [req('soak-0', 31_000, 200, A), 'expected: lane write propagating'],
    // The ingress and frontend still on the old definition, orders' sidecar already on the new one.
    [req('soak-0', 30_010, 200, 'frontend/stable orders/pool-a payments/pool-b'), 'expected: lane write propagating'],
    [req('soak-0', 30_010, 200, 'frontend/pool-a orders/pool-a payments/stable'), 'unexpected'],
    [req('soak-1', 3000, 200, STABLE), 'ok'],
    [req('soak-1', 3000, 200, A), 'unexpected'],
    [req('steady', 3000, 200, A), 'ok'],
    [req('steady', 3000, 200, STABLE), 'unexpected'],
    [req(undefined, 50_100, 0, 'error: connect ECONNREFUSED 127.0.0.1:20001'), 'expected: ingress Envoy restarting'],
    [req(undefined, 40_000, 0, 'error: connect ECONNREFUSED 127.0.0.1:20001'), 'unexpected'],
    [req(undefined, 40_000, 503, 'no healthy upstream'), 'unexpected'],
  ];
  assert.deepEqual(cases.map(([r]) => judge(r, t, ingressDown, 10_000)), cases.map(([, v]) => v));
});

test('memory slopes (RSS, heap in use, live heap after GC with and without compiled code) per process and pooled, start-up left out', () => {
  const samples: MemorySample[] = [];
  // Process 1: 100 MiB + 1 MiB/min after a 200 MiB start-up spike, live heap (every 30 s) 15 + 0.2 MiB/min,
  // of which compiled code 5 + 0.1 MiB/min (live data heap 10 + 0.1 MiB/min);
  // process 2: 50 MiB + 1 MiB/min, heap, live heap and live data heap flat.
  const live = (s: number, heap: number, data: number) => (s % 30 === 0 ? { liveHeapMiB: heap, liveDataMiB: data } : {});
  for (let s = 0; s <= 300; s += 5) samples.push({ incarnation: 1, pid: 11, t: s * 1000, rssMiB: s < 30 ? 300 : 100 + s / 60, heapMiB: 20 + s / 120, ...live(s, 15 + s / 300, 10 + s / 600) });
  for (let s = 0; s <= 300; s += 5) samples.push({ incarnation: 2, pid: 12, t: 400_000 + s * 1000, rssMiB: s < 30 ? 300 : 50 + s / 60, heapMiB: 20, ...live(s, 15, 10) });
  const round = (v: number) => +v.toFixed(6);
  const fits = memoryFits(samples, 30_000).map((f) => ({
    ...f, rssSlope: round(f.rssSlope), heapSlope: round(f.heapSlope), liveSlope: round(f.liveSlope), liveDataSlope: round(f.liveDataSlope), minutes: +f.minutes.toFixed(3),
  }));
  assert.deepEqual(fits, [
    { incarnation: 1, samples: 55, minutes: 4.5, rssFirst: 100.5, rssLast: 105, rssSlope: 1, heapSlope: 0.5, liveFirst: 15.1, liveLast: 16, liveSlope: 0.2, liveDataFirst: 10.05, liveDataLast: 10.5, liveDataSlope: 0.1 },
    { incarnation: 2, samples: 55, minutes: 4.5, rssFirst: 50.5, rssLast: 55, rssSlope: 1, heapSlope: 0, liveFirst: 15, liveLast: 15, liveSlope: 0, liveDataFirst: 10, liveDataLast: 10, liveDataSlope: 0 },
    { incarnation: 'all', samples: 110, minutes: 11.167, rssFirst: 100.5, rssLast: 55, rssSlope: 1, heapSlope: 0.25, liveFirst: 15.1, liveLast: 15, liveSlope: 0.1, liveDataFirst: 10.05, liveDataLast: 10, liveDataSlope: 0.05 },
  ]);
});

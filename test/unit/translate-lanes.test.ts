// Where a request for service S in lane L goes, as the translator builds routes (resolution is
// model/resolve.ts; this pins the translator's use of it).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Lane, MeshState } from '../../control-plane/src/model/types.js';
import { laneRoutesFor } from '../../control-plane/src/translate/instances.js';
import { parseEndpoint } from '../../control-plane/src/translate/endpoint.js';

function lane(name: string, services: string[], fallback?: string): Lane {
  return { name, services: Object.fromEntries(services.map((s) => [s, [`127.0.0.1:${4000 + s.length}`]])), ...(fallback ? { fallback } : {}) };
}

const state: MeshState = {
  settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' },
  services: Object.fromEntries(['orders', 'payments', 'cart'].map((name) => [name, { name, protocol: 'http' as const, port: 8080, endpoints: ['127.0.0.1:3000'] }])),
  lanes: Object.fromEntries([
    lane('feature-x', ['orders']),
    lane('feature-y', ['payments'], 'feature-x'),
    lane('feature-z', [], 'feature-y'),
    lane('dangling', [], 'gone'),
    lane('loop-a', [], 'loop-b'),
    lane('loop-b', ['cart'], 'loop-a'),
    lane('to-stable', [], 'stable'),
    { name: 'drained', services: { orders: [] } },
  ].map((l) => [l.name, l])),
};

const table: Array<[service: string, lane: string, expected: string]> = [
  ['orders', 'feature-x', 'feature-x'],
  ['payments', 'feature-x', 'stable'],
  ['orders', 'feature-y', 'feature-x'],
  ['payments', 'feature-y', 'feature-y'],
  ['orders', 'feature-z', 'feature-x'],
  ['payments', 'feature-z', 'feature-y'],
  ['cart', 'feature-z', 'stable'],
  ['orders', 'no-such-lane', 'stable'],
  ['orders', 'dangling', 'stable'],
  ['orders', 'loop-a', 'stable'],
  ['cart', 'loop-a', 'loop-b'],
  ['orders', 'to-stable', 'stable'],
  ['orders', 'stable', 'stable'],
  ['orders', 'drained', 'stable'], // an entry with no endpoints is skipped over
];

for (const [service, laneName, expected] of table) {
  test(`${service} in lane ${laneName} goes to ${expected}`, () => {
    const route = laneRoutesFor(state, service).find(([l]) => l === laneName);
    assert.equal(route?.[1] ?? 'stable', expected);
  });
}

test('laneRoutesFor lists every lane reaching a lane instance, sorted by lane', () => {
  assert.deepEqual(laneRoutesFor(state, 'orders'), [
    ['feature-x', 'feature-x'],
    ['feature-y', 'feature-x'],
    ['feature-z', 'feature-x'],
  ]);
  assert.deepEqual(laneRoutesFor(state, 'cart'), [['loop-a', 'loop-b'], ['loop-b', 'loop-b']]);
});

test('parseEndpoint accepts host:port and [ipv6]:port, and names the model path otherwise', () => {
  assert.deepEqual(parseEndpoint('orders.internal:8080', 'x'), { host: 'orders.internal', port: 8080 });
  assert.deepEqual(parseEndpoint('[::1]:3000', 'x'), { host: '::1', port: 3000 });
  for (const bad of ['orders', 'orders:0', 'orders:70000', '::1:80', 'a b:80', ':80']) {
    assert.throws(() => parseEndpoint(bad, 'lanes/feature-x/services/orders'), {
      message: `lanes/feature-x/services/orders: endpoint ${JSON.stringify(bad)} is not host:port`,
    });
  }
});

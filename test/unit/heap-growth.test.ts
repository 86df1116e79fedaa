import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../control-plane/src/runtime/config.js';
import { heapGrowthFlag } from '../../control-plane/src/runtime/heap-growth.js';

const CHILD = fileURLToPath(new URL('./fixtures/heap-growth-child.ts', import.meta.url));

/** Where a real V8, given this growth, ran its first major GC: a multiple of the live heap after a full GC. */
function firstMajorGcAt(percent: number): number | null {
  const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', CHILD, String(percent)], { encoding: 'utf8', timeout: 60_000 });
  return (JSON.parse(out) as { firstMajorGcAt: number | null }).firstMajorGcAt;
}

test('heap growth: 100 % (the default) lets the old generation reach about twice the live heap before a major GC', () => {
  assert.equal(parseConfig([], {}).heapGrowingPercent, 100);
  const at = firstMajorGcAt(100);
  assert.ok(at !== null && at > 1.8, `first major GC at ${at}× the live heap`);
});

test('heap growth: 10 % starts major GCs far sooner (the setting, not the test, decides)', () => {
  const at = firstMajorGcAt(10);
  assert.ok(at !== null && at < 1.5, `first major GC at ${at}× the live heap`);
});

test('heap growth: the V8 flag it sets, and none for 0 (V8 chooses)', () => {
  assert.equal(heapGrowthFlag(100), '--heap-growing-percent=100');
  assert.equal(heapGrowthFlag(25), '--heap-growing-percent=25');
  assert.equal(heapGrowthFlag(0), undefined);
  assert.throws(() => heapGrowthFlag(-1), /whole number >= 0, got -1/);
  assert.throws(() => heapGrowthFlag(1.5), /whole number >= 0, got 1.5/);
});

test('heap growth setting: --heap-growing-percent / LANEWAY_HEAP_GROWING_PERCENT, 0 to 1000', () => {
  assert.equal(parseConfig(['--heap-growing-percent', '50'], { LANEWAY_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent, 50);
  assert.equal(parseConfig([], { LANEWAY_HEAP_GROWING_PERCENT: '0' }).heapGrowingPercent, 0);
  assert.throws(() => parseConfig(['--heap-growing-percent=2x'], {}), /--heap-growing-percent: "2x" is not a percentage \(0-1000\)/);
  assert.throws(() => parseConfig([], { LANEWAY_HEAP_GROWING_PERCENT: '5000' }), /LANEWAY_HEAP_GROWING_PERCENT: "5000" is not a percentage/);
});

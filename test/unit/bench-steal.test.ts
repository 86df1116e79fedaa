// The bench reports CPU time stolen by the hypervisor from /proc/stat; the share is computed from
// two readings of the jiffy counters.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cpuTimes, stealPercent } from '../bench/steal.js';

describe('bench: hypervisor steal', () => {
  test('share of all CPU time between two readings', () => {
    assert.equal(stealPercent({ steal: 10, total: 1000 }, { steal: 60, total: 2000 }), 5);
    assert.equal(stealPercent({ steal: 0, total: 0 }, { steal: 0, total: 400 }), 0);
  });

  test('no reading, or no time between them: not a number', () => {
    assert.ok(Number.isNaN(stealPercent(undefined, { steal: 1, total: 2 })));
    assert.ok(Number.isNaN(stealPercent({ steal: 1, total: 2 }, { steal: 1, total: 2 })));
  });

  test('this Linux machine: counters that only grow', () => {
    const a = cpuTimes();
    assert.ok(a, '/proc/stat has a cpu line');
    assert.ok(a.steal >= 0 && a.total > a.steal);
    const b = cpuTimes()!;
    assert.ok(b.total >= a.total && b.steal >= a.steal);
  });
});

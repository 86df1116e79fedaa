// Spaced snapshot rebuilds: at once after a quiet spell, coalesced into one run a hold-off after the
// last while changes keep coming, the spacing growing with a run's cost up to the maximum delay.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { PushDebounce, pushDebounceFromEnv } from '../../control-plane/src/runtime/push-debounce.js';

/** `runCostMs` is how long each run takes by the debounce's clock (the mocked timers do not move). */
function setup(t: TestContext, holdOffMs = 100, maxDelayMs = 1000, runCostMs = 0) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const runs: number[] = [];
  let elapsed = 0;
  let clock = 0;
  const debounce = new PushDebounce(
    { holdOffMs, maxDelayMs },
    () => {
      runs.push(elapsed);
      clock += runCostMs;
    },
    () => clock,
  );
  t.after(() => debounce.close());
  const advance = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      elapsed++;
      clock++;
      t.mock.timers.tick(1);
    }
  };
  return { debounce, runs, advance };
}

describe('PushDebounce', () => {
  test('a change after a quiet spell runs at once', (t) => {
    const { debounce, runs, advance } = setup(t);
    debounce.trigger();
    assert.deepEqual(runs, [0]);
    advance(500);
    debounce.trigger();
    assert.deepEqual(runs, [0, 500]);
  });

  test('changes right after a run are coalesced into one run a hold-off after it', (t) => {
    const { debounce, runs, advance } = setup(t);
    debounce.trigger();
    for (let i = 0; i < 4; i++) {
      advance(20);
      debounce.trigger();
    }
    assert.deepEqual(runs, [0]);
    advance(19);
    assert.deepEqual(runs, [0]);
    advance(1);
    assert.deepEqual(runs, [0, 100], '100 ms after the last run, holding all four changes');
    advance(1000);
    assert.deepEqual(runs, [0, 100], 'nothing pending: no extra run');
    debounce.trigger();
    assert.deepEqual(runs, [0, 100, 1100], 'the spacing is over: at once again');
  });

  test('100 changes in a second cost 11 runs, and no change waits longer than the hold-off', (t) => {
    const { debounce, runs, advance } = setup(t);
    for (let i = 0; i < 100; i++) {
      debounce.trigger();
      advance(10);
    }
    advance(2000);
    assert.deepEqual(runs, [0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  test('the spacing grows to ten times the cost of a run', (t) => {
    const { debounce, runs, advance } = setup(t, 100, 1000, 30);
    debounce.trigger();
    advance(1);
    debounce.trigger();
    advance(298);
    assert.deepEqual(runs, [0], 'a 30 ms run: the next waits 300 ms, not 100');
    advance(1);
    assert.deepEqual(runs, [0, 300]);
  });

  test('however long a run takes, the next comes within the maximum delay', (t) => {
    const { debounce, runs, advance } = setup(t, 100, 1000, 500);
    debounce.trigger();
    debounce.trigger();
    advance(999);
    assert.deepEqual(runs, [0]);
    advance(1);
    assert.deepEqual(runs, [0, 1000]);
  });

  test('hold-off 0 runs every change at once, even costly ones', (t) => {
    const { debounce, runs } = setup(t, 0, 0, 500);
    for (let i = 0; i < 3; i++) debounce.trigger();
    assert.equal(runs.length, 3);
  });

  test('flush runs a pending change now; close drops timers', (t) => {
    const { debounce, runs, advance } = setup(t);
    debounce.trigger();
    debounce.trigger();
    debounce.flush();
    assert.deepEqual(runs, [0, 0]);
    debounce.flush();
    assert.deepEqual(runs, [0, 0], 'nothing pending: flush does not run');
    debounce.trigger();
    debounce.close();
    advance(2000);
    assert.deepEqual(runs, [0, 0]);
  });

  test('a failing run still starts the spacing', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let calls = 0;
    const debounce = new PushDebounce({ holdOffMs: 100, maxDelayMs: 1000 }, () => {
      calls++;
      throw new Error('boom');
    });
    t.after(() => debounce.close());
    assert.throws(() => debounce.trigger(), /boom/);
    debounce.trigger();
    assert.equal(calls, 1);
    assert.throws(() => t.mock.timers.tick(100), /boom/);
    assert.equal(calls, 2);
  });
});

describe('pushDebounceFromEnv', () => {
  test('defaults 100 ms hold-off, 1 s maximum delay; both settable', () => {
    assert.deepEqual(pushDebounceFromEnv({}), { holdOffMs: 100, maxDelayMs: 1000 });
    assert.deepEqual(pushDebounceFromEnv({ LANEWAY_PUSH_HOLD_OFF_MS: '0', LANEWAY_PUSH_MAX_DELAY_MS: '0' }), { holdOffMs: 0, maxDelayMs: 0 });
    assert.deepEqual(pushDebounceFromEnv({ LANEWAY_PUSH_HOLD_OFF_MS: '50', LANEWAY_PUSH_MAX_DELAY_MS: '500' }), { holdOffMs: 50, maxDelayMs: 500 });
  });

  test('bad values are refused naming the variable', () => {
    assert.throws(() => pushDebounceFromEnv({ LANEWAY_PUSH_HOLD_OFF_MS: '1s' }), /^PushDebounceSettingsError: LANEWAY_PUSH_HOLD_OFF_MS: "1s" is not a number of milliseconds \(0-60000\)$/);
    assert.throws(() => pushDebounceFromEnv({ LANEWAY_PUSH_HOLD_OFF_MS: '500', LANEWAY_PUSH_MAX_DELAY_MS: '100' }), /LANEWAY_PUSH_MAX_DELAY_MS \(100\) must not be below LANEWAY_PUSH_HOLD_OFF_MS \(500\)/);
  });
});

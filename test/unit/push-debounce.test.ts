// Debounced snapshot rebuilds: immediate after a quiet spell, coalesced during a burst, bounded by
// the maximum delay.
import assert from 'node:assert/strict';
import { describe, test, type TestContext } from 'node:test';
import { PushDebounce, pushDebounceFromEnv } from '../../control-plane/src/runtime/push-debounce.js';

function setup(t: TestContext, holdOffMs = 100, maxDelayMs = 1000) {
  t.mock.timers.enable({ apis: ['setTimeout'] });
  const runs: number[] = [];
  let now = 0;
  const debounce = new PushDebounce({ holdOffMs, maxDelayMs }, () => runs.push(now));
  t.after(() => debounce.close());
  const advance = (ms: number) => {
    for (let i = 0; i < ms; i++) {
      now++;
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

  test('changes right after a run wait for the hold-off to pass quietly, then run once', (t) => {
    const { debounce, runs, advance } = setup(t);
    debounce.trigger();
    for (let i = 0; i < 5; i++) {
      advance(20);
      debounce.trigger();
    }
    assert.deepEqual(runs, [0]);
    advance(99);
    assert.deepEqual(runs, [0]);
    advance(1);
    assert.deepEqual(runs, [0, 200], '100 ms after the last change');
    advance(1000);
    assert.deepEqual(runs, [0, 200], 'nothing pending: no extra run');
  });

  test('100 changes in a second cost a few runs, none later than the maximum delay', (t) => {
    const { debounce, runs, advance } = setup(t);
    for (let i = 0; i < 100; i++) {
      debounce.trigger();
      advance(10);
    }
    advance(2000);
    assert.deepEqual(runs, [0, 1010], 'at once, then once the maximum delay ran out, holding every later change');
  });

  test('hold-off 0 runs every change at once', (t) => {
    const { debounce, runs } = setup(t, 0, 0);
    for (let i = 0; i < 3; i++) debounce.trigger();
    assert.equal(runs.length, 3);
    assert.equal(debounce.runs, 3);
  });

  test('flush runs a pending change now; close drops timers', (t) => {
    const { debounce, runs, advance } = setup(t);
    debounce.trigger();
    debounce.trigger();
    debounce.flush();
    assert.deepEqual(runs, [0, 0]);
    debounce.trigger();
    debounce.close();
    advance(2000);
    assert.deepEqual(runs, [0, 0]);
  });

  test('a failing run still starts the hold-off', (t) => {
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

// The publisher translates each sidecar from its slice of the model and rebuilds only the groups a
// change touches. Both must be invisible: same bytes as translating the whole model, and every
// group whose bytes change is rebuilt.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { affectedGroups, groupInputs } from '../../control-plane/src/runtime/group-inputs.js';
import { benchState, serviceName } from '../bench/topology.js';
import { loadCases } from '../golden/cases.js';
import { bytes, chainedState, EDITS, INGRESS, sidecar, targetsOf } from './fixtures/edited-models.js';

describe('groupInputs', () => {
  test('every golden case: a sidecar translated from its slice gives the same bytes', () => {
    for (const c of loadCases()) {
      for (const proxy of c.proxies) {
        assert.deepEqual(bytes(groupInputs(c.state, proxy.target), proxy.target), bytes(c.state, proxy.target), `${c.name} ${proxy.name}`);
      }
    }
  });

  test('chains, empty entries, unhealthy fallback: same bytes for every proxy', () => {
    const state = chainedState();
    for (const target of targetsOf(state).values()) assert.deepEqual(bytes(groupInputs(state, target), target), bytes(state, target));
  });

  test('the slice holds only lanes whose chain reaches a visible service', () => {
    const state = benchState({ services: 500, lanes: 1000 });
    const slice = groupInputs(state, sidecar(serviceName(0)));
    assert.ok(Object.keys(slice.lanes).length < 100, `${Object.keys(slice.lanes).length} lanes`);
    assert.equal(groupInputs(state, INGRESS), state);
  });
});

describe('affectedGroups', () => {

  for (const [what, edit] of EDITS) {
    test(`${what}: every group whose bytes change is affected, and not every group is`, () => {
      const before = chainedState();
      const after = structuredClone(before);
      edit(after);
      const targets = targetsOf(before);
      const affected = affectedGroups(before, after, targets);
      assert.notEqual(affected, 'all');
      const changed = [...targets].filter(([, t]) => !isSame(bytes(before, t), bytes(after, t))).map(([g]) => g);
      assert.ok(changed.length > 0, 'the edit changes some proxy');
      for (const group of changed) assert.ok((affected as Set<string>).has(group), `${group} changed but was not rebuilt`);
      assert.ok((affected as Set<string>).size < targets.size, `${(affected as Set<string>).size} of ${targets.size} rebuilt`);
    });
  }

  test('nothing changed: nothing affected; settings changed or first publish: all', () => {
    const state = chainedState();
    const targets = targetsOf(state);
    assert.deepEqual(affectedGroups(state, structuredClone(state), targets), new Set());
    assert.equal(affectedGroups(undefined, state, targets), 'all');
    assert.equal(affectedGroups(state, { ...state, settings: { ...state.settings, laneHeader: 'x-tag' } }, targets), 'all');
  });
});

function isSame(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

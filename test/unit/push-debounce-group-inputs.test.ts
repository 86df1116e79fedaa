// The publisher translates each sidecar from its slice of the model and rebuilds only the groups a
// change touches. Both must be invisible: same bytes as translating the whole model, and every
// group whose bytes change is rebuilt.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { affectedGroups, groupInputs } from '../../control-plane/src/runtime/group-inputs.js';
import { groupKey } from '../../control-plane/src/runtime/node-target.js';
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

  // As the store hands them over: frozen, and a lane write keeps the services record itself.
  for (const [what, edit] of EDITS.filter(([, e]) => !editsServices(e))) {
    test(`${what}, frozen models sharing their services: every group whose bytes change is affected, and not every group is`, () => {
      const before = deepFreeze(chainedState());
      const edited = structuredClone(before);
      edit(edited);
      const after = deepFreeze({ ...edited, services: before.services });
      const targets = targetsOf(before);
      const affected = affectedGroups(before, after, targets) as Set<string>;
      const changed = [...targets].filter(([, t]) => !isSame(bytes(before, t), bytes(after, t))).map(([g]) => g);
      assert.ok(changed.length > 0, 'the edit changes some proxy');
      for (const group of changed) assert.ok(affected.has(group), `${group} changed but was not rebuilt`);
      assert.ok(affected.size < targets.size, `${affected.size} of ${targets.size} rebuilt`);
    });
  }

  test('a group registered after an earlier publish is found by the next lane write', () => {
    const before = deepFreeze(chainedState());
    const targets = targetsOf(before);
    const late = sidecar(serviceName(2));
    const lateGroup = groupKey(late);
    targets.delete(lateGroup);
    const addLane = (state: MeshState, name: string) =>
      deepFreeze({ ...state, lanes: { ...state.lanes, [name]: { name, services: { [serviceName(3)]: ['10.1.1.1:8080'] } } } });
    const first = addLane(before, 'first');
    assert.equal((affectedGroups(before, first, targets) as Set<string>).has(lateGroup), false);
    targets.set(lateGroup, late);
    // svc-0002 calls the next 4 services, svc-0003 among them.
    assert.equal((affectedGroups(first, addLane(first, 'second'), targets) as Set<string>).has(lateGroup), true);
  });

  test('nothing changed: nothing affected; settings changed or first publish: all', () => {
    const state = chainedState();
    const targets = targetsOf(state);
    assert.deepEqual(affectedGroups(state, structuredClone(state), targets), new Set());
    assert.equal(affectedGroups(undefined, state, targets), 'all');
    assert.equal(affectedGroups(state, { ...state, settings: { ...state.settings, laneHeader: 'x-tag' } }, targets), 'all');
  });
});

function editsServices(edit: (s: MeshState) => void): boolean {
  const state = chainedState();
  const services = structuredClone(state.services);
  edit(state);
  return !isDeepStrictEqual(state.services, services);
}

function isSame(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// The lane index (service -> lanes whose chain has an entry for it): written-out expectations, and
// the index carried forward through writes equal to one built afresh.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import { recordChange, type Touched } from '../../control-plane/src/model/state-changes.js';
import type { Lane, MeshState } from '../../control-plane/src/model/types.js';
import { lanesByService, type LaneIndex } from '../../control-plane/src/model/lane-index.js';

const settings = { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' };
const services = Object.fromEntries(['a', 'b', 'c', 'd'].map((name) => [name, { name, protocol: 'http' as const, port: 80, endpoints: [] }]));
const lane = (name: string, overrides: string[], fallback?: string): Lane => ({ name, ...(fallback && { fallback }), services: Object.fromEntries(overrides.map((s) => [s, ['10.0.0.1:80']])) });

const plain = (index: LaneIndex) => Object.fromEntries([...index].sort(([x], [y]) => (x < y ? -1 : 1)));
/** The same state unfrozen: indexed from scratch, never carried forward or remembered. */
const fresh = (state: MeshState) => plain(lanesByService({ ...state, lanes: { ...state.lanes } }));

describe('lane index', () => {
  test('chains: a lane counts for the services of every lane it falls back through', () => {
    const state = deepFreeze({
      settings, services,
      lanes: { z: lane('z', ['a']), y: lane('y', ['b'], 'z'), x: lane('x', [], 'y'), w: lane('w', ['c'], 'stable'), v: lane('v', ['d'], 'gone') },
    });
    assert.deepEqual(plain(lanesByService(state)), { a: ['x', 'y', 'z'], b: ['x', 'y'], c: ['w'], d: ['v'] });
  });

  test('a lane falling back to a missing lane gains its services when that lane is created', () => {
    const empty = deepFreeze({ settings, services, lanes: {} });
    assert.deepEqual(plain(lanesByService(empty)), {});
    const before = deepFreeze({ settings, services, lanes: { x: lane('x', ['b'], 'l') } });
    recordChange(empty, before, { lanes: ['x'] });
    assert.deepEqual(plain(lanesByService(before)), { b: ['x'] });
    const after = deepFreeze({ settings, services, lanes: { ...before.lanes, l: lane('l', ['a']) } });
    recordChange(before, after, { lanes: ['l'] });
    assert.deepEqual(plain(lanesByService(after)), { a: ['l', 'x'], b: ['x'] });
  });

  test('carried forward through 2,000 random writes, equal to the index built afresh', () => {
    let seed = 7;
    // The high bits: an LCG's low bits repeat with a short period.
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), Math.floor((seed / 2 ** 31) * n));
    const names = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7'];
    let state: MeshState = deepFreeze({ settings, services, lanes: {} });
    lanesByService(state);
    for (let i = 0; i < 2000; i++) {
      const lanes = { ...state.lanes };
      const touched: Touched = {};
      const kind = random(10);
      if (kind < 6) {
        const name = names[random(names.length)]!;
        const fallback = [undefined, 'stable', ...names][random(names.length + 2)];
        lanes[name] = lane(name, ['a', 'b', 'c', 'd'].filter(() => random(3) === 0), fallback);
        touched.lanes = [name];
      } else if (kind < 9) {
        const name = names[random(names.length)]!;
        delete lanes[name];
        touched.lanes = [name];
      } else {
        touched.services = ['a'];
      }
      const next: MeshState = deepFreeze({ settings, services: touched.services ? { ...services } : state.services, lanes });
      recordChange(state, next, touched);
      state = next;
      // Sometimes several writes pass between two reads, as with a debounced publish.
      if (random(3) > 0) assert.deepEqual(plain(lanesByService(state)), fresh(state), `after write ${i}: ${JSON.stringify(touched)}`);
    }
  });
});

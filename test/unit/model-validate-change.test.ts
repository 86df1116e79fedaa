// The store's quick check (isValidAfter) must never call an invalid state valid, and should call
// every valid one valid (or the store would fall back to the whole validation for nothing).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lane, MeshState, Service, Settings } from '../../control-plane/src/model/types.js';
import { validateMeshState } from '../../control-plane/src/model/validate.js';
import type { Touched } from '../../control-plane/src/model/state-changes.js';
import { isValidAfter } from '../../control-plane/src/model/validate-change.js';

const settings: Settings = { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'frontend' };
const service = (name: string, dependsOn?: string[]): Service => ({ name, protocol: 'http', port: 80, endpoints: [], ...(dependsOn && { dependsOn }) });
const lane = (name: string, services: string[], fallback?: string): Lane => ({ name, ...(fallback && { fallback }), services: Object.fromEntries(services.map((s) => [s, ['10.0.0.1:80']])) });

const base: MeshState = {
  settings,
  services: { frontend: service('frontend', ['orders']), orders: service('orders'), payments: service('payments'), stock: service('stock') },
  lanes: { a: lane('a', ['orders']), b: lane('b', ['payments'], 'a'), c: lane('c', [], 'b') },
};

type Edit = (s: MeshState) => Touched;
const putLane = (l: Lane): Edit => (s) => ((s.lanes[l.name] = l), { lanes: [l.name] });
const putService = (v: Service): Edit => (s) => ((s.services[v.name] = v), { services: [v.name] });
const dropLane = (name: string): Edit => (s) => (delete s.lanes[name], { lanes: [name] });
const dropService = (name: string): Edit => (s) => (delete s.services[name], { services: [name] });
const putSettings = (v: Settings): Edit => (s) => ((s.settings = v), { settings: true });

function apply(state: MeshState, edit: Edit): { next: MeshState; touched: Touched } {
  const next = { settings: state.settings, services: { ...state.services }, lanes: { ...state.lanes } };
  return { next, touched: edit(next) };
}

describe('isValidAfter', () => {
  test('the starting state is valid', () => assert.deepEqual(validateMeshState(base), []));

  // [edit, whether the state after it is valid]
  const table: Array<[string, Edit, boolean]> = [
    ['a new lane over a known service', putLane(lane('d', ['orders'])), true],
    ['a new lane falling back to a lane', putLane(lane('d', ['orders'], 'c')), true],
    ['a lane naming a missing service', putLane(lane('d', ['ghost'])), false],
    ['a lane falling back to a missing lane', putLane(lane('d', [], 'ghost')), false],
    ['a lane whose key is not its name', (s) => ((s.lanes.d = lane('e', [])), { lanes: ['d'] }), false],
    ['a lane with a bad endpoint', putLane({ name: 'd', services: { orders: ['nope'] } }), false],
    ['a fallback cycle through the changed lane', putLane(lane('a', ['orders'], 'c')), false],
    ['a self-fallback', putLane(lane('a', ['orders'], 'a')), false],
    ['deleting a lane nobody falls back to', dropLane('c'), true],
    ['deleting a lane another falls back to', dropLane('a'), false],
    ['a new service', putService(service('shipping')), true],
    ['a service calling a missing service', putService(service('shipping', ['ghost'])), false],
    ['a service whose key is not its name', (s) => ((s.services.shipping = service('other')), { services: ['shipping'] }), false],
    ['deleting an unused service', dropService('stock'), true],
    ['deleting a service a lane overrides', dropService('payments'), false],
    ['deleting a service another calls', dropService('orders'), false],
    ['deleting the entry service', dropService('frontend'), false],
    ['settings naming a missing entry service', putSettings({ ...settings, entryService: 'ghost' }), false],
    ['settings with a bad lane header', putSettings({ ...settings, laneHeader: 'Bad Header' }), false],
    ['settings without an entry service', putSettings({ laneHeader: 'x-tag', servedByHeader: 'x-served' }), true],
  ];
  for (const [title, edit, valid] of table) {
    test(title, () => {
      const { next, touched } = apply(base, edit);
      assert.equal(validateMeshState(next).length === 0, valid, 'the table agrees with the whole validation');
      assert.equal(isValidAfter(next, touched), valid);
    });
  }

  test('agrees with the whole validation over 3,000 random edits', () => {
    let seed = 12345;
    // The high bits: an LCG's low bits repeat with a short period.
    const random = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), Math.floor((seed / 2 ** 31) * n));
    const pick = <T>(items: readonly T[]) => items[random(items.length)]!;
    const serviceNames = ['frontend', 'orders', 'payments', 'stock', 'shipping', 'ghost'];
    const laneNames = ['a', 'b', 'c', 'd', 'e', 'ghost-lane'];
    const edits: Array<() => Edit> = [
      () => putLane(lane(pick(laneNames.slice(0, 5)), serviceNames.filter(() => random(4) === 0), pick([undefined, 'stable', ...laneNames]))),
      () => dropLane(pick(laneNames)),
      () => putService(service(pick(serviceNames.slice(0, 5)), random(2) ? serviceNames.filter(() => random(5) === 0) : undefined)),
      () => dropService(pick(serviceNames)),
      () => putSettings({ ...settings, entryService: pick(serviceNames) }),
    ];
    let state = base;
    const seen = { valid: 0, invalid: 0 };
    for (let i = 0; i < 3000; i++) {
      const { next, touched } = apply(state, pick(edits)());
      const valid = validateMeshState(next).length === 0;
      assert.equal(isValidAfter(next, touched), valid, `edit ${i}: ${JSON.stringify(touched)} on ${JSON.stringify(state)}`);
      if (valid) state = next;
      seen[valid ? 'valid' : 'invalid']++;
    }
    // Both answers were exercised many times.
    assert.ok(seen.valid > 300 && seen.invalid > 300, JSON.stringify(seen));
  });
});

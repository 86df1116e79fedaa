// A composed snapshot answers lookups like one map of all its parts, whatever part holds a name.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ComposedResources } from '../../control-plane/src/xds/composed-resources.js';
import type { CachedResource } from '../../control-plane/src/xds/snapshot.js';

const resource = (name: string): CachedResource => ({ name, version: `v-${name}`, anyBytes: new Uint8Array() });
const mapOf = (...names: string[]) => new Map(names.map((n) => [n, resource(n)]));

describe('ComposedResources', () => {
  const own = mapOf('outbound', 'orders~own-odd', 'x~y');
  const orders = { namespace: 'orders', byName: mapOf('orders~feature-x', 'orders~stable') };
  const pay = { namespace: 'pay', byName: mapOf('pay~stable') };
  const composed = new ComposedResources(own, [orders, pay]);

  test('each name found where it lives, or not at all', () => {
    // [name, the resource's name it must return, or undefined]
    const table: Array<[string, string | undefined]> = [
      ['orders~stable', 'orders~stable'],
      ['orders~feature-x', 'orders~feature-x'],
      ['pay~stable', 'pay~stable'],
      ['outbound', 'outbound'],
      ['x~y', 'x~y'], // own, with a namespace no part has
      ['orders~own-odd', 'orders~own-odd'], // own, with a part's namespace
      ['orders~missing', undefined],
      ['pay', undefined],
      ['~stable', undefined],
      ['', undefined],
    ];
    for (const [name, expected] of table) {
      assert.equal(composed.get(name)?.name, expected, name);
      assert.equal(composed.has(name), expected !== undefined, name);
    }
  });

  test('size, name order and parts', () => {
    assert.equal(composed.size, 6);
    assert.deepEqual([...composed.keys()], ['orders~feature-x', 'orders~own-odd', 'orders~stable', 'outbound', 'pay~stable', 'x~y']);
    assert.equal(composed.parts.length, 3);
    assert.equal(composed.parts[1], orders.byName);
  });

  test('changes from an earlier composition: a table', () => {
    const v2 = (name: string): CachedResource => ({ name, version: `v2-${name}`, anyBytes: new Uint8Array() });
    const orders2 = { namespace: 'orders', byName: new Map([['orders~stable', resource('orders~stable')], ['orders~feature-y', resource('orders~feature-y')]]) };
    const later = new ComposedResources(new Map([['outbound', v2('outbound')], ['x~y', resource('x~y')], ['pay~stable', resource('pay~stable')]]), [orders2]);
    const { updated, removed } = later.changesFrom(composed);
    // outbound: new version; orders~feature-y: new; pay~stable moved from its part to own, same version.
    assert.deepEqual(updated.map((r) => `${r.name} ${r.version}`), ['orders~feature-y v-orders~feature-y', 'outbound v2-outbound']);
    assert.deepEqual(removed, ['orders~feature-x', 'orders~own-odd']);
    assert.deepEqual(composed.changesFrom(composed), { updated: [], removed: [] });
  });

  test('changes from an earlier composition, and the name order, match a name-by-name reference over random compositions sharing parts', () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    // "a-b~" sorts before "a~" though "a" sorts before "a-b": parts follow one another by prefix, not namespace.
    const namespaces = ['a', 'a-b', 'ab', 'b'];
    const inNameOrder = (map: Map<string, CachedResource>) => new Map([...map].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)));
    const part = (namespace: string) => {
      const byName = new Map<string, CachedResource>();
      for (let i = random(4); i > 0; i--) {
        const name = `${namespace}~${random(5)}`;
        byName.set(name, { name, version: `v${random(2)}`, anyBytes: new Uint8Array() });
      }
      return { namespace, byName: inNameOrder(byName) };
    };
    const pool = namespaces.flatMap((ns) => [part(ns), part(ns)]);
    const compose = () => {
      const shared = namespaces.map((ns) => pool.filter((p) => p.namespace === ns)[random(3)]).filter((p) => p !== undefined);
      const own = new Map<string, CachedResource>();
      for (let i = random(4); i > 0; i--) {
        const name = random(2) === 0 ? `own-${random(4)}` : `${namespaces[random(4)]}~own-${random(3)}`;
        own.set(name, { name, version: `v${random(2)}`, anyBytes: new Uint8Array() });
      }
      return new ComposedResources(inNameOrder(own), shared);
    };
    let nonEmpty = 0;
    for (let round = 0; round < 2000; round++) {
      const before = compose();
      const after = random(4) === 0 ? before : compose();
      const was = new Map([...before.values()].map((r) => [r.name, r.version]));
      const now = new Map([...after.values()].map((r) => [r.name, r.version]));
      const expected = {
        updated: [...now].filter(([name, version]) => was.get(name) !== version).map(([name, version]) => `${name} ${version}`).sort(),
        removed: [...was.keys()].filter((name) => !now.has(name)).sort(),
      };
      const names = [...now.keys()].sort();
      assert.deepEqual([...after.keys()], names, `round ${round}: name order`);
      const got = after.changesFrom(before);
      assert.deepEqual({ updated: got.updated.map((r) => `${r.name} ${r.version}`), removed: got.removed }, expected, `round ${round}`);
      if (expected.updated.length + expected.removed.length > 0) nonEmpty++;
    }
    assert.ok(nonEmpty > 500, `compositions that differ: ${nonEmpty}`);
  });
});

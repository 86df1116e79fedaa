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
});

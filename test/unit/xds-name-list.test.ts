// SotW streams share one NameList per distinct subscription, and each list resolves its names
// against a type snapshot once for every stream holding it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SnapshotCache, TypeUrl } from '../../control-plane/src/xds/cache.js';
import { NameLists } from '../../control-plane/src/xds/name-list.js';
import { endpoints } from '../support/xds-fixtures.js';

function edsResources(cache: SnapshotCache, names: string[]) {
  cache.setSnapshot('g', names.map((name, i) => endpoints(name, 8080 + i)));
  return cache.getSnapshot('g')!.types.get(TypeUrl.ClusterLoadAssignment)!.resources;
}

describe('NameList', () => {
  test('the same names in any order, repeated or not, are one shared list; other names another', () => {
    const lists = new NameLists();
    const a = lists.of(['orders', 'payments']);
    assert.equal(lists.of(['payments', 'orders', 'payments']), a);
    assert.deepEqual(a.sorted, ['orders', 'payments']);
    assert.deepEqual([a.size, a.has('orders'), a.has('shipping')], [2, true, false]);
    const b = lists.of(['orders']);
    assert.notEqual(b, a);
    assert.equal(lists.size, 2);
  });

  test('extending a list: the list of the names together, worked out once for the same additions', () => {
    const lists = new NameLists();
    const base = lists.of(['orders']);
    const extended = lists.extend(base, ['payments']);
    assert.equal(extended, lists.of(['orders', 'payments']));
    assert.equal(lists.extend(base, ['payments']), extended);
    assert.deepEqual(lists.extend(base, ['shipping']).sorted, ['orders', 'shipping'], 'other additions, another list');
    assert.deepEqual(base.sorted, ['orders'], 'the list extended is left as it was');
  });

  test('sameAs: exactly these names as a set, in any order, repeats allowed; a table', () => {
    const list = new NameLists().of(['a', 'b', 'c']);
    const table: Array<[string[], boolean]> = [
      [['a', 'b', 'c'], true],
      [['c', 'a', 'b'], true],
      [['a', 'b', 'c', 'a'], true],
      [['a', 'a', 'b', 'c', 'c'], true],
      [['a', 'b'], false],
      [[], false],
      [['a', 'a', 'b'], false],
      [['a', 'b', 'b', 'a'], false],
      [['a', 'b', 'd'], false],
      [['a', 'b', 'c', 'd'], false],
      [['a', 'b', 'c', 'c', 'd'], false],
    ];
    // Twice over: the stamps of one call must not leak into the next.
    for (let round = 0; round < 2; round++) {
      for (const [names, same] of table) assert.equal(list.sameAs(names), same, `${JSON.stringify(names)} (round ${round + 1})`);
    }
    assert.equal(new NameLists().of([]).sameAs([]), true);
    assert.equal(new NameLists().of([]).sameAs(['a']), false);
  });

  test('names that a separator could confuse stay apart', () => {
    const lists = new NameLists();
    assert.notEqual(lists.of(['a,b']), lists.of(['a', 'b']));
    assert.notEqual(lists.of(['a\nb']), lists.of(['a', 'b']));
  });

  test('resolves to the snapshot resources it names, in name order, skipping names it does not have', () => {
    const cache = new SnapshotCache();
    const resources = edsResources(cache, ['shipping', 'orders', 'payments']);
    const list = new NameLists().of(['payments', 'missing', 'orders']);
    assert.deepEqual(list.resolve(resources).map((r) => r.name), ['orders', 'payments']);
  });

  test('one resolution per snapshot: the same array while the snapshot is the same, a new one after it changes', () => {
    const cache = new SnapshotCache();
    const first = edsResources(cache, ['orders', 'payments']);
    const list = new NameLists().of(['orders', 'payments']);
    const resolved = list.resolve(first);
    assert.equal(list.resolve(first), resolved);
    const second = edsResources(cache, ['orders']);
    assert.notEqual(second, first);
    assert.deepEqual(list.resolve(second).map((r) => r.name), ['orders']);
    assert.deepEqual(resolved.map((r) => r.name), ['orders', 'payments'], 'what an earlier push sent is left as it was');
  });
});

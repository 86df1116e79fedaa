// SparseSet stands in for Set<string> in the streams' per-type state: it must behave as one.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SparseSet } from '../../control-plane/src/xds/sparse-set.js';

describe('SparseSet', () => {
  test('empty: no size, no members, iterates nothing', () => {
    const set = new SparseSet();
    assert.equal(set.size, 0);
    assert.equal(set.has('a'), false);
    assert.deepEqual([...set], []);
    assert.equal(set.delete('a'), false);
  });

  test('add, delete and clear as a Set does, in insertion order', () => {
    const set = new SparseSet();
    set.add('b').add('a').add('b');
    assert.deepEqual([set.size, set.has('a'), set.has('c'), [...set]], [2, true, false, ['b', 'a']]);
    assert.equal(set.delete('b'), true);
    assert.equal(set.delete('b'), false);
    assert.deepEqual([...set], ['a']);
    assert.equal(set.delete('a'), true);
    assert.deepEqual([set.size, [...set]], [0, []]);
    set.add('c');
    assert.deepEqual([...set], ['c'], 'usable again after it emptied');
    set.clear();
    assert.deepEqual([set.size, set.has('c'), [...set]], [0, false, []]);
  });

  test('emptied sets share nothing: one set\'s members never show in another', () => {
    const a = new SparseSet();
    const b = new SparseSet();
    a.add('x');
    a.delete('x');
    b.add('y');
    assert.deepEqual([[...a], [...b]], [[], ['y']]);
  });
});

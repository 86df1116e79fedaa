// The store remembers what each write changed; readers get the union over a line of writes, or
// "not known" (and then compare the states themselves).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import { changesBetween, recordChange } from '../../control-plane/src/model/state-changes.js';
import { emptyMeshState, type MeshState } from '../../control-plane/src/model/types.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const root = mkdtempSync(join(tmpdir(), 'laneway-changes-'));
after(() => rmSync(root, { recursive: true, force: true }));

const frozenState = (): MeshState => deepFreeze(emptyMeshState());

describe('state changes', () => {
  test('a line of writes: the union of what each changed', () => {
    const [a, b, c, d] = [frozenState(), frozenState(), frozenState(), frozenState()];
    recordChange(a, b, { lanes: ['x'] });
    recordChange(b, c, { services: ['orders'], lanes: ['x', 'y'] });
    recordChange(c, d, { settings: true });
    assert.deepEqual(changesBetween(a, d), { settings: true, services: ['orders'], lanes: ['x', 'y'] });
    assert.deepEqual(changesBetween(b, c), { settings: false, services: ['orders'], lanes: ['x', 'y'] });
    assert.deepEqual(changesBetween(c, c), { settings: false, services: [], lanes: [] });
  });

  test('not known: states in no line, the wrong direction, or unfrozen ones', () => {
    const [a, b, other] = [frozenState(), frozenState(), frozenState()];
    recordChange(a, b, { lanes: ['x'] });
    assert.equal(changesBetween(other, b), undefined);
    assert.equal(changesBetween(b, a), undefined);
    const [loose, looser] = [emptyMeshState(), emptyMeshState()];
    recordChange(loose, looser, { lanes: ['x'] });
    assert.equal(changesBetween(loose, looser), undefined);
  });

  test('the store records each write, deletes and settings included', async () => {
    const store = await FileStore.open(join(root, 'store'));
    const start = store.state();
    await store.putService({ name: 'orders', protocol: 'http', port: 80, endpoints: [] });
    await store.putLane({ name: 'feature-x', services: { orders: ['10.0.0.1:80'] } });
    const middle = store.state();
    await store.putLane({ name: 'feature-y', services: {} });
    await store.deleteLane('feature-x');
    await store.putSettings({ laneHeader: 'x-tag', servedByHeader: 'x-served-by' });
    await store.putLane({ name: 'feature-y', services: {} }); // unchanged: no write, nothing recorded
    assert.deepEqual(changesBetween(start, middle), { settings: false, services: ['orders'], lanes: ['feature-x'] });
    assert.deepEqual(changesBetween(middle, store.state()), { settings: true, services: [], lanes: ['feature-x', 'feature-y'] });
  });
});

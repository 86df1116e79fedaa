// Bundles: resources many groups hold whole (one service's clusters). A group's snapshot holds
// them by reference; they must look exactly like resources of the group's own: the same lookups,
// name order and content-hash versions, each bundle cached once, bad bundles refused.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SnapshotCache, SnapshotError, type ResourceBundle } from '../../control-plane/src/xds/cache.js';
import { cachedResources, cluster, distinctCachedResources } from '../support/xds-fixtures.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';

const bundle = (namespace: string, names: string[], typeUrl: string = TypeUrl.Cluster): ResourceBundle => ({
  typeUrl, namespace, resources: names.map((name) => ({ ...cluster(name), typeUrl })),
});

// Computed by hand (python hashlib): a resource's version is sha256 of Cluster { name }; a bundle's
// is sha256 of "name\nlength\n" per resource, then each resource's bytes, all in name order; a type
// holding bundles hashes its own resources' "name\nversion\n" lines, then "namespace~*\nbundleVersion\n"
// per bundle in namespace order (16 hex digits).
const V = {
  extra: '510cf5a0a083b3df',
  ordersLaneA: '0cf5f5a6fe2f2543',
  ordersStable: '4862fa3aa4a5b921',
  paymentsStable: 'b3150a5e1101fb8f',
  cds: '22f024a85397c69b',
  cdsWithLaneB: 'ab060980851aa3cb',
};

const orders = bundle('orders', ['orders~stable', 'orders~lane-a']);
const payments = bundle('payments', ['payments~stable']);

describe('snapshot bundles', () => {
  test('a group sees its own resources and its bundles as one name-ordered map, versioned by content', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', [cluster('extra')], [payments, orders]);
    const clusters = cache.getSnapshot('g')!.types.get(TypeUrl.Cluster)!;
    assert.equal(clusters.version, V.cds);
    assert.deepEqual([...clusters.resources.keys()], ['extra', 'orders~lane-a', 'orders~stable', 'payments~stable']);
    assert.deepEqual([...clusters.resources.values()].map((r) => r.version), [V.extra, V.ordersLaneA, V.ordersStable, V.paymentsStable]);
    assert.equal(clusters.resources.size, 4);
    assert.equal(clusters.resources.get('payments~stable')!.version, V.paymentsStable);
    assert.equal(clusters.resources.has('orders~lane-b'), false);
    assert.deepEqual([...clusters.resources].map(([name]) => name), [...clusters.resources.keys()]);
  });

  test('one bundle object in 50 groups is hashed and wrapped once', () => {
    const cache = new SnapshotCache();
    for (let i = 0; i < 50; i++) cache.setSnapshot(`g${i}`, [cluster(`own-${i}`)], [orders, payments]);
    assert.equal(distinctCachedResources(cache, cache.groups()), 50 + 3);
    const first = cache.getSnapshot('g0')!.types.get(TypeUrl.Cluster)!.resources.get('orders~stable');
    assert.equal(cache.getSnapshot('g49')!.types.get(TypeUrl.Cluster)!.resources.get('orders~stable'), first);
  });

  test('a changed bundle changes the version; a new bundle object with the same content does not', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', [cluster('extra')], [orders, payments]);
    const first = cachedResources(cache, 'g');
    assert.deepEqual(cache.setSnapshot('g', [cluster('extra')], [bundle('orders', ['orders~lane-a', 'orders~stable']), bundle('payments', ['payments~stable'])]).changedTypes, []);
    assert.deepEqual(cache.setSnapshot('g', [cluster('extra')], [bundle('orders', ['orders~lane-a', 'orders~lane-b', 'orders~stable']), payments]).changedTypes, [TypeUrl.Cluster]);
    assert.equal(cache.getSnapshot('g')!.types.get(TypeUrl.Cluster)!.version, V.cdsWithLaneB);
    const wrappedAgain = [...cachedResources(cache, 'g')].filter(([key, r]) => first.has(key) && first.get(key) !== r);
    assert.deepEqual(wrappedAgain, [], 'extra, 3 orders clusters, payments: each wrapped once');
    assert.equal(cachedResources(cache, 'g').size, 5);
  });

  test('bad bundles are refused with the reason, and the previous snapshot stays', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', [cluster('extra')], [orders]);
    const before = cache.getSnapshot('g');
    const cases: Array<[string, () => unknown, RegExp]> = [
      ['namespace with ~', () => cache.setSnapshot('g', [], [bundle('a~b', ['a~b~c'])]), /namespace must be non-empty and hold no "~"/],
      ['empty namespace', () => cache.setSnapshot('g', [], [bundle('', ['~x'])]), /namespace must be non-empty/],
      ['name outside the namespace', () => cache.setSnapshot('g', [], [bundle('orders', ['payments~stable'])]), /"payments~stable" does not start with "orders~"/],
      ['duplicate inside a bundle', () => cache.setSnapshot('g', [], [bundle('orders', ['orders~x', 'orders~x'])]), /duplicate .* resource "orders~x"/],
      ['resource of another type', () => cache.setSnapshot('g', [], [{ ...orders, resources: [{ ...cluster('orders~x'), typeUrl: TypeUrl.Listener }] }]), /"orders~x" is a .*Listener/],
      ['two bundles with one namespace', () => cache.setSnapshot('g', [], [orders, bundle('orders', ['orders~other'])]), /two .*Cluster bundles "orders"/],
      ['own resource named like a bundle\'s', () => cache.setSnapshot('g', [cluster('orders~stable')], [orders]), /duplicate .*Cluster resource "orders~stable"/],
    ];
    for (const [what, call, message] of cases) {
      assert.throws(call, (err: unknown) => err instanceof SnapshotError && message.test(err.message), what);
      assert.equal(cache.getSnapshot('g'), before, `${what}: the previous snapshot stays`);
    }
  });

  test('bundles of one namespace in two types are independent (clusters and endpoints of a service)', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', [], [orders, bundle('orders', ['orders~stable'], TypeUrl.ClusterLoadAssignment)]);
    const snapshot = cache.getSnapshot('g')!;
    assert.deepEqual([...snapshot.types.get(TypeUrl.Cluster)!.resources.keys()], ['orders~lane-a', 'orders~stable']);
    assert.deepEqual([...snapshot.types.get(TypeUrl.ClusterLoadAssignment)!.resources.keys()], ['orders~stable']);
  });
});

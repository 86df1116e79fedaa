import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { SnapshotCache, SnapshotError, type ResourceInput } from '../../control-plane/src/xds/cache.js';
import { cachedResources, cluster, endpoints, listener, routes } from '../support/xds-fixtures.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';

const base = (): ResourceInput[] => [
  routes('ingress-routes'), endpoints('payments', 8081), cluster('payments'), listener('ingress'), cluster('orders'), endpoints('orders', 8080),
];

// Computed once by hand: sha256 of the serialized message (resource) or of
// "name\nresourceVersion\n" per resource sorted by name (type), first 16 hex digits.
const V = {
  clusterOrders: '5172cb143af72679',
  clusterPayments: '8aaad2d95e10d7fb',
  endpointsOrders8080: '82b3adfb82041908',
  endpointsOrders9090: 'c117a585bed83397',
  cds: '76072aab8ce4e162',
  eds: '6cc816c2f7647989',
  lds: '8035654099ac808e',
  rds: '30cb6f7c4fdb4bb5',
  empty: 'e3b0c44298fc1c14',
};

function versions(cache: SnapshotCache, group: string): Record<string, string | undefined> {
  const s = cache.getSnapshot(group);
  return Object.fromEntries([...(s?.types ?? [])].map(([t, ts]) => [t, ts.version]));
}

describe('SnapshotCache', () => {
  test('versions are content hashes, identical in an independent cache fed in another order', () => {
    const a = new SnapshotCache();
    const b = new SnapshotCache();
    a.setSnapshot('g', base());
    b.setSnapshot('other-name', base().reverse());
    const expected = { [TypeUrl.Cluster]: V.cds, [TypeUrl.ClusterLoadAssignment]: V.eds, [TypeUrl.Listener]: V.lds, [TypeUrl.RouteConfiguration]: V.rds };
    assert.deepEqual(versions(a, 'g'), expected);
    assert.deepEqual(versions(b, 'other-name'), expected);
    const clusters = a.getSnapshot('g')!.types.get(TypeUrl.Cluster)!;
    assert.deepEqual([...clusters.resources.keys()], ['orders', 'payments']);
    assert.equal(clusters.resources.get('orders')!.version, V.clusterOrders);
    assert.equal(clusters.resources.get('payments')!.version, V.clusterPayments);
    assert.equal(a.getSnapshot('g')!.types.get(TypeUrl.ClusterLoadAssignment)!.resources.get('orders')!.version, V.endpointsOrders8080);
  });

  test('a resource over 127 bytes (two-byte lengths in the Any) is versioned by its own bytes, in a bundle too', () => {
    const name = 'x'.repeat(200);
    // sha256 of Cluster { name } (203 bytes), by hand (python hashlib).
    const expected = '6368c64b6c9087d1';
    const cache = new SnapshotCache();
    cache.setSnapshot('own', [cluster(name)]);
    assert.equal(cache.getSnapshot('own')!.types.get(TypeUrl.Cluster)!.resources.get(name)!.version, expected);
    const bundled = `b~${name}`;
    cache.setSnapshot('bundled', [], [{ typeUrl: TypeUrl.Cluster, namespace: 'b', resources: [cluster(bundled)] }]);
    const clusters = cache.getSnapshot('bundled')!.types.get(TypeUrl.Cluster)!;
    assert.equal(clusters.resources.get(bundled)!.version, 'e282c9fd81e03f06');
    // The bundle: sha256 of "name\n205\n" and the 205 bytes; the type: of "b~*\n" + that + "\n".
    assert.equal(clusters.version, '34ed61f2df7181de');
  });

  test('cached bytes are a serialized Any wrapping the resource', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', base());
    const any = fromBinary(AnySchema, cache.getSnapshot('g')!.types.get(TypeUrl.Cluster)!.resources.get('orders')!.anyBytes);
    assert.equal(any.typeUrl, 'type.googleapis.com/envoy.config.cluster.v3.Cluster');
    assert.deepEqual([...any.value], [0x0a, 0x06, ...Buffer.from('orders')]);
  });

  test('every xDS type is present, empty ones with the hash of nothing', () => {
    const cache = new SnapshotCache();
    assert.deepEqual(cache.setSnapshot('g', [cluster('orders')]).changedTypes, [
      TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration,
    ]);
    assert.equal(versions(cache, 'g')[TypeUrl.Listener], V.empty);
    assert.equal(versions(cache, 'g')[TypeUrl.RouteConfiguration], V.empty);
  });

  test('changedTypes lists only types whose content changed, in push order', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', base());
    assert.deepEqual(cache.setSnapshot('g', base()).changedTypes, []);
    const next = base().filter((r) => !(r.typeUrl === TypeUrl.ClusterLoadAssignment && r.name === 'orders'));
    next.push(endpoints('orders', 9090), listener('admin'));
    assert.deepEqual(cache.setSnapshot('g', next).changedTypes, [TypeUrl.ClusterLoadAssignment, TypeUrl.Listener]);
    const eds = cache.getSnapshot('g')!.types.get(TypeUrl.ClusterLoadAssignment)!;
    assert.equal(eds.resources.get('orders')!.version, V.endpointsOrders9090);
    assert.notEqual(eds.version, V.eds);
    assert.equal(versions(cache, 'g')[TypeUrl.Cluster], V.cds);
  });

  test('a resource is wrapped in Any once; unchanged resources keep the same bytes object', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', base());
    const first = cachedResources(cache, 'g');
    const before = cache.getSnapshot('g')!.types.get(TypeUrl.Cluster)!.resources.get('orders')!.anyBytes;
    cache.setSnapshot('g', [...base().filter((r) => r.typeUrl !== TypeUrl.Listener), listener('admin')]);
    const second = cachedResources(cache, 'g');
    assert.deepEqual([...second].filter(([key, r]) => first.get(key) !== r).map(([key]) => key), ['LDS admin'], 'only the new listener is encoded');
    assert.equal(cache.getSnapshot('g')!.types.get(TypeUrl.Cluster)!.resources.get('orders')!.anyBytes, before);
    assert.equal(cache.getSnapshot('g'), cache.getSnapshot('g'));
  });

  test('groups are independent, and listeners hear only their group', () => {
    const cache = new SnapshotCache();
    const heard: string[][] = [];
    const stop = cache.watch('a', (changed) => heard.push([...changed]));
    cache.setSnapshot('b', base());
    cache.setSnapshot('a', [listener('ingress')]);
    assert.equal(cache.hasGroup('a'), true);
    assert.equal(cache.hasGroup('c'), false);
    assert.deepEqual(cache.groups(), ['a', 'b']);
    assert.equal(heard.length, 1);
    stop();
    cache.setSnapshot('a', [listener('admin')]);
    assert.equal(heard.length, 1);
  });

  test('duplicate or unnamed resources are refused and the previous snapshot stays', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('g', base());
    assert.throws(() => cache.setSnapshot('g', [cluster('orders'), cluster('orders')]), {
      name: 'SnapshotError',
      message: 'snapshot for group "g": duplicate type.googleapis.com/envoy.config.cluster.v3.Cluster resource "orders"',
    });
    assert.throws(() => cache.setSnapshot('g', [cluster('')]), SnapshotError);
    assert.equal(versions(cache, 'g')[TypeUrl.Cluster], V.cds);
  });

  test('not ready until told', () => {
    const cache = new SnapshotCache();
    assert.equal(cache.isReady(), false);
    cache.setReady(true);
    assert.equal(cache.isReady(), true);
  });
});

describe('SnapshotCache across groups', () => {
  test('equal content in two groups is one cached resource: hashed and wrapped once', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('a', base());
    cache.setSnapshot('b', [cluster('orders'), endpoints('orders', 9090)]);
    const inA = cachedResources(cache, 'a');
    assert.deepEqual([...cachedResources(cache, 'b')].filter(([key, r]) => inA.get(key) !== r).map(([key]) => key), ['EDS orders'], 'only the endpoints on port 9090 are new');
    const a = cache.getSnapshot('a')!.types.get(TypeUrl.Cluster)!.resources.get('orders')!;
    const b = cache.getSnapshot('b')!.types.get(TypeUrl.Cluster)!.resources.get('orders')!;
    assert.equal(a, b);
    assert.equal(b.version, V.clusterOrders);
    assert.equal(cache.getSnapshot('b')!.types.get(TypeUrl.ClusterLoadAssignment)!.resources.get('orders')!.version, V.endpointsOrders9090);
  });

  test('same name, different content: each group gets its own version', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('a', [endpoints('orders', 8080)]);
    cache.setSnapshot('b', [endpoints('orders', 9090)]);
    cache.setSnapshot('c', [endpoints('orders', 8080)]);
    const version = (g: string) => cache.getSnapshot(g)!.types.get(TypeUrl.ClusterLoadAssignment)!.resources.get('orders')!.version;
    assert.deepEqual([version('a'), version('b'), version('c')], [V.endpointsOrders8080, V.endpointsOrders9090, V.endpointsOrders8080]);
  });
});

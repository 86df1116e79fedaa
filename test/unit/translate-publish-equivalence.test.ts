// The production publish path (TranslationMemo behind SnapshotPublisher, into a real SnapshotCache)
// must give every proxy exactly what the pure translator gives: encodeResources(translateProxy()).
// Random models (seeded) with the awkward cases, then sequences of writes made as the store makes
// them (copy-on-write, deep-frozen, recorded with recordChange), now and then an unfrozen model.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';
import { pino } from 'pino';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import { recordChange, type Touched } from '../../control-plane/src/model/state-changes.js';
import type { Lane, MeshState, Service, Settings } from '../../control-plane/src/model/types.js';
import { groupKey } from '../../control-plane/src/runtime/node-target.js';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import { encodeResources, translateProxy, type EncodedResource, type ProxyTarget } from '../../control-plane/src/translate/index.js';
import { TranslationMemo } from '../../control-plane/src/translate/memo.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';

const SERVICES = ['orders', 'cart', 'pay', 'users', 'search', '42', 'a-b', 'zeta'];
// Integer-like names come first in a JavaScript object's key order whatever the insertion order.
const LANES = ['7', '42', 'feature-x', 'feature-y', 'hotfix', 'alice', 'bob', 'exp-1', 'exp-2', 'exp-10', 'zz', 'stable-ish'];

/** mulberry32: small, seeded, good enough to pick cases. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { int, chance: (p: number) => next() < p, pick: <T>(list: readonly T[]): T => list[int(list.length)]!, subset: <T>(list: readonly T[], p: number) => list.filter(() => next() < p) };
}
type Random = ReturnType<typeof prng>;

function endpoints(r: Random): string[] {
  const one = () => r.pick([`10.0.${r.int(4)}.${r.int(250) + 1}:8080`, `10.1.0.${r.int(9) + 1}:${r.pick([80, 9000])}`, '[fd00::1]:8080', `${r.pick(['orders.internal', 'localhost', 'db'])}:${r.pick([80, 5432])}`]);
  return Array.from({ length: r.int(3) + (r.chance(0.8) ? 1 : 0) }, one);
}

function randomService(r: Random, name: string): Service {
  const service: Service = { name, protocol: r.chance(0.3) ? 'grpc' : 'http', port: r.pick([80, 8080, 50051]), endpoints: endpoints(r) };
  if (r.chance(0.5)) service.dependsOn = r.subset(SERVICES, 0.3);
  return service;
}

function randomLane(r: Random, name: string, services: readonly string[]): Lane {
  const lane: Lane = { name, services: {} };
  // Entries for unknown services too, and empty ones (a cluster with no endpoints).
  for (const service of r.subset([...services, 'gone'], 0.3)) lane.services[service] = r.chance(0.2) ? [] : endpoints(r);
  if (r.chance(0.5)) lane.fallback = r.pick([...LANES, 'stable', 'missing']);
  if (r.chance(0.3)) lane.fallbackOnUnhealthy = true;
  return lane;
}

function randomSettings(r: Random, services: readonly string[]): Settings {
  const settings: Settings = { laneHeader: r.pick(['x-lane', 'X-Tenant-Lane']), servedByHeader: r.pick(['x-lane-served-by', 'X-Served']) };
  if (r.chance(0.7)) settings.entryService = r.pick([...services, 'nowhere', '']);
  if (r.chance(0.3)) settings.ingressDomain = 'lanes.example.test';
  if (r.chance(0.3)) settings.laneFrom = { baggage: r.pick(['lane', false]), cookie: r.pick(['tag', false]), query: r.pick(['l', false]) };
  if (r.chance(0.3)) settings.hopRecords = true;
  if (r.chance(0.3)) settings.tracing = { collector: r.pick(['otel:4317', '10.0.0.9:4317']), ...(r.chance(0.5) && { samplingPercent: r.pick([0, 12.5, 100]) }) };
  return settings;
}

function randomModel(r: Random): MeshState {
  const names = r.subset(SERVICES, 0.7);
  const services = Object.fromEntries(names.map((name) => [name, randomService(r, name)]));
  const lanes = Object.fromEntries(r.subset(LANES, 0.6).map((name) => [name, randomLane(r, name, names)]));
  return deepFreeze({ settings: randomSettings(r, names), services, lanes });
}

/** One write as the store makes it: a copy of the touched record, the new object deep-frozen, the change recorded. */
function randomWrite(r: Random, before: MeshState): MeshState {
  const touched: Touched = {};
  let { settings, services, lanes } = before;
  const kind = r.int(10);
  if (kind < 6) {
    const name = r.pick(LANES);
    lanes = { ...lanes };
    if (r.chance(0.25)) delete lanes[name];
    else lanes[name] = deepFreeze(randomLane(r, name, Object.keys(services)));
    touched.lanes = [name];
  } else if (kind < 9) {
    const name = r.pick(SERVICES);
    services = { ...services };
    if (r.chance(0.2)) delete services[name];
    else services[name] = deepFreeze(randomService(r, name));
    touched.services = [name];
  } else {
    settings = deepFreeze(randomSettings(r, Object.keys(services)));
    touched.settings = true;
  }
  const after = Object.freeze({ settings, services: Object.freeze(services), lanes: Object.freeze(lanes) });
  recordChange(before, after, touched);
  return after;
}

const sidecar = (service: string): ProxyTarget => ({ kind: 'sidecar', service, listenerAddress: '127.0.0.1', listenerPort: 15001 });
const INGRESS: ProxyTarget = { kind: 'ingress', listenerAddress: '0.0.0.0', listenerPort: 10000 };
const TYPE_ORDER = [
  'type.googleapis.com/envoy.config.listener.v3.Listener',
  'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
];

const line = (r: Pick<EncodedResource, 'typeUrl' | 'name' | 'value'>) => `${r.typeUrl} ${r.name} ${Buffer.from(r.value).toString('base64')}`;
/** The reference, from an unfrozen copy: the translator's own memo (packed routes) keeps out of it. */
const expected = (unfrozen: MeshState, target: ProxyTarget) => encodeResources(translateProxy(unfrozen, target)).map(line);

/** The memo's parts flattened: the proxy's own resources, then each type's bundles merged in name order. */
function fromMemo(memo: TranslationMemo, state: MeshState, target: ProxyTarget): string[] {
  const { resources, bundles } = memo.proxyParts(state, target);
  const ofType = (typeUrl: string) => bundles.filter((b) => b.typeUrl === typeUrl).flatMap((b) => b.resources).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const byName = (a: EncodedResource, b: EncodedResource) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
  // The proxy's own resources (listeners, route configurations, the capture passthrough cluster) join their type's list.
  const all = [...resources, ...ofType(TYPE_ORDER[2]!), ...ofType(TYPE_ORDER[3]!)];
  return TYPE_ORDER.flatMap((typeUrl) => all.filter((r) => r.typeUrl === typeUrl).sort(byName)).map(line);
}

/** What the cache would send the group: each type's resources in name order, unwrapped from Any. */
function fromCache(cache: SnapshotCache, group: string): string[] {
  const snapshot = cache.getSnapshot(group);
  assert.ok(snapshot, `a snapshot for ${group}`);
  return TYPE_ORDER.flatMap((typeUrl) =>
    [...snapshot.types.get(typeUrl)!.resources.values()].map((cached) => {
      const any = fromBinary(AnySchema, cached.anyBytes);
      assert.equal(any.typeUrl, typeUrl);
      return line({ typeUrl, name: cached.name, value: any.value });
    }),
  );
}

/** Every service's sidecar and the ingress, plus a sidecar for a service the model may lack. */
const targetsOf = (state: MeshState) => [INGRESS, sidecar('no-such'), ...Object.keys(state.services).map(sidecar)];

/** Runs `models` random models of `writes` writes each through a memo and a publisher; returns how many comparisons were made. */
function checkEquivalence(seed: number, models: number, writes: number, memoFor: () => TranslationMemo = () => new TranslationMemo()): number {
  const r = prng(seed);
  let compared = 0;
  for (let m = 0; m < models; m++) {
    const memo = memoFor();
    const cache = new SnapshotCache();
    const errors: string[] = [];
    const publisher = new SnapshotPublisher(cache, pino({ level: 'error' }, { write: (message: string) => errors.push(message) }));
    const groups = new Map<string, ProxyTarget>();
    let state = randomModel(r);
    for (let w = 0; w <= writes; w++) {
      if (w > 0) state = r.chance(0.1) ? structuredClone(randomWrite(r, state)) : randomWrite(r, state);
      for (const target of targetsOf(state)) if (!groups.has(groupKey(target))) groups.set(publisher.register(target), target);
      publisher.publish(state);
      assert.deepEqual(errors, [], `model ${m} write ${w}: the publisher logged no error`);
      const unfrozen = structuredClone(state);
      for (const [group, target] of groups) {
        const want = expected(unfrozen, target);
        const where = `seed ${seed} model ${m} write ${w} ${group}`;
        assert.deepEqual(fromMemo(memo, state, target), want, `${where}: memo`);
        assert.deepEqual(fromCache(cache, group), want, `${where}: published`);
        compared++;
      }
    }
  }
  return compared;
}

describe('publish path equals the translator', () => {
  test('random models and writes: every proxy, memo and published snapshot, byte for byte', () => {
    for (const seed of [1, 2, 3]) assert.ok(checkEquivalence(seed, 8, 20) > 500);
  });

  test('one memo shared by many models (as a running control plane has): still byte for byte', () => {
    const shared = new TranslationMemo();
    assert.ok(checkEquivalence(99, 12, 15, () => shared) > 500);
  });
});

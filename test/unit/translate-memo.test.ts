// The memo seam (translate/memo.ts) must be invisible: for every proxy, after any sequence of
// edits, the same bytes as translating the whole model from scratch; and it must actually remember
// (what a write leaves alone is handed out again as the same objects).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { recordChange, type Touched } from '../../control-plane/src/model/state-changes.js';
import { sameJson } from '../../control-plane/src/model/same-json.js';
import type { EncodedResource, ProxyTarget } from '../../control-plane/src/translate/index.js';
import { TranslationMemo } from '../../control-plane/src/translate/memo.js';
import { byCodeUnits } from '../../control-plane/src/translate/names.js';
import { benchLane, benchState, serviceName } from '../bench/topology.js';
import { loadCases } from '../golden/cases.js';
import { bytes, chainedState, EDITS, INGRESS, sidecar, targetsOf } from './fixtures/edited-models.js';

const LISTENER = 'type.googleapis.com/envoy.config.listener.v3.Listener';
const ROUTE = 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration';
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const ENDPOINT = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';
/** encodeResources' order: by type, then by name within each. */
const TYPES = [LISTENER, ROUTE, CLUSTER, ENDPOINT];

/** The proxy's resources from the memo, flattened in encodeResources' order, as comparable lines. */
function encoded(memo: TranslationMemo, state: MeshState, target: ProxyTarget): string[] {
  const { resources, bundles } = memo.proxyParts(state, target);
  const ofType = (typeUrl: string) => bundles.filter((b) => b.typeUrl === typeUrl).flatMap((b) => b.resources).sort((a, b) => byCodeUnits(a.name, b.name));
  return [...resources, ...ofType(CLUSTER), ...ofType(ENDPOINT)].sort((a, b) => TYPES.indexOf(a.typeUrl) - TYPES.indexOf(b.typeUrl) || byCodeUnits(a.name, b.name))
    .map((r: EncodedResource) => `${r.typeUrl} ${r.name} ${Buffer.from(r.value).toString('base64')}`);
}

/** `after` with every lane, service and the settings equal to `before`'s replaced by `before`'s object, frozen. */
function keepUnchanged(before: MeshState, after: MeshState): MeshState {
  const keep = <T>(record: Record<string, T>, old: Record<string, T>) =>
    Object.fromEntries(Object.entries(record).map(([name, value]) => [name, Object.hasOwn(old, name) && sameJson(old[name], value) ? old[name]! : value]));
  return deepFreeze({
    settings: sameJson(before.settings, after.settings) ? before.settings : after.settings,
    services: keep(after.services, before.services),
    lanes: keep(after.lanes, before.lanes),
  });
}

function changedNames(before: MeshState, after: MeshState): Touched {
  const changed = (a: Record<string, unknown>, b: Record<string, unknown>) =>
    [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((name) => a[name] !== b[name]);
  return { settings: before.settings !== after.settings, services: changed(before.services, after.services), lanes: changed(before.lanes, after.lanes) };
}

describe('TranslationMemo', () => {
  test('every golden case and proxy: the same bytes as the translator, cold and warm', () => {
    const translator = new TranslationMemo();
    for (const c of loadCases()) {
      for (const proxy of c.proxies) {
        const expected = bytes(c.state, proxy.target);
        assert.deepEqual(encoded(new TranslationMemo(), c.state, proxy.target), expected, `${c.name} ${proxy.name} (cold)`);
        assert.deepEqual(encoded(translator, c.state, proxy.target), expected, `${c.name} ${proxy.name} (shared memo)`);
        assert.deepEqual(encoded(translator, c.state, proxy.target), expected, `${c.name} ${proxy.name} (again)`);
      }
    }
  });

  test('edits applied one after another, frozen and unfrozen: every proxy equals a fresh translation', () => {
    const translator = new TranslationMemo();
    let state = chainedState();
    const targets = [...targetsOf(state).values()];
    for (const target of targets) assert.deepEqual(encoded(translator, state, target), bytes(state, target));
    EDITS.forEach(([what, edit], i) => {
      const next = structuredClone(state);
      edit(next);
      // Alternate: the store hands out deep-frozen models, other sources plain objects.
      state = i % 2 === 0 ? deepFreeze(next) : next;
      for (const target of targets) assert.deepEqual(encoded(translator, state, target), bytes(state, target), `after "${what}": ${target.service ?? target.kind}`);
    });
  });

  test('edits made copy-on-write, as the store makes them (untouched objects kept): every proxy equals a fresh translation', () => {
    for (const linked of [false, true]) {
      const translator = new TranslationMemo();
      let state = deepFreeze(chainedState());
      const targets = [...targetsOf(state).values()];
      for (const target of targets) encoded(translator, state, target);
      for (const [what, edit] of EDITS) {
        const next = structuredClone(state);
        edit(next);
        const shared = keepUnchanged(state, next);
        // Linked, the lane index is carried forward (its unchanged entries the same arrays); unlinked, rebuilt.
        if (linked) recordChange(state, shared, changedNames(state, shared));
        state = shared;
        for (const target of targets) assert.deepEqual(encoded(translator, state, target), bytes(state, target), `after "${what}" (${linked ? 'linked' : 'unlinked'}): ${target.service ?? target.kind}`);
      }
    }
  });

  test('an unfrozen model edited in place is noticed, not served from memory', () => {
    const translator = new TranslationMemo();
    const state = chainedState();
    const target = sidecar(serviceName(2));
    encoded(translator, state, target);
    state.services[serviceName(3)]!.endpoints = ['10.7.7.7:8080'];
    state.lanes['new'] = { name: 'new', fallbackOnUnhealthy: true, services: { [serviceName(4)]: ['10.7.7.8:8080'] } };
    state.settings.servedByHeader = 'x-served';
    assert.deepEqual(encoded(translator, state, target), bytes(state, target));
  });

  test('settings changes reach every resource that depends on them', () => {
    const translator = new TranslationMemo();
    const state = deepFreeze(chainedState());
    for (const target of targetsOf(state).values()) encoded(translator, state, target);
    const changed = deepFreeze({ ...state, settings: { ...state.settings, laneHeader: 'x-tag', laneFrom: { cookie: 'tag' } } } as MeshState);
    for (const target of targetsOf(changed).values()) assert.deepEqual(encoded(translator, changed, target), bytes(changed, target));
  });

  test('a lane over 2 services: every other service\'s bundles, and every listener, are the objects handed out before', () => {
    const translator = new TranslationMemo();
    const params = { services: 50, lanes: 40 };
    const state = deepFreeze(benchState(params));
    const sidecars = Object.keys(state.services).map(sidecar);
    const partsOf = (s: MeshState) => sidecars.map((target) => translator.proxyParts(s, target));
    const before = partsOf(state);
    const again = partsOf(state);
    before.forEach((parts, i) => {
      assert.equal(again[i]!.resources[0], parts.resources[0], 'the listener');
      assert.deepEqual(again[i]!.bundles, parts.bundles);
      again[i]!.bundles.forEach((bundle, j) => assert.equal(bundle, parts.bundles[j]));
    });
    const lane = benchLane(params.lanes, params);
    const next = deepFreeze({ ...state, lanes: { ...state.lanes, [lane.name]: lane } });
    const touched = new Set(Object.keys(lane.services));
    assert.equal(touched.size, 2);
    const after = partsOf(next);
    after.forEach((parts, i) => {
      assert.deepEqual(encoded(translator, next, sidecars[i]!), bytes(next, sidecars[i]!));
      assert.equal(parts.resources[0], before[i]!.resources[0], 'the listener');
      for (const bundle of parts.bundles) {
        const old = before[i]!.bundles.find((b) => b.typeUrl === bundle.typeUrl && b.namespace === bundle.namespace);
        if (touched.has(bundle.namespace)) assert.notEqual(bundle, old, `${bundle.namespace}: a new instance, a new bundle`);
        else assert.equal(bundle, old, `${bundle.namespace}: unchanged, the same object`);
      }
    });
    const unchanged = deepFreeze({ ...next, lanes: { ...next.lanes } });
    partsOf(unchanged).forEach((parts, i) => parts.bundles.forEach((bundle, j) => assert.equal(bundle, after[i]!.bundles[j], 'a new model object holding the same lanes')));
  });

  test('bundles: every proxy seeing a service gets the same objects, until one of its instances changes', () => {
    const translator = new TranslationMemo();
    const params = { services: 50, lanes: 40 };
    const state = deepFreeze(benchState(params));
    const bundlesOf = (s: MeshState, service: string) =>
      new Map(translator.proxyParts(s, sidecar(service)).bundles.map((b) => [`${b.typeUrl} ${b.namespace}`, b]));
    // In the bench topology service i calls the next 10: services 1 and 2 both see services 3 to 11.
    const one = bundlesOf(state, serviceName(1));
    const two = bundlesOf(state, serviceName(2));
    const shared = [...one.keys()].filter((key) => two.has(key));
    assert.equal(shared.length, 9 * 2, '9 services seen by both, a cluster and an endpoint bundle each');
    for (const key of shared) assert.equal(one.get(key), two.get(key), key);
    const clusters = one.get(`type.googleapis.com/envoy.config.cluster.v3.Cluster ${serviceName(5)}`)!;
    assert.deepEqual(clusters.resources.map((r) => r.name), [...clusters.resources.map((r) => r.name)].sort(), 'in name order');
    assert.ok(clusters.resources.every((r) => r.name.startsWith(`${serviceName(5)}~`)));

    const lane = { name: 'zz-new', services: { [serviceName(5)]: ['10.9.9.9:8080'] } };
    const next = deepFreeze({ ...state, lanes: { ...state.lanes, [lane.name]: lane } });
    const after = bundlesOf(next, serviceName(1));
    for (const [key, before] of one) {
      if (key.endsWith(` ${serviceName(5)}`)) assert.notEqual(after.get(key), before, `${key}: new instance, new bundle`);
      else assert.equal(after.get(key), before, `${key}: unchanged, same object`);
    }
    assert.ok(after.get(`type.googleapis.com/envoy.config.cluster.v3.Cluster ${serviceName(5)}`)!.resources.some((r) => r.name === `${serviceName(5)}~zz-new`));
  });

  test('the ingress sees every instance and routes by the entry service', () => {
    const translator = new TranslationMemo();
    const state = chainedState();
    state.settings.entryService = serviceName(3);
    assert.deepEqual(encoded(translator, state, INGRESS), bytes(state, INGRESS));
  });

  test('lanes that come and go leave nothing behind: once gone from the model, their objects can be collected', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const translator = new TranslationMemo();
    const params = { services: 20, lanes: 0 };
    const base = deepFreeze(benchState(params));
    const sidecars = Object.keys(base.services).map(sidecar);
    const publishAll = (s: MeshState) => sidecars.forEach((target) => translator.proxyParts(s, target));
    /** Five models of 200 lanes each, every sidecar translated; returns the lanes, held weakly. */
    const comeAndGo = () => {
      const refs: Array<WeakRef<object>> = [];
      for (let round = 0; round < 5; round++) {
        const lanes = Array.from({ length: 200 }, (_, k) => deepFreeze(benchLane(round * 200 + k, params)));
        refs.push(...lanes.map((lane) => new WeakRef(lane)));
        publishAll(deepFreeze({ ...base, lanes: Object.fromEntries(lanes.map((lane) => [lane.name, lane])) }));
      }
      return refs;
    };
    const gone = comeAndGo();
    publishAll(base);
    const held = () => gone.filter((ref) => ref.deref() !== undefined).length;
    // A WeakRef's target lives to the end of the job that made it; a few collections, to be sure.
    for (let attempt = 0; attempt < 3 && held() > 0; attempt++) {
      await new Promise((resolve) => setImmediate(resolve));
      gc();
    }
    assert.deepEqual(gone.filter((ref) => ref.deref() !== undefined).length, 0, 'no lane object is held by the memo');
    assert.deepEqual(encoded(translator, base, sidecars[0]!), bytes(base, sidecars[0]!));
  });
});

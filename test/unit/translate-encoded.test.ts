// The memoizing translator (translate/encoded.ts) must be invisible: for every proxy, after any
// sequence of edits, the same bytes as translating the whole model from scratch; and it must
// actually remember (a lane write re-encodes only what the lane changes).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { EncodedTranslator } from '../../control-plane/src/translate/encoded.js';
import type { ProxyTarget } from '../../control-plane/src/translate/index.js';
import { benchLane, benchState, serviceName } from '../bench/topology.js';
import { loadCases } from '../golden/cases.js';
import { bytes, chainedState, EDITS, INGRESS, sidecar, targetsOf } from './fixtures/edited-models.js';

const encoded = (translator: EncodedTranslator, state: MeshState, target: ProxyTarget) =>
  translator.encodeProxy(state, target).map((r) => `${r.typeUrl} ${r.name} ${Buffer.from(r.value).toString('base64')}`);

describe('EncodedTranslator', () => {
  test('every golden case and proxy: the same bytes as the translator, cold and warm', () => {
    const translator = new EncodedTranslator();
    for (const c of loadCases()) {
      for (const proxy of c.proxies) {
        const expected = bytes(c.state, proxy.target);
        assert.deepEqual(encoded(new EncodedTranslator(), c.state, proxy.target), expected, `${c.name} ${proxy.name} (cold)`);
        assert.deepEqual(encoded(translator, c.state, proxy.target), expected, `${c.name} ${proxy.name} (shared memo)`);
        assert.deepEqual(encoded(translator, c.state, proxy.target), expected, `${c.name} ${proxy.name} (again)`);
      }
    }
  });

  test('edits applied one after another, frozen and unfrozen: every proxy equals a fresh translation', () => {
    const translator = new EncodedTranslator();
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

  test('an unfrozen model edited in place is noticed, not served from memory', () => {
    const translator = new EncodedTranslator();
    const state = chainedState();
    const target = sidecar(serviceName(2));
    encoded(translator, state, target);
    state.services[serviceName(3)]!.endpoints = ['10.7.7.7:8080'];
    state.lanes['new'] = { name: 'new', fallbackOnUnhealthy: true, services: { [serviceName(4)]: ['10.7.7.8:8080'] } };
    state.settings.servedByHeader = 'x-served';
    assert.deepEqual(encoded(translator, state, target), bytes(state, target));
  });

  test('settings changes reach every resource that depends on them', () => {
    const translator = new EncodedTranslator();
    const state = deepFreeze(chainedState());
    for (const target of targetsOf(state).values()) encoded(translator, state, target);
    const changed = deepFreeze({ ...state, settings: { ...state.settings, laneHeader: 'x-tag', laneFrom: { cookie: 'tag' } } } as MeshState);
    for (const target of targetsOf(changed).values()) assert.deepEqual(encoded(translator, changed, target), bytes(changed, target));
  });

  test('a frozen model seen again encodes nothing; a lane over 2 services encodes 2 clusters and 2 virtual hosts', () => {
    const translator = new EncodedTranslator();
    const params = { services: 50, lanes: 40 };
    const state = deepFreeze(benchState(params));
    const sidecars = Object.keys(state.services).map(sidecar);
    for (const target of sidecars) translator.encodeProxy(state, target);
    const cold = translator.encodes;
    for (const target of sidecars) translator.encodeProxy(state, target);
    assert.equal(translator.encodes, cold, 'nothing re-encoded for an unchanged model');
    const lane = benchLane(params.lanes, params);
    const next = deepFreeze({ ...state, lanes: { ...state.lanes, [lane.name]: lane } });
    for (const target of sidecars) assert.deepEqual(encoded(translator, next, target), bytes(next, target));
    // Each new instance is one Cluster (+ its ClusterLoadAssignment, counted with it); each of the
    // two services' virtual hosts gains a route, once for all the sidecars calling it.
    assert.equal(translator.encodes - cold, 4);
  });

  test('bundles: every proxy seeing a service gets the same objects, until one of its instances changes', () => {
    const translator = new EncodedTranslator();
    const params = { services: 50, lanes: 40 };
    const state = deepFreeze(benchState(params));
    const bundlesOf = (s: MeshState, service: string) =>
      new Map(translator.encodeProxyParts(s, sidecar(service)).bundles.map((b) => [`${b.typeUrl} ${b.namespace}`, b]));
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
    const translator = new EncodedTranslator();
    const state = chainedState();
    state.settings.entryService = serviceName(3);
    assert.deepEqual(encoded(translator, state, INGRESS), bytes(state, INGRESS));
  });
});

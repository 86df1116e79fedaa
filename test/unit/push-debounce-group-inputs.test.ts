// The publisher translates each sidecar from its slice of the model and rebuilds only the groups a
// change touches. Both must be invisible: same bytes as translating the whole model, and every
// group whose bytes change is rebuilt.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Lane, MeshState } from '../../control-plane/src/model/types.js';
import { affectedGroups, groupInputs } from '../../control-plane/src/runtime/group-inputs.js';
import { groupKey } from '../../control-plane/src/runtime/node-target.js';
import { encodeResources, translateProxy, type ProxyTarget } from '../../control-plane/src/translate/index.js';
import { benchState, serviceName } from '../bench/topology.js';
import { loadCases } from '../golden/cases.js';

const bytes = (state: MeshState, target: ProxyTarget) =>
  encodeResources(translateProxy(state, target)).map((r) => `${r.typeUrl} ${r.name} ${Buffer.from(r.value).toString('base64')}`);

const sidecar = (service: string): ProxyTarget => ({ kind: 'sidecar', service, listenerAddress: '127.0.0.1', listenerPort: 15001 });
const INGRESS: ProxyTarget = { kind: 'ingress', listenerAddress: '127.0.0.1', listenerPort: 10000 };

/** 40 services, 30 lanes with chains, empty entries and unhealthy fallback: the awkward cases. */
function chainedState(): MeshState {
  const state = benchState({ services: 40, lanes: 30, callees: 4 });
  const lane = (name: string, l: Partial<Lane>): void => {
    state.lanes[name] = { name, services: {}, ...l };
  };
  lane('chain-a', { fallback: 'lane-00003', services: { [serviceName(9)]: ['10.9.9.9:8080'] } });
  lane('chain-b', { fallback: 'chain-a', services: { [serviceName(20)]: [] } });
  lane('chain-c', { fallback: 'chain-b', fallbackOnUnhealthy: true, services: { [serviceName(21)]: ['10.9.9.8:8080'] } });
  lane('no-services', { fallback: 'chain-c' });
  delete state.services[serviceName(5)]!.dependsOn; // sees every service
  return state;
}

function targetsOf(state: MeshState): Map<string, ProxyTarget> {
  const targets = [INGRESS, ...Object.keys(state.services).map(sidecar)];
  return new Map(targets.map((t) => [groupKey(t), t]));
}

describe('groupInputs', () => {
  test('every golden case: a sidecar translated from its slice gives the same bytes', () => {
    for (const c of loadCases()) {
      for (const proxy of c.proxies) {
        assert.deepEqual(bytes(groupInputs(c.state, proxy.target), proxy.target), bytes(c.state, proxy.target), `${c.name} ${proxy.name}`);
      }
    }
  });

  test('chains, empty entries, unhealthy fallback: same bytes for every proxy', () => {
    const state = chainedState();
    for (const target of targetsOf(state).values()) assert.deepEqual(bytes(groupInputs(state, target), target), bytes(state, target));
  });

  test('the slice holds only lanes whose chain reaches a visible service', () => {
    const state = benchState({ services: 500, lanes: 1000 });
    const slice = groupInputs(state, sidecar(serviceName(0)));
    assert.ok(Object.keys(slice.lanes).length < 100, `${Object.keys(slice.lanes).length} lanes`);
    assert.equal(groupInputs(state, INGRESS), state);
  });
});

describe('affectedGroups', () => {
  const edits: Array<[string, (s: MeshState) => void]> = [
    ['a lane added', (s) => { s.lanes['new'] = { name: 'new', services: { [serviceName(3)]: ['10.1.1.1:8080'] } }; }],
    ['a lane deleted', (s) => { delete s.lanes['lane-00004']; }],
    ['a lane endpoint changed', (s) => { s.lanes['lane-00007']!.services = { ...s.lanes['lane-00007']!.services, [serviceName(7 * 7 % 40)]: ['10.2.2.2:8080'] }; }],
    ['a fallback changed', (s) => { s.lanes['chain-b']!.fallback = 'lane-00010'; }],
    ['a chain member changed', (s) => { s.lanes['lane-00003']!.services = { [serviceName(33)]: ['10.3.3.3:8080'] }; }],
    ['an empty entry filled', (s) => { s.lanes['chain-b']!.services = { [serviceName(20)]: ['10.4.4.4:8080'] }; }],
    ['a service endpoint changed', (s) => { s.services[serviceName(12)]!.endpoints = ['10.5.5.5:8080']; }],
    ['dependsOn changed', (s) => { s.services[serviceName(1)]!.dependsOn = [serviceName(30)]; }],
    ['unhealthy fallback turned off', (s) => { s.lanes['chain-c']!.fallbackOnUnhealthy = false; }],
  ];

  for (const [what, edit] of edits) {
    test(`${what}: every group whose bytes change is affected, and not every group is`, () => {
      const before = chainedState();
      const after = structuredClone(before);
      edit(after);
      const targets = targetsOf(before);
      const affected = affectedGroups(before, after, targets);
      assert.notEqual(affected, 'all');
      const changed = [...targets].filter(([, t]) => !isSame(bytes(before, t), bytes(after, t))).map(([g]) => g);
      assert.ok(changed.length > 0, 'the edit changes some proxy');
      for (const group of changed) assert.ok((affected as Set<string>).has(group), `${group} changed but was not rebuilt`);
      assert.ok((affected as Set<string>).size < targets.size, `${(affected as Set<string>).size} of ${targets.size} rebuilt`);
    });
  }

  test('nothing changed: nothing affected; settings changed or first publish: all', () => {
    const state = chainedState();
    const targets = targetsOf(state);
    assert.deepEqual(affectedGroups(state, structuredClone(state), targets), new Set());
    assert.equal(affectedGroups(undefined, state, targets), 'all');
    assert.equal(affectedGroups(state, { ...state, settings: { ...state.settings, laneHeader: 'x-tag' } }, targets), 'all');
  });
});

function isSame(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

// The data-plane fields' validation (model/validate-dataplane.ts): literal tables of input -> errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FieldError } from '../../control-plane/src/model/errors.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import {
  checkDataplaneReferences,
  checkLaneDataplane,
  checkServiceDataplane,
  checkSettingsDataplane,
} from '../../control-plane/src/model/validate-dataplane.js';

function run<T>(check: (input: Record<string, unknown>, path: string, errors: FieldError[]) => T, input: Record<string, unknown>, path: string) {
  const errors: FieldError[] = [];
  const value = check(input, path, errors);
  return { value, errors };
}

test('dependsOn', () => {
  assert.deepEqual(run(checkServiceDataplane, { name: 'frontend', dependsOn: ['payments', 'orders'] }, 'services/frontend'), { value: { dependsOn: ['orders', 'payments'] }, errors: [] });
  assert.deepEqual(run(checkServiceDataplane, { name: 'frontend' }, 'services/frontend'), { value: {}, errors: [] });
  assert.deepEqual(run(checkServiceDataplane, { name: 'frontend', dependsOn: [] }, 'services/frontend').value, { dependsOn: [] });
  assert.deepEqual(run(checkServiceDataplane, { name: 'frontend', dependsOn: 'orders' }, 'services/frontend').errors, [
    { path: 'services/frontend/dependsOn', reason: 'must be a list of service names, got "orders"' },
  ]);
  assert.deepEqual(run(checkServiceDataplane, { name: 'frontend', dependsOn: ['orders', 'Orders', 'orders', 'frontend'] }, 'services/frontend').errors, [
    { path: 'services/frontend/dependsOn/1', reason: '"Orders" is not a service name (a DNS label)' },
    { path: 'services/frontend/dependsOn/2', reason: 'duplicate service "orders" (also at services/frontend/dependsOn/0)' },
    { path: 'services/frontend/dependsOn/3', reason: 'a service does not call itself through its own sidecar' },
  ]);
});

test('fallbackOnUnhealthy', () => {
  assert.deepEqual(run(checkLaneDataplane, { fallbackOnUnhealthy: true }, 'lanes/x'), { value: { fallbackOnUnhealthy: true }, errors: [] });
  assert.deepEqual(run(checkLaneDataplane, { fallbackOnUnhealthy: false }, 'lanes/x'), { value: {}, errors: [] });
  assert.deepEqual(run(checkLaneDataplane, { fallbackOnUnhealthy: 'yes' }, 'lanes/x').errors, [
    { path: 'lanes/x/fallbackOnUnhealthy', reason: 'must be true or false, got "yes"' },
  ]);
});

test('laneFrom', () => {
  assert.deepEqual(run(checkSettingsDataplane, { laneFrom: { query: 'sw', baggage: false, cookie: 'lane_cookie' } }, 'settings'), {
    value: { laneFrom: { baggage: false, cookie: 'lane_cookie', query: 'sw' } },
    errors: [],
  });
  assert.deepEqual(run(checkSettingsDataplane, { laneFrom: { cookie: 'a b', query: 'x=y', header: 'x', baggage: true } }, 'settings').errors, [
    { path: 'settings/laneFrom/cookie', reason: 'must be false (off) or a cookie name (a token: letters, digits and !#$%&\'*+.^_`|~-, at most 64), got "a b"' },
    { path: 'settings/laneFrom/query', reason: 'must be false (off) or a query parameter name (letters, digits and ._~-, at most 64), got "x=y"' },
    { path: 'settings/laneFrom/header', reason: 'unknown field (allowed: baggage, cookie, query)' },
    { path: 'settings/laneFrom/baggage', reason: 'must be false (off) or a baggage key (a token: letters, digits and !#$%&\'*+.^_`|~-, at most 64), got true' },
  ]);
  assert.deepEqual(run(checkSettingsDataplane, { laneFrom: 'cookie' }, 'settings').errors, [
    { path: 'settings/laneFrom', reason: 'must be an object with baggage, cookie and query, got "cookie"' },
  ]);
});

test('dependsOn names existing services', () => {
  const service = (name: string, dependsOn?: string[]) => ({ name, protocol: 'http' as const, port: 80, endpoints: [], ...(dependsOn && { dependsOn }) });
  const state: MeshState = {
    settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' },
    services: { a: service('a', ['b', 'ghost']), b: service('b') },
    lanes: {},
  };
  assert.deepEqual(checkDataplaneReferences(state), [{ path: 'services/a/dependsOn/1', reason: 'service "ghost" does not exist' }]);
});

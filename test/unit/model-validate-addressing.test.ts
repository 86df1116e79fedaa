// Service.namespace and Service.addresses: accepted forms, refusals with paths, and uniqueness of
// addresses across services (two virtual hosts may not share a domain).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { FieldError } from '../../control-plane/src/model/errors.js';
import { DEFAULT_SETTINGS, type MeshState } from '../../control-plane/src/model/types.js';
import { validateMeshState, validateService } from '../../control-plane/src/model/validate.js';

function errorsOf(result: { ok: boolean; errors?: FieldError[] }): string[] {
  return result.ok ? [] : result.errors!.map((e) => `${e.path}: ${e.reason}`);
}

describe('service namespace and addresses', () => {
  test('accepts a namespace and IPv4/IPv6 addresses, sorted', () => {
    assert.deepEqual(validateService({ name: 'orders', protocol: 'http', port: 8080, namespace: 'shop', addresses: ['fd00::20', '10.96.0.20'] }), {
      ok: true,
      value: { name: 'orders', protocol: 'http', port: 8080, endpoints: [], namespace: 'shop', addresses: ['10.96.0.20', 'fd00::20'] },
    });
  });

  test('refuses a bad namespace, non-IP and duplicate addresses', () => {
    assert.deepEqual(errorsOf(validateService({ name: 'orders', protocol: 'http', port: 80, namespace: 'Shop', addresses: ['10.0.0.1', 'orders', '10.0.0.1', 7] })), [
      'services/orders/namespace: must be a Kubernetes namespace name (a DNS label), got "Shop"',
      'services/orders/addresses/1: "orders" is not an IPv4 or IPv6 address',
      'services/orders/addresses/2: duplicate address "10.0.0.1" (also at services/orders/addresses/0)',
      'services/orders/addresses/3: 7 is not an IPv4 or IPv6 address',
    ]);
  });

  test('refuses addresses that are not a list, or too many', () => {
    assert.deepEqual(errorsOf(validateService({ name: 'a', protocol: 'http', port: 80, addresses: '10.0.0.1' })), ['services/a/addresses: must be a list of at most 8 IP addresses, got "10.0.0.1"']);
    const nine = Array.from({ length: 9 }, (_, i) => `10.0.0.${i}`);
    assert.equal(errorsOf(validateService({ name: 'a', protocol: 'http', port: 80, addresses: nine })).length, 1);
  });

  test('an address belongs to one service only', () => {
    const state: MeshState = {
      settings: { ...DEFAULT_SETTINGS },
      services: {
        cart: { name: 'cart', protocol: 'http', port: 80, endpoints: [], addresses: ['10.96.0.20'] },
        orders: { name: 'orders', protocol: 'http', port: 8080, endpoints: [], addresses: ['10.96.0.20'] },
      },
      lanes: {},
    };
    assert.deepEqual(validateMeshState(state).map((e) => `${e.path}: ${e.reason}`), ['services/orders/addresses/0: address "10.96.0.20" already belongs to service "cart"']);
  });
});

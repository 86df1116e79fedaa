import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lanesResolvingToInstance, resolveLane } from '../../control-plane/src/model/resolve.js';
import type { MeshState } from '../../control-plane/src/model/types.js';

// feature-x-fix -> feature-x -> stable; loop-a <-> loop-b is an invalid cycle resolve must survive.
const state: MeshState = {
  settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' },
  services: {
    orders: { name: 'orders', protocol: 'http', port: 80, endpoints: ['10.0.0.1:80'] },
    payments: { name: 'payments', protocol: 'grpc', port: 80, endpoints: ['10.0.0.2:80'] },
    frontend: { name: 'frontend', protocol: 'http', port: 80, endpoints: ['10.0.0.3:80'] },
  },
  lanes: {
    'feature-x': { name: 'feature-x', services: { orders: ['10.1.0.1:80'] } },
    'feature-x-fix': { name: 'feature-x-fix', fallback: 'feature-x', services: { payments: ['10.2.0.2:80'] } },
    dangling: { name: 'dangling', fallback: 'gone', services: {} },
    'empty-override': { name: 'empty-override', fallback: 'feature-x', services: { orders: [] } },
    'loop-a': { name: 'loop-a', fallback: 'loop-b', services: {} },
    'loop-b': { name: 'loop-b', fallback: 'loop-a', services: { frontend: ['10.3.0.3:80'] } },
  },
};

describe('resolveLane', () => {
  const cases: Array<[string, string | undefined, { lane: string; chain: string[]; endpoints: string[] }]> = [
    ['orders', undefined, { lane: 'stable', chain: ['stable'], endpoints: ['10.0.0.1:80'] }],
    ['orders', 'stable', { lane: 'stable', chain: ['stable'], endpoints: ['10.0.0.1:80'] }],
    ['orders', 'no-such-lane', { lane: 'stable', chain: ['stable'], endpoints: ['10.0.0.1:80'] }],
    ['orders', 'feature-x', { lane: 'feature-x', chain: ['feature-x'], endpoints: ['10.1.0.1:80'] }],
    ['payments', 'feature-x', { lane: 'stable', chain: ['feature-x', 'stable'], endpoints: ['10.0.0.2:80'] }],
    ['payments', 'feature-x-fix', { lane: 'feature-x-fix', chain: ['feature-x-fix'], endpoints: ['10.2.0.2:80'] }],
    ['orders', 'feature-x-fix', { lane: 'feature-x', chain: ['feature-x-fix', 'feature-x'], endpoints: ['10.1.0.1:80'] }],
    ['frontend', 'feature-x-fix', { lane: 'stable', chain: ['feature-x-fix', 'feature-x', 'stable'], endpoints: ['10.0.0.3:80'] }],
    ['orders', 'dangling', { lane: 'stable', chain: ['dangling', 'stable'], endpoints: ['10.0.0.1:80'] }],
    ['orders', 'empty-override', { lane: 'feature-x', chain: ['empty-override', 'feature-x'], endpoints: ['10.1.0.1:80'] }],
    ['orders', 'loop-a', { lane: 'stable', chain: ['loop-a', 'loop-b', 'stable'], endpoints: ['10.0.0.1:80'] }],
    ['frontend', 'loop-a', { lane: 'loop-b', chain: ['loop-a', 'loop-b'], endpoints: ['10.3.0.3:80'] }],
    ['unknown-service', 'feature-x', { lane: 'stable', chain: ['feature-x', 'stable'], endpoints: [] }],
    ['constructor', 'feature-x', { lane: 'stable', chain: ['feature-x', 'stable'], endpoints: [] }],
    ['orders', 'constructor', { lane: 'stable', chain: ['stable'], endpoints: ['10.0.0.1:80'] }],
  ];
  for (const [service, lane, expected] of cases) {
    test(`${service} for lane ${lane}`, () => assert.deepEqual(resolveLane(state, service, lane), expected));
  }
});

describe('lanesResolvingToInstance', () => {
  const cases: Array<[string, Array<{ lane: string; instance: string }>]> = [
    ['orders', [
      { lane: 'empty-override', instance: 'feature-x' },
      { lane: 'feature-x', instance: 'feature-x' },
      { lane: 'feature-x-fix', instance: 'feature-x' },
    ]],
    ['payments', [{ lane: 'feature-x-fix', instance: 'feature-x-fix' }]],
    ['frontend', [{ lane: 'loop-a', instance: 'loop-b' }, { lane: 'loop-b', instance: 'loop-b' }]],
    ['unknown-service', []],
  ];
  for (const [service, expected] of cases) {
    test(service, () => assert.deepEqual(lanesResolvingToInstance(state, service), expected));
  }
});

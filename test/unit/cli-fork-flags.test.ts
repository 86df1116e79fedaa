// `laneway lane create --fork/--fork-env` as the API's forks: merged per Deployment, one entry per container.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forksFromFlags } from '../../control-plane/src/cli/fork-flags.js';

describe('laneway lane create --fork', () => {
  test('images and env per Deployment and container, merged in the order first named', () => {
    assert.deepEqual(forksFromFlags(
      ['orders=registry.example/orders:pr-42', 'payments:worker=registry.example/pay:pr-42', 'payments:api=registry.example/pay-api@sha256:0123456789abcdef0123456789abcdef'],
      ['orders:FEATURE_X=on', 'payments:worker:QUEUE=pr-42', 'orders:EMPTY='],
    ), [
      { workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42', env: { FEATURE_X: 'on', EMPTY: '' } }] },
      { workload: 'Deployment/payments', containers: [{ name: 'worker', image: 'registry.example/pay:pr-42', env: { QUEUE: 'pr-42' } }, { name: 'api', image: 'registry.example/pay-api@sha256:0123456789abcdef0123456789abcdef' }] },
    ]);
    assert.equal(forksFromFlags(undefined, undefined), undefined);
  });

  test('malformed flags are usage errors', () => {
    assert.throws(() => forksFromFlags(['orders'], undefined), /--fork takes DEPLOYMENT\[:CONTAINER\]=IMAGE, got "orders"/);
    assert.throws(() => forksFromFlags(['orders:a:b=x:1'], undefined), /--fork takes DEPLOYMENT\[:CONTAINER\]/);
    assert.throws(() => forksFromFlags(undefined, ['orders=on']), /--fork-env takes DEPLOYMENT\[:CONTAINER\]:NAME=VALUE, got "orders=on"/);
  });
});

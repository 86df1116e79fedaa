// Lane forks: what the model accepts, how it normalizes it, and each refusal's path and reason.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { IMAGE_REFERENCE, imageReferenceProblem } from '../../control-plane/src/model/forks.js';
import { validateLane } from '../../control-plane/src/model/validate.js';

const errorsOf = (forks: unknown) => {
  const result = validateLane({ name: 'pr-42', forks }, 'lanes/pr-42');
  return result.ok ? [] : result.errors;
};

describe('lane forks: validation', () => {
  test('a valid fork is normalized: replicas default 1, env keys and removeEnv sorted', () => {
    const result = validateLane({ name: 'pr-42', forks: [
      { workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42', env: { ZED: '1', FEATURE_X: 'on' }, removeEnv: ['OLD_FLAG', 'A_FLAG'] }] },
      { workload: 'Deployment/payments', replicas: 0, containers: [{ name: 'worker', image: 'registry.example/pay@sha256:0123456789abcdef0123456789abcdef' }] },
    ] });
    assert.ok(result.ok);
    assert.deepEqual(result.value.forks, [
      { workload: 'Deployment/orders', replicas: 1, containers: [{ image: 'registry.example/orders:pr-42', env: { FEATURE_X: 'on', ZED: '1' }, removeEnv: ['A_FLAG', 'OLD_FLAG'] }] },
      { workload: 'Deployment/payments', replicas: 0, containers: [{ name: 'worker', image: 'registry.example/pay@sha256:0123456789abcdef0123456789abcdef' }] },
    ]);
  });

  const refusals: Array<[string, unknown, Array<{ path: string; reason: string }>]> = [
    ['not a list', { workload: 'Deployment/orders' }, [{ path: 'lanes/pr-42/forks', reason: 'must be a list of forks ({workload, replicas, containers}), got {"workload":"Deployment/orders"}' }]],
    ['another kind', [{ workload: 'StatefulSet/db', containers: [{ image: 'db:1' }] }], [{ path: 'lanes/pr-42/forks/0/workload', reason: 'kind "StatefulSet" cannot be forked: only Deployment workloads can (e.g. "Deployment/orders")' }]],
    ['no kind', [{ workload: 'orders', containers: [{ image: 'orders:1' }] }], [{ path: 'lanes/pr-42/forks/0/workload', reason: 'must be "<Kind>/<name>" such as "Deployment/orders", got "orders"' }]],
    ['a bad name', [{ workload: 'Deployment/Orders', containers: [{ image: 'orders:1' }] }], [{ path: 'lanes/pr-42/forks/0/workload', reason: '"Orders" is not a Deployment name that fits a label (1-63 lowercase letters, digits, \'-\' and \'.\', starting and ending with a letter or digit)' }]],
    ['an invalid image', [{ workload: 'Deployment/orders', containers: [{ image: 'ok:1' }] }, { workload: 'Deployment/payments', containers: [{ name: 'app', image: 'Registry/Orders:pr 42' }] }], [{ path: 'lanes/pr-42/forks/1/containers/0/image', reason: 'not a valid image reference: "Registry/Orders:pr 42" (expected [registry/]repository[:tag][@digest], e.g. "registry.example/orders:pr-42")' }]],
    ['two forks of one workload', [{ workload: 'Deployment/orders', containers: [{ image: 'a:1' }] }, { workload: 'Deployment/orders', containers: [{ image: 'b:1' }] }], [{ path: 'lanes/pr-42/forks/1/workload', reason: 'Deployment/orders is already forked at lanes/pr-42/forks/0: a lane forks a workload once (list its containers in one fork)' }]],
    ['no containers', [{ workload: 'Deployment/orders', containers: [] }], [{ path: 'lanes/pr-42/forks/0/containers', reason: 'must be a non-empty list of containers, got []' }]],
    ['replicas out of range', [{ workload: 'Deployment/orders', replicas: 21, containers: [{ image: 'a:1' }] }], [{ path: 'lanes/pr-42/forks/0/replicas', reason: 'must be an integer from 0 to 20, got 21' }]],
    ['a bad env name', [{ workload: 'Deployment/orders', containers: [{ env: { 'FEATURE-X': 'on' } }] }], [{ path: 'lanes/pr-42/forks/0/containers/0/env/FEATURE-X', reason: '"FEATURE-X" is not a variable name (a C identifier: letters, digits and \'_\', not starting with a digit)' }]],
    ['set and removed', [{ workload: 'Deployment/orders', containers: [{ env: { A: '1' }, removeEnv: ['A'] }] }], [{ path: 'lanes/pr-42/forks/0/containers/0/removeEnv/0', reason: '"A" is also set in env; set it or remove it, not both' }]],
    ['two unnamed containers', [{ workload: 'Deployment/orders', containers: [{ image: 'a:1' }, { image: 'b:1' }] }], [{ path: 'lanes/pr-42/forks/0/containers/1/name', reason: 'only one entry may leave out the name (also at lanes/pr-42/forks/0/containers/0)' }]],
    ['an unknown field', [{ workload: 'Deployment/orders', containers: [{ image: 'a:1', command: ['x'] }] }], [{ path: 'lanes/pr-42/forks/0/containers/0/command', reason: 'unknown field (allowed: name, image, env, removeEnv)' }]],
  ];
  for (const [what, forks, expected] of refusals) {
    test(`refused: ${what}`, () => assert.deepEqual(errorsOf(forks), expected));
  }

  test('image references: the distribution/reference grammar', () => {
    const valid = ['orders', 'orders:pr-42', 'registry.example/orders:pr-42', 'localhost:5000/team/orders:v1.2', 'ghcr.io/a_b/c__d/e-f:latest', '[::1]:5000/orders:x', 'orders@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'];
    const invalid = ['', 'Orders', 'orders:', 'orders:-x', 'orders::1', '/orders', 'orders/', 'orders:pr 42', 'orders@sha256:abc', `${'a'.repeat(256)}:1`];
    for (const image of valid) assert.equal(imageReferenceProblem(image), undefined, image);
    for (const image of invalid) assert.ok(imageReferenceProblem(image), image);
  });

  test('the CRD (kustomize and Helm) checks images with the model\'s pattern', () => {
    for (const file of ['deploy/kubernetes/crd.yaml', 'deploy/helm/laneway/crds/lanes.yaml']) {
      const crd = parse(readFileSync(file, 'utf8'));
      const forks = crd.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.forks;
      assert.equal(forks.items.properties.containers.items.properties.image.pattern, IMAGE_REFERENCE.source, file);
      assert.equal(forks.items.properties.replicas.default, 1);
    }
  });
});

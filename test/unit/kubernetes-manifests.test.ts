// deploy/kubernetes without a cluster: the sidecar copies match their sources, and the shape the
// guide promises (2 replicas, PDB, probes, read-only access to pods and services) holds.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { sourceOfNodeCommand } from '../support/compiled-entry.js';

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const read = (path: string) => readFileSync(root(path), 'utf8');
const docs = (path: string) => parseAllDocuments(read(path)).map((d) => d.toJS() as any);

describe('kubernetes manifests', () => {
  test('the sidecar bootstrap and entrypoint are exact copies of the ones docker-compose and npm run mesh use', () => {
    assert.equal(read('deploy/kubernetes/sidecar/sidecar.yaml'), read('envoy-configs/sidecar.yaml'));
    assert.equal(read('deploy/kubernetes/sidecar/envoy-entrypoint.sh'), read('deploy/compose/envoy-entrypoint.sh'));
  });

  test('control plane: 2 replicas in Kubernetes mode, probes, resources, a PDB, a Service excluded from the mesh', () => {
    const all = docs('deploy/kubernetes/control-plane.yaml');
    const deployment = all.find((d) => d.kind === 'Deployment');
    assert.equal(deployment.spec.replicas, 2);
    const container = deployment.spec.template.spec.containers[0];
    assert.ok(container.args.includes('--kubernetes'));
    assert.equal(container.readinessProbe.httpGet.path, '/readyz');
    assert.equal(container.livenessProbe.httpGet.path, '/healthz');
    assert.ok(container.resources.requests.cpu && container.resources.limits.memory);
    assert.equal(all.find((d) => d.kind === 'PodDisruptionBudget').spec.minAvailable, 1);
    assert.equal(all.find((d) => d.kind === 'Service').metadata.labels['laneway.dev/exclude'], 'true');
  });

  test('the laneway image runs compiled JavaScript as a non-root user: the control plane by its entrypoint, the example apps by theirs', () => {
    const deployment = docs('deploy/kubernetes/control-plane.yaml').find((d) => d.kind === 'Deployment');
    assert.equal(deployment.spec.template.spec.containers[0].command, undefined, 'the Dockerfile\'s ENTRYPOINT (test/unit/dockerfile.test.ts)');
    assert.equal(deployment.spec.template.spec.securityContext.runAsNonRoot, true);
    for (const file of ['frontend', 'orders', 'orders-feature-x', 'payments']) {
      const [app] = docs(`deploy/kubernetes/example/${file}.yaml`);
      const container = app.spec.template.spec.containers.find((c: any) => c.image === 'laneway:dev');
      assert.equal(sourceOfNodeCommand(container.command), 'deploy/demo/main.ts', file);
    }
  });

  test('RBAC: namespaced, read-only on pods and services', () => {
    const role = docs('deploy/kubernetes/rbac.yaml').find((d) => d.kind === 'Role');
    const core = role.rules.find((r: any) => r.apiGroups.includes(''));
    assert.deepEqual(core, { apiGroups: [''], resources: ['services', 'pods'], verbs: ['get', 'list', 'watch'] });
    assert.equal(docs('deploy/kubernetes/rbac.yaml').some((d) => d.kind === 'ClusterRole'), false);
  });

  test('the lane pod is told apart only by its laneway.dev/lane label', () => {
    const [stable] = docs('deploy/kubernetes/example/orders.yaml');
    const [lane] = docs('deploy/kubernetes/example/orders-feature-x.yaml');
    assert.deepEqual(stable.spec.template.metadata.labels, { app: 'orders', instance: 'orders' });
    assert.deepEqual(lane.spec.template.metadata.labels, { app: 'orders', instance: 'orders-feature-x', 'laneway.dev/lane': 'feature-x' });
  });
});

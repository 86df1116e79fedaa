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

  test('webhook: failurePolicy Ignore, a short timeout, pods on CREATE only, never kube-system or the control plane\'s pods', () => {
    const all = docs('deploy/kubernetes/webhook.yaml');
    const config = all.find((d) => d.kind === 'MutatingWebhookConfiguration');
    assert.equal(config.metadata.name, 'laneway-sidecar-injector');
    assert.deepEqual(config.webhooks.map((w: any) => [w.name, w.clientConfig.service.path]), [
      ['namespace.inject.laneway.dev', '/inject/namespace-enabled'],
      ['pod.inject.laneway.dev', '/inject'],
    ]);
    for (const w of config.webhooks) {
      assert.equal(w.failurePolicy, 'Ignore');
      assert.ok(w.timeoutSeconds <= 10, 'well inside the API server\'s limit');
      assert.equal(w.sideEffects, 'None');
      assert.deepEqual(w.admissionReviewVersions, ['v1']);
      assert.deepEqual(w.rules, [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'], scope: 'Namespaced' }]);
      assert.deepEqual(w.namespaceSelector.matchExpressions[1], { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system', 'kube-public', 'kube-node-lease'] });
      assert.deepEqual(w.objectSelector.matchExpressions, [{ key: 'app.kubernetes.io/name', operator: 'NotIn', values: ['laneway'] }]);
      assert.equal(w.clientConfig.service.name, 'laneway-webhook');
      assert.equal(w.clientConfig.caBundle, undefined, 'the control plane writes it');
    }
    assert.deepEqual(config.webhooks.map((w: any) => w.namespaceSelector.matchExpressions[0]), [
      { key: 'laneway.dev/inject', operator: 'In', values: ['enabled'] },
      { key: 'laneway.dev/inject', operator: 'NotIn', values: ['enabled'] },
    ]);
    const service = all.find((d) => d.kind === 'Service');
    assert.deepEqual(service.spec.ports, [{ name: 'https-webhook', port: 443, targetPort: 'https-webhook' }]);
    const container = docs('deploy/kubernetes/control-plane.yaml').find((d) => d.kind === 'Deployment').spec.template.spec.containers[0];
    assert.equal(container.args[container.args.indexOf('--webhook-port') + 1], '9443');
    assert.ok(container.ports.some((p: any) => p.name === 'https-webhook' && p.containerPort === 9443));
    assert.ok(read('deploy/kubernetes/kustomization.yaml').includes('- webhook.yaml'));
  });

  test('webhook RBAC: only its own configuration and namespace reads cluster-wide; only its CA Secret by name', () => {
    const clusterRole = docs('deploy/kubernetes/webhook.yaml').find((d) => d.kind === 'ClusterRole');
    assert.deepEqual(clusterRole.rules, [
      { apiGroups: ['admissionregistration.k8s.io'], resources: ['mutatingwebhookconfigurations'], resourceNames: ['laneway-sidecar-injector'], verbs: ['get', 'update'] },
      { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
    ]);
    const role = docs('deploy/kubernetes/rbac.yaml').find((d) => d.kind === 'Role');
    assert.deepEqual(role.rules.filter((r: any) => r.resources.includes('secrets')), [
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      { apiGroups: [''], resources: ['secrets'], resourceNames: ['laneway-webhook-ca'], verbs: ['get', 'update'] },
    ]);
  });

  test('the example apps carry no sidecar and no proxy settings: the labelled namespace has them injected', () => {
    assert.equal(docs('deploy/kubernetes/namespace.yaml')[0].metadata.labels['laneway.dev/inject'], 'enabled');
    for (const file of ['frontend', 'orders', 'orders-feature-x', 'payments']) {
      const [app] = docs(`deploy/kubernetes/example/${file}.yaml`);
      const pod = app.spec.template.spec;
      assert.deepEqual(pod.containers.map((c: any) => c.name), ['app'], file);
      assert.equal(pod.initContainers, undefined, file);
      assert.equal(pod.volumes, undefined, file);
      const env = pod.containers[0].env.map((e: any) => e.name);
      assert.ok(!env.includes('SIDECAR_URL') && !env.includes('HTTP_PROXY'), `${file}: no proxy settings`);
    }
  });

  test('the lane pod is told apart only by its laneway.dev/lane label', () => {
    const [stable] = docs('deploy/kubernetes/example/orders.yaml');
    const [lane] = docs('deploy/kubernetes/example/orders-feature-x.yaml');
    assert.deepEqual(stable.spec.template.metadata.labels, { app: 'orders', instance: 'orders' });
    assert.deepEqual(lane.spec.template.metadata.labels, { app: 'orders', instance: 'orders-feature-x', 'laneway.dev/lane': 'feature-x' });
  });
});

// The Helm chart deploy/helm/laneway: helm lint, the same objects as the kustomize tree
// deploy/kubernetes (example app and namespace aside) with default values, and a server-side dry
// run against a real kube-apiserver. Helm comes from scripts/ensure-helm.sh (Go module proxy).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { parse } from 'yaml';
import { KubeApiServer } from '../support/kube-apiserver.js';
import { CHART_DIR, ensureHelm, Helm, keyOf, objectsOf } from '../support/helm.js';

const DEPLOY_DIR = fileURLToPath(new URL('../../deploy/kubernetes', import.meta.url));
const NAMESPACE = 'laneway-demo';
// Labels the chart adds to every object it templates (not to the CRD, which Helm applies verbatim).
const CHART_LABELS = { 'helm.sh/chart': 'laneway-0.1.0', 'app.kubernetes.io/managed-by': 'Helm' };

/**
 * An object reduced to what both trees must agree on, with the differences that are on purpose
 * written out: kustomize sets metadata.namespace (the chart leaves it to `helm install -n`); the
 * chart adds CHART_LABELS; the chart renders settings.yaml with toYaml (keys sorted), so it is
 * compared parsed.
 */
function comparable(o: any, fromChart: boolean): any {
  const { namespace, labels = {}, ...metadata } = o.metadata;
  const copy = { ...o, metadata: { ...metadata } };
  const ownLabels = { ...labels };
  if (fromChart && o.kind !== 'CustomResourceDefinition') {
    for (const [k, v] of Object.entries(CHART_LABELS)) {
      assert.equal(ownLabels[k], v, `${keyOf(o)} label ${k}`);
      delete ownLabels[k];
    }
  }
  if (Object.keys(ownLabels).length) copy.metadata.labels = ownLabels;
  if (keyOf(o) === 'ConfigMap/laneway-settings') copy.data = { 'settings.yaml': parse(o.data['settings.yaml']) };
  return copy;
}

describe('helm chart deploy/helm/laneway', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-helm-e2e-'));
  let helm: Helm;
  let kube: KubeApiServer;

  before(async () => {
    helm = new Helm(ensureHelm(), workDir);
    kube = await KubeApiServer.start();
  });

  after(async () => {
    await kube?.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('helm lint passes', () => {
    const out = helm.run(['lint', CHART_DIR]);
    assert.match(out, /1 chart\(s\) linted, 0 chart\(s\) failed/);
  });

  test('default values render the objects of deploy/kubernetes (without example/ and the Namespace)', () => {
    const kubectl = (args: string[]) => kube.kubectl(args);
    const example = new Set(objectsOf(kubectl(['kustomize', join(DEPLOY_DIR, 'example')])).map(keyOf));
    const kustomized = objectsOf(kubectl(['kustomize', DEPLOY_DIR])).filter((o) => o.kind !== 'Namespace' && !example.has(keyOf(o)));
    const charted = objectsOf(helm.template(NAMESPACE));
    const sorted = (list: any[]) => [...list].sort((a, b) => keyOf(a).localeCompare(keyOf(b)));
    assert.deepEqual(sorted(charted).map(keyOf), [
      'ClusterRole/laneway-webhook', 'ClusterRoleBinding/laneway-webhook', 'ConfigMap/laneway-settings', 'ConfigMap/laneway-sidecar',
      'CustomResourceDefinition/lanes.laneway.dev', 'Deployment/laneway', 'MutatingWebhookConfiguration/laneway-sidecar-injector',
      'PodDisruptionBudget/laneway', 'Role/laneway', 'RoleBinding/laneway', 'Service/laneway', 'Service/laneway-webhook', 'ServiceAccount/laneway',
    ]);
    assert.deepEqual(sorted(charted).map(keyOf), sorted(kustomized).map(keyOf));
    const byKey = new Map(kustomized.map((o) => [keyOf(o), o]));
    for (const o of charted) {
      assert.deepEqual(comparable(o, true), comparable(byKey.get(keyOf(o)), false), keyOf(o));
    }
  });

  test('values: tokens from a Secret, replicas, no webhook', () => {
    const objects = objectsOf(helm.template('team-a', ['apiTokens.existingSecret=laneway-api-tokens', 'replicas=3', 'webhook.enabled=false']));
    assert.deepEqual(objects.map(keyOf).filter((k) => /webhook|sidecar/.test(k)), [], 'no webhook objects');
    const deployment = objects.find((o) => o.kind === 'Deployment');
    assert.equal(deployment.spec.replicas, 3);
    const container = deployment.spec.template.spec.containers[0];
    assert.deepEqual(container.args, ['--kubernetes', '--config-dir', '/etc/laneway', '--data-dir', '/data']);
    assert.deepEqual(container.ports.map((p: any) => p.name), ['http-api', 'grpc-xds']);
    assert.deepEqual(container.env.find((e: any) => e.name === 'LANEWAY_API_TOKENS'), {
      name: 'LANEWAY_API_TOKENS', valueFrom: { secretKeyRef: { name: 'laneway-api-tokens', key: 'tokens' } },
    });
    const webhook = objectsOf(helm.template('team-a')).find((o) => o.kind === 'MutatingWebhookConfiguration');
    assert.deepEqual(webhook.webhooks.map((w: any) => w.clientConfig.service.namespace), ['team-a', 'team-a'], 'the release namespace');
  });

  test('helm template | kubectl apply --dry-run=server is accepted by the API server', () => {
    // Server-side dry-run cannot create the namespace its objects go into, so that one is real.
    kube.kubectl(['create', 'namespace', NAMESPACE]);
    const file = join(workDir, 'rendered.yaml');
    const rendered = helm.template(NAMESPACE);
    assert.equal(helm.template(NAMESPACE), rendered, 'same values, same bytes');
    writeFileSync(file, rendered);
    const out = kube.kubectl(['apply', '-n', NAMESPACE, '-f', file, '--dry-run=server']);
    for (const line of [
      'customresourcedefinition.apiextensions.k8s.io/lanes.laneway.dev created (server dry run)',
      'deployment.apps/laneway created (server dry run)',
      'mutatingwebhookconfiguration.admissionregistration.k8s.io/laneway-sidecar-injector created (server dry run)',
      'clusterrolebinding.rbac.authorization.k8s.io/laneway-webhook created (server dry run)',
      'configmap/laneway-sidecar created (server dry run)',
      'poddisruptionbudget.policy/laneway created (server dry run)',
    ]) assert.ok(out.includes(line), `${line}\n${out}`);
  });

  test('non-default values are accepted by the API server too (tokens from a Secret, no webhook, a numeric image tag)', () => {
    const file = join(workDir, 'rendered-values.yaml');
    writeFileSync(file, helm.template(NAMESPACE, ['apiTokens.existingSecret=laneway-api-tokens', 'webhook.enabled=false', 'image.tag=1.2', 'podDisruptionBudget.enabled=false']));
    const deployment = objectsOf(readFileSync(file, 'utf8')).find((o) => o.kind === 'Deployment');
    assert.equal(deployment.spec.template.spec.containers[0].image, 'laneway:1.2');
    const out = kube.kubectl(['apply', '-n', NAMESPACE, '-f', file, '--dry-run=server']);
    assert.ok(out.includes('deployment.apps/laneway created (server dry run)'), out);
    assert.ok(!out.includes('poddisruptionbudget') && !out.includes('mutatingwebhookconfiguration'), out);
  });
});

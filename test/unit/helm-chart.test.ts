// deploy/helm/laneway without Helm: the files it carries are exact copies of their sources (Helm
// reads no file outside the chart), and every value is documented in the chart's README.
// Rendering (helm lint, helm template vs kubectl kustomize, a server dry run): test/e2e/helm.test.ts.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('helm chart files', () => {
  test('the CRD, sidecar bootstrap and entrypoint are exact copies of their sources', () => {
    assert.equal(read('deploy/helm/laneway/crds/lanes.yaml'), read('deploy/kubernetes/crd.yaml'));
    assert.equal(read('deploy/helm/laneway/files/sidecar.yaml'), read('envoy-configs/sidecar.yaml'));
    assert.equal(read('deploy/helm/laneway/files/envoy-entrypoint.sh'), read('deploy/compose/envoy-entrypoint.sh'));
  });

  test('every value is in the README\'s table', () => {
    const values = parse(read('deploy/helm/laneway/values.yaml'));
    const readme = read('deploy/helm/laneway/README.md');
    const leaves = (o: any, prefix = ''): string[] => Object.entries(o).flatMap(([k, v]) =>
      v && typeof v === 'object' && !['resources', 'readinessProbe', 'livenessProbe', 'settings'].includes(k) ? leaves(v, `${prefix}${k}.`) : [`${prefix}${k}`]);
    assert.deepEqual(leaves(values), [
      'image.repository', 'image.tag', 'image.pullPolicy', 'replicas', 'resources', 'readinessProbe', 'livenessProbe',
      'podDisruptionBudget.enabled', 'podDisruptionBudget.minAvailable', 'settings', 'apiTokens.existingSecret', 'apiTokens.key',
      'webhook.enabled', 'webhook.port', 'webhook.failurePolicy', 'webhook.timeoutSeconds',
    ]);
    for (const key of leaves(values)) assert.ok(readme.includes(`| \`${key}\``), `README.md documents ${key}`);
  });
});

// Golden files pin the exact JSON Patch the injection webhook answers (Istio's pkg/kube/inject
// pattern): injection/in/<case>.yaml (namespace opt-in, namespace, pod) -> injection/out/<case>.patch.yaml.
// LANEWAY_UPDATE_GOLDEN=1 rewrites the outputs; review the diff.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { parse, stringify } from 'yaml';
import { answerAdmission } from '../../control-plane/src/webhook/admission.js';
import { DEFAULT_INJECTION_SETTINGS } from '../../control-plane/src/webhook/settings.js';

const DIR = fileURLToPath(new URL('./injection/', import.meta.url));
const update = process.env.LANEWAY_UPDATE_GOLDEN === '1';
const SETTINGS = { ...DEFAULT_INJECTION_SETTINGS, xdsHost: 'laneway.laneway-system.svc' };

interface Case { namespaceOptedIn: boolean; namespace: string; pod: Record<string, unknown> }

function review(c: Case) {
  return {
    apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview',
    request: { uid: 'golden', kind: { group: '', version: 'v1', kind: 'Pod' }, resource: { group: '', version: 'v1', resource: 'pods' }, operation: 'CREATE', namespace: c.namespace, object: c.pod },
  };
}

describe('golden injection patches', () => {
  for (const file of readdirSync(`${DIR}in`).filter((f) => f.endsWith('.yaml')).sort()) {
    const name = file.replace(/\.yaml$/, '');
    test(name, () => {
      const c = parse(readFileSync(`${DIR}in/${file}`, 'utf8')) as Case;
      const answer = answerAdmission(review(c), c.namespaceOptedIn, SETTINGS);
      assert.equal(answer.outcome.result, 'injected', JSON.stringify(answer.outcome));
      const response = (answer.body as { response: { patch: string; patchType: string } }).response;
      assert.equal(response.patchType, 'JSONPatch');
      const actual = stringify(JSON.parse(Buffer.from(response.patch, 'base64').toString('utf8')), { lineWidth: 0 });
      const out = `${DIR}out/${name}.patch.yaml`;
      if (update) writeFileSync(out, actual);
      assert.ok(existsSync(out), `${out} is missing; run with LANEWAY_UPDATE_GOLDEN=1`);
      assert.equal(actual, readFileSync(out, 'utf8'), `${name}.patch.yaml differs; run with LANEWAY_UPDATE_GOLDEN=1 and review`);
      // Same input, same bytes.
      assert.equal(JSON.stringify(answerAdmission(review(c), c.namespaceOptedIn, SETTINGS).body), JSON.stringify(answer.body));
    });
  }
});

// Golden files pin the exact Envoy config the translator emits (the Envoy Gateway pattern):
// in/<case>.yaml → out/<case>.<proxy>.{listeners,routes,clusters,endpoints}.yaml.
// LANEWAY_UPDATE_GOLDEN=1 rewrites the outputs and deletes orphaned ones; review the diff.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { translateProxy } from '../../control-plane/src/translate/index.js';
import { resourcesToJson, resourcesToYaml } from '../../control-plane/src/translate/render.js';
import { loadCases, OUT_DIR, outputFile, RESOURCE_KINDS } from './cases.js';

const update = process.env.LANEWAY_UPDATE_GOLDEN === '1';
const cases = loadCases();
const expectedFiles = new Set<string>();

for (const c of cases) {
  describe(`golden ${c.name}`, () => {
    for (const proxy of c.proxies) {
      // Names first, so a case that fails to translate never gets its outputs deleted as orphans.
      for (const kind of RESOURCE_KINDS) expectedFiles.add(outputFile(c, proxy, kind));
      let json: ReturnType<typeof resourcesToJson> | undefined;
      const translated = () => (json ??= resourcesToJson(translateProxy(c.state, proxy.target)));
      for (const kind of RESOURCE_KINDS) {
        const file = outputFile(c, proxy, kind);
        test(`${proxy.name} ${kind}`, () => {
          const actual = resourcesToYaml(translated()[kind]);
          const path = join(OUT_DIR, file);
          if (update) writeFileSync(path, actual);
          assert.ok(existsSync(path), `${file} is missing; run with LANEWAY_UPDATE_GOLDEN=1`);
          assert.equal(actual, readFileSync(path, 'utf8'), `${file} differs; run with LANEWAY_UPDATE_GOLDEN=1 and review`);
        });
      }
    }
  });
}

test('no orphaned golden outputs', () => {
  const orphans = readdirSync(OUT_DIR).filter((f) => f.endsWith('.yaml') && !expectedFiles.has(f));
  if (update) for (const f of orphans) unlinkSync(join(OUT_DIR, f));
  else assert.deepEqual(orphans, [], 'outputs without an input case; run with LANEWAY_UPDATE_GOLDEN=1');
});

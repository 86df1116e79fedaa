// What runs in production (tsconfig.build.json compiles it to dist/) imports only Node's modules and
// the package's `dependencies`: the image installs those alone (npm ci --omit=dev), and so does
// `npm install laneway.tgz`. tsx, typescript and the other dev dependencies are for building,
// tests and benchmarks.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, resolve } from 'node:path';
import { test } from 'node:test';

const root = resolve(import.meta.dirname, '../..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => join(dir, f));
}

/** Packages a file loads at run time: `import ... from`, `export ... from`, `import(...)`; not `import type`. */
function runtimePackages(text: string): string[] {
  const specifiers = [
    ...text.matchAll(/^\s*(?:import|export)\s+(?!type\s)[^;]*?\sfrom\s+'([^']+)'/gm),
    ...text.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...text.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers
    .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
    .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
}

test('production code imports only node: modules and the package\'s dependencies', () => {
  const used = new Map<string, string>();
  for (const file of [...sources('control-plane/src'), ...sources('deploy/demo')]) {
    for (const pkg of runtimePackages(readFileSync(join(root, file), 'utf8'))) used.set(pkg, file);
  }
  const missing = [...used].filter(([pkg]) => !(pkg in manifest.dependencies)).map(([pkg, file]) => `${pkg} (${file})`);
  assert.deepEqual(missing, []);
  assert.deepEqual([...used.keys()].sort(), Object.keys(manifest.dependencies).sort(), 'every dependency is used at run time');
});

test('tsx and typescript are dev dependencies only', () => {
  for (const pkg of ['tsx', 'typescript']) {
    assert.equal(pkg in manifest.dependencies, false, pkg);
    assert.ok(pkg in manifest.devDependencies, pkg);
  }
});

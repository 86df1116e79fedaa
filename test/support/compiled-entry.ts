// Manifests that run the laneway image (docker-compose, Kubernetes) give node a file under dist/,
// which `npm run build` compiles from the TypeScript source at the same path (tsconfig.build.json).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');

/** The source file a `node [flags] dist/<path>.js` command runs; fails on tsx or a missing source. */
export function sourceOfNodeCommand(argv: string[]): string {
  assert.equal(argv[0], 'node', `${JSON.stringify(argv)} runs plain node`);
  assert.ok(!argv.some((a) => a.includes('tsx')), `${JSON.stringify(argv)} does not use tsx`);
  const script = argv.slice(1).find((a) => !a.startsWith('-'));
  assert.match(script ?? '', /^dist\/.+\.js$/, `${JSON.stringify(argv)} runs compiled JavaScript from dist/`);
  const source = script!.replace(/^dist\//, '').replace(/\.js$/, '.ts');
  assert.ok(existsSync(join(root, source)), `${source} exists`);
  return source;
}

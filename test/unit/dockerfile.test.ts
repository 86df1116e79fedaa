// There is no Docker engine here, so this checks what can be checked of the Dockerfile without
// building it: it parses (dockerfile-ast) and lints clean (dockerfile-utils, the parser and linter
// behind the VS Code Docker language server); the build stage copies what `npm run build` compiles;
// the final stage takes only package.json, production node_modules and dist/ from it, runs the
// compiled control plane with plain node, and runs as a non-root user that owns the data directory.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { Copy, DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';

const root = resolve(import.meta.dirname, '../..');
const text = readFileSync(join(root, 'Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);

interface Stage {
  from: string;
  name: string | null;
  instructions: Instruction[];
}

/** The instructions after each FROM, up to the next one. */
function stages(): Stage[] {
  const froms = dockerfile.getFROMs();
  return froms.map((from, i) => {
    const start = from.getRange().start.line;
    const end = froms[i + 1]?.getRange().start.line ?? Infinity;
    const instructions = dockerfile.getInstructions().filter((ins) => {
      const line = ins.getRange().start.line;
      return line > start && line < end;
    });
    return { from: `${from.getImageName()}:${from.getImageTag()}`, name: from.getBuildStage(), instructions };
  });
}

const args = (stage: Stage, keyword: string) =>
  stage.instructions.filter((i) => i.getKeyword() === keyword).map((i) => i.getArgumentsContent());

test('the Dockerfile parses and lints without a diagnostic', () => {
  assert.deepEqual(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
});

test('two stages on the same Node image: build, then the runtime image', () => {
  assert.deepEqual(stages().map((s) => [s.from, s.name]), [['node:20-bookworm-slim', 'build'], ['node:20-bookworm-slim', null]]);
});

test('the build stage installs everything, compiles, then prunes to production dependencies; no tests run', () => {
  const [build] = stages();
  assert.deepEqual(args(build!, 'RUN'), ['npm ci', 'npm run build', 'npm ci --omit=dev --ignore-scripts']);
  assert.deepEqual(args(build!, 'COPY'), [
    'package.json package-lock.json ./',
    'scripts ./scripts',
    'tsconfig.json tsconfig.build.json ./',
    'control-plane ./control-plane',
    'deploy/demo ./deploy/demo',
  ]);
  // What the build stage copies covers what tsconfig.build.json compiles.
  const buildConfig = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8').replace(/^\s*\/\/.*$/gm, '')) as { include: string[] };
  assert.deepEqual(buildConfig.include, ['control-plane/src/**/*.ts', 'deploy/demo/**/*.ts']);
});

test('the final image copies only package.json, node_modules and dist/ from the build stage, and the capture script', () => {
  const [, runtime] = stages();
  const copies = runtime!.instructions.filter((i): i is Copy => i instanceof Copy);
  assert.equal(copies.length, args(runtime!, 'COPY').length);
  assert.deepEqual(copies.map((c) => [c.getFromFlag()?.getValue(), c.getArgumentsContent()]), [
    ['build', '/app/package.json ./'],
    ['build', '/app/node_modules ./node_modules'],
    ['build', '/app/dist ./dist'],
    [undefined, 'deploy/capture/laneway-capture.sh ./deploy/capture/laneway-capture.sh'],
  ]);
  assert.doesNotMatch(text, /COPY[^\n]*\btest\b/, 'no COPY of test/');
});

test('the final image runs the compiled control plane with plain node, as uid 1000 owning /data', () => {
  const [, runtime] = stages();
  assert.deepEqual(args(runtime!, 'USER'), ['1000:1000']);
  const [run] = args(runtime!, 'RUN');
  assert.match(run!, /apt-get install -y --no-install-recommends iptables/, 'iptables for the capture init container');
  assert.match(run!, /mkdir \/data && chown node:node \/data$/);
  assert.match(args(runtime!, 'ENV')[0]!, /\bLANEWAY_DATA_DIR=\/data\b/);
  const entrypoint = dockerfile.getENTRYPOINTs().map((e) => e.getJSONStrings().map((a) => a.getJSONValue()));
  assert.deepEqual(entrypoint, [['node', '--enable-source-maps', 'dist/control-plane/src/main.js']]);
  // dist/ mirrors the sources (tsconfig.build.json rootDir "."): the entry point's source exists.
  assert.ok(existsSync(join(root, 'control-plane/src/main.ts')));
});

test('.dockerignore keeps local output and tests out of the build context', () => {
  const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  for (const path of ['.git', 'node_modules', 'dist', 'control-plane/src/envoy/generated', 'test']) assert.ok(ignored.includes(path), path);
});

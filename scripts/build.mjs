#!/usr/bin/env node
// `npm run build`: compiles the control plane, the CLI and the demo services to dist/ with tsc
// (tsconfig.build.json, source maps on), the generated protobuf code included, then copies the
// non-TypeScript files they read at run time and bundles the dashboard into dist/ui. dist/ is emptied first, so nothing stale survives.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildUi } from './build-ui.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
// Read at run time next to the compiled code: the demo gRPC service's definition (proto-loader).
const assets = ['deploy/demo/demo.proto'];

if (!existsSync(join(root, 'control-plane/src/envoy/generated'))) {
  console.error('build: control-plane/src/envoy/generated is missing; run npm ci (or npm run generate) first');
  process.exit(1);
}
rmSync(dist, { recursive: true, force: true });
execFileSync(join(root, 'node_modules/.bin/tsc'), ['-p', join(root, 'tsconfig.build.json')], { cwd: root, stdio: 'inherit' });
for (const asset of assets) cpSync(join(root, asset), join(dist, asset));
// The dashboard (control-plane/ui), bundled into static files the API serves at /ui.
const ui = await buildUi(join(dist, 'ui'));
console.log(`build: dashboard ${ui.js.file} ${ui.js.bytes} B (${ui.js.gzip} B gzip)`);
console.log('build: wrote dist/');

#!/usr/bin/env node
// Builds the dashboard (control-plane/ui) into dist/ui: one minified ES module bundle (esbuild,
// Preact + htm included, nothing loaded from a CDN) and the stylesheet, both named by their
// content hash so browsers may cache them forever, and index.html pointing at them.
// Prints the sizes; `--json` prints them as JSON (the benchmark reads it).
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const UI = join(root, 'control-plane/ui');

const hashOf = (bytes) => createHash('sha256').update(bytes).digest('hex').slice(0, 10);

export async function buildUi(outDir = join(root, 'dist/ui')) {
  const result = await build({
    entryPoints: [join(UI, 'src/main.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    target: ['es2022'],
    write: false,
    legalComments: 'none',
    logLevel: 'error',
  });
  const js = Buffer.from(result.outputFiles[0].contents);
  const css = readFileSync(join(UI, 'app.css'));
  const jsName = `app-${hashOf(js)}.js`;
  const cssName = `app-${hashOf(css)}.css`;
  const index = readFileSync(join(UI, 'index.html'), 'utf8').replace('./app.js', `./${jsName}`).replace('./app.css', `./${cssName}`);
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, jsName), js);
  writeFileSync(join(outDir, cssName), css);
  writeFileSync(join(outDir, 'index.html'), index);
  const size = (bytes) => ({ bytes: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  return { outDir, js: { file: jsName, ...size(js) }, css: { file: cssName, ...size(css) }, html: size(Buffer.from(index)) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildUi(process.argv[2] && !process.argv[2].startsWith('--') ? resolve(process.argv[2]) : undefined);
  if (process.argv.includes('--json')) console.log(JSON.stringify(sizes));
  else console.log(`build-ui: wrote ${sizes.outDir}: ${sizes.js.file} ${sizes.js.bytes} B (${sizes.js.gzip} B gzip), ${sizes.css.file} ${sizes.css.bytes} B (${sizes.css.gzip} B gzip)`);
}

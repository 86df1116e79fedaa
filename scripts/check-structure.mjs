#!/usr/bin/env node
// Structure checks run by `npm test` (`npm run check:structure`):
//   - no import cycles in control-plane/src (dpdm, type-only imports included);
//   - no file in control-plane/src (generated code aside) or the dashboard's control-plane/ui/src
//     over MAX_FILE_LINES lines;
//   - no function over MAX_FUNCTION_LINES lines (parsed with @babel/parser, counted like
//     ESLint's max-lines-per-function: first to last line, comments and blank lines included);
//   - no repeated block (jscpd, its default thresholds) inside translate/ or among the xds stream files.
// A finding listed in scripts/structure-allowlist.json is reported but does not fail the run.
// `--report` prints every finding and exits 0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '@babel/parser';

export const MAX_FILE_LINES = 400;
export const MAX_FUNCTION_LINES = 60;
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = 'control-plane/src';
const GENERATED = 'control-plane/src/envoy/generated';
const UI_SRC = 'control-plane/ui/src';
const BIN = join(ROOT, 'node_modules/.bin');

/** Every `ext` file under `dir` (relative to the repository root, `/`-separated), generated code left out. */
export function sourceFiles(dir = SRC, ext = '.ts') {
  const out = [];
  for (const entry of readdirSync(join(ROOT, dir), { withFileTypes: true })) {
    const path = `${dir}/${entry.name}`;
    if (path === GENERATED) continue;
    if (entry.isDirectory()) out.push(...sourceFiles(path, ext));
    else if (entry.name.endsWith(ext)) out.push(path);
  }
  return out.sort();
}

function lineCount(text) {
  return text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
}

/** Import cycles, each as "a.ts -> b.ts -> ..." (dpdm names the files of one cycle in import order). */
function importCycles() {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-dpdm-'));
  try {
    const out = join(dir, 'dpdm.json');
    const args = ['--no-warning', '--no-tree', '--no-circular', '--progress', 'false', '-o', out, '--tsconfig', 'tsconfig.json', `${SRC}/**/*.ts`];
    const run = spawnSync(join(BIN, 'dpdm'), args, { cwd: ROOT, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`dpdm failed: ${run.stderr || run.stdout}`);
    const { circulars } = JSON.parse(readFileSync(out, 'utf8'));
    return circulars.map((cycle) => cycle.join(' -> '));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function longFiles(files) {
  return files.flatMap((file) => {
    const lines = lineCount(readFileSync(join(ROOT, file), 'utf8'));
    return lines > MAX_FILE_LINES ? [{ key: file, text: `${file}: ${lines} lines` }] : [];
  });
}

const FUNCTION_TYPES = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ClassMethod', 'ClassPrivateMethod', 'ObjectMethod']);

function functionName(node, parent) {
  if (node.id?.name) return node.id.name;
  const key = node.key ?? (parent?.type === 'VariableDeclarator' ? parent.id : parent?.key);
  if (key?.type === 'Identifier') return key.name;
  if (key?.type === 'PrivateName') return `#${key.id.name}`;
  if (key?.type === 'StringLiteral') return key.value;
  return '(anonymous)';
}

/** Calls `visit(node, parent)` for every AST node under `node`. */
function walk(node, parent, visit) {
  visit(node, parent);
  for (const [field, value] of Object.entries(node)) {
    if (field === 'loc' || field === 'leadingComments' || field === 'trailingComments' || field === 'innerComments') continue;
    for (const child of Array.isArray(value) ? value : [value]) {
      if (child && typeof child.type === 'string') walk(child, node, visit);
    }
  }
}

/** The functions in `text` longer than `max` lines, each as { name, line, lines }. */
export function functionsOver(text, max = MAX_FUNCTION_LINES) {
  const ast = parse(text, { sourceType: 'module', plugins: ['typescript'] });
  const found = [];
  walk(ast.program, undefined, (node, parent) => {
    if (!FUNCTION_TYPES.has(node.type) || !node.body) return;
    const lines = node.loc.end.line - node.loc.start.line + 1;
    if (lines > max) found.push({ name: functionName(node, parent), line: node.loc.start.line, lines });
  });
  return found;
}

function longFunctions(files) {
  return files.flatMap((file) =>
    functionsOver(readFileSync(join(ROOT, file), 'utf8')).map(({ name, line, lines }) => ({ key: `${file}#${name}`, text: `${file}:${line} ${name}: ${lines} lines` })),
  );
}

/** Repeated blocks jscpd finds among `files` (its default minimums: 50 tokens, 5 lines). */
function clones(files) {
  if (files.length === 0) return [];
  const dir = mkdtempSync(join(tmpdir(), 'laneway-jscpd-'));
  try {
    const run = spawnSync(join(BIN, 'jscpd'), ['--silent', '-a', '--no-colors', '-r', 'json', '-o', dir, ...files], { cwd: ROOT, encoding: 'utf8' });
    if (run.status !== 0) throw new Error(`jscpd failed: ${run.stderr || run.stdout}`);
    const { duplicates } = JSON.parse(readFileSync(join(dir, 'jscpd-report.json'), 'utf8'));
    return duplicates.map(({ firstFile: a, secondFile: b, lines }) => {
      const [fa, fb] = [relative(ROOT, a.name), relative(ROOT, b.name)];
      return { key: `${fa} <-> ${fb}`, text: `${fa}:${a.start}-${a.end} <-> ${fb}:${b.start}-${b.end} (${lines} lines)` };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readAllowlist() {
  const file = join(ROOT, 'scripts/structure-allowlist.json');
  const list = JSON.parse(readFileSync(file, 'utf8'));
  return { cycles: list.cycles ?? [], longFiles: list.longFiles ?? [], longFunctions: list.longFunctions ?? [], clones: list.clones ?? [] };
}

function main() {
  const reportOnly = process.argv.includes('--report');
  const files = sourceFiles();
  const uiFiles = sourceFiles(UI_SRC, '.js');
  const streamFiles = files.filter((f) => /^control-plane\/src\/xds\/[^/]*stream[^/]*\.ts$/.test(f));
  const checks = {
    cycles: { title: 'import cycles (dpdm)', found: importCycles().map((c) => ({ key: c, text: c })) },
    longFiles: { title: `files over ${MAX_FILE_LINES} lines`, found: longFiles([...files, ...uiFiles]) },
    longFunctions: { title: `functions over ${MAX_FUNCTION_LINES} lines`, found: longFunctions([...files, ...uiFiles]) },
    clones: {
      title: 'repeated blocks (jscpd) in translate/ and among xds/*stream* files',
      found: [...clones(files.filter((f) => f.startsWith(`${SRC}/translate/`))), ...clones(streamFiles)],
    },
  };
  const allow = readAllowlist();
  let failures = 0;
  for (const [name, { title, found }] of Object.entries(checks)) {
    const failing = found.filter((f) => !allow[name].includes(f.key));
    failures += failing.length;
    console.log(`${title}: ${found.length} found, ${failing.length} not allowlisted`);
    for (const f of found) console.log(`  ${failing.includes(f) ? '✗' : '(allowed)'} ${f.text}`);
  }
  if (failures > 0 && !reportOnly) {
    console.error(`check:structure: ${failures} finding(s) (allowlist: scripts/structure-allowlist.json)`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) main();

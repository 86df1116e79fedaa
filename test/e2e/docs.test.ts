// Docs that run: every shell and YAML block in README.md and docs/*.md is marked (test/support/
// docs-blocks.ts), and the runnable ones run in order, per document, in one shell session against
// a real control plane started from the build (and the Envoys and apps the blocks start). A block
// fails the test when it exits non-zero or when its shown output differs.
//
// What differs from a reader's terminal, so that tests can run beside each other: each port the
// document declares is replaced by a free one everywhere in it (commands and shown output alike),
// and the variables holding the defaults are set to those ports (LANEWAY_SERVER, LANEWAY_API_PORT,
// LANEWAY_XDS_PORT, LANEWAY_XDS_SERVER), so `laneway` and `laneway serve` without flags reach them.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { CHECKED_LANGUAGES, mapPorts, readDoc, type DocBlock, type DocSetup } from '../support/docs-blocks.js';
import { ShellSession } from '../support/docs-session.js';

const ROOT = resolve(import.meta.dirname, '../..');
const DOCS = ['README.md', ...readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const BLOCK_TIMEOUT_MS = 240_000;
const totals = { ran: 0, outputs: 0, files: 0, notRunnable: 0 };

test('every shell and YAML block in the docs is marked runnable, output, file or not runnable', () => {
  const unmarked: string[] = [];
  for (const doc of DOCS) {
    for (const block of readDoc(join(ROOT, doc)).blocks) {
      if (CHECKED_LANGUAGES.has(block.lang) && block.mark.kind === 'unmarked') unmarked.push(`${doc}:${block.line}`);
      if (block.mark.kind === 'not runnable') totals.notRunnable++;
    }
  }
  assert.deepEqual(unmarked, [], 'mark each with <!-- runnable -->, <!-- output -->, <!-- file: NAME --> or <!-- not runnable: REASON -->');
});

/** A copy of the checkout as a fresh clone has it: tracked and new files, nothing ignored (no node_modules, dist, data). */
function freshClone(into: string): string {
  const clone = join(into, 'laneway');
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(clone, file)), { recursive: true });
    try {
      cpSync(join(ROOT, file), join(clone, file));
    } catch {
      // listed but deleted in the working tree
    }
  }
  return clone;
}

function sessionEnv(setup: DocSetup, ports: Map<number, number>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LANEWAY_') && !k.startsWith('npm_')));
  const api = ports.get(8080);
  const xds = ports.get(18000);
  if (api !== undefined) Object.assign(env, { LANEWAY_SERVER: `http://127.0.0.1:${api}`, LANEWAY_API_PORT: String(api) });
  if (xds !== undefined) Object.assign(env, { LANEWAY_XDS_PORT: String(xds), LANEWAY_XDS_SERVER: `127.0.0.1:${xds}` });
  if (process.env.LANEWAY_ENVOY_BIN) env.LANEWAY_ENVOY_BIN = process.env.LANEWAY_ENVOY_BIN;
  // A document that does not set up its own checkout uses this one's `laneway` (bin/laneway).
  if (!setup.freshClone) env.PATH = `${join(ROOT, 'bin')}:${env.PATH}`;
  env.npm_config_prefer_offline = 'true';
  return env;
}

async function startServe(ports: Map<number, number>, dir: string): Promise<Managed> {
  const api = ports.get(8080)!;
  const server = startProcess('control-plane', process.execPath, [join(ROOT, 'bin/laneway.js'), 'serve', '--data-dir', join(dir, 'data'), '--api-port', String(api), '--xds-port', String(ports.get(18000)!), '--push-hold-off-ms', '0'], join(dir, 'control-plane.log'));
  await waitFor('the control plane', async () => (await fetch(`http://127.0.0.1:${api}/healthz`)).ok);
  return server;
}

function describeFailure(doc: string, block: DocBlock, result: { code: number | null; stdout: string; stderr: string }): string {
  return `${doc}:${block.line} exited ${result.code}\n--- block\n${block.text}--- stdout\n${result.stdout}--- stderr\n${result.stderr}`;
}

const trimLines = (text: string) => text.split('\n').map((l) => l.trimEnd()).join('\n').trim();

async function runDocument(doc: string, blocks: DocBlock[], session: ShellSession, ports: Map<number, number>): Promise<string> {
  let ran = 0;
  let outputs = 0;
  let files = 0;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i]!;
    if (block.mark.kind === 'file') {
      session.writeFile(block.mark.name, mapPorts(block.text, ports));
      files++;
      continue;
    }
    if (block.mark.kind !== 'runnable') continue;
    const readyAt = block.mark.readyAt && mapPorts(block.mark.readyAt, ports);
    const result = await session.run(mapPorts(block.text, ports), BLOCK_TIMEOUT_MS, readyAt);
    ran++;
    assert.equal(result.code, 0, describeFailure(doc, block, result));
    const next = blocks[i + 1];
    if (next?.mark.kind === 'output') {
      assert.equal(trimLines(result.stdout), trimLines(mapPorts(next.text, ports)), `${doc}:${next.line}: the output shown differs from what ${doc}:${block.line} printed`);
      outputs++;
    }
  }
  Object.assign(totals, { ran: totals.ran + ran, outputs: totals.outputs + outputs, files: totals.files + files });
  return `${doc}: ran ${ran} blocks, checked ${outputs} outputs, wrote ${files} files`;
}

before(() => {
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
});

for (const doc of DOCS) {
  const { blocks, setup } = readDoc(join(ROOT, doc));
  if (!blocks.some((b) => b.mark.kind === 'runnable')) continue;
  describe(doc, () => {
    const dir = mkdtempSync(join(tmpdir(), 'laneway-docs-'));
    const ports = new Map<number, number>();
    let server: Managed | undefined;
    let session: ShellSession | undefined;
    const docSetup = setup ?? { ports: [], serve: false, freshClone: false };

    before(async () => {
      for (const port of docSetup.ports) ports.set(port, await freePort());
      const cwd = docSetup.freshClone ? freshClone(dir) : mkdtempSync(join(dir, 'work-'));
      if (docSetup.serve) server = await startServe(ports, dir);
      session = new ShellSession(dir, cwd, sessionEnv(docSetup, ports));
    });

    after(async () => {
      await session?.close();
      await server?.stop();
      // LANEWAY_DOCS_KEEP=1 keeps the session's directory (each block's script and output) to look at.
      if (process.env.LANEWAY_DOCS_KEEP === '1') console.error(`docs test: kept ${dir}`);
      else rmSync(dir, { recursive: true, force: true });
    });

    test('runs every runnable block, as shown', async (t) => {
      t.diagnostic(await runDocument(doc, blocks, session!, ports));
    });
  });
}

test('reports how many blocks ran', (t) => {
  t.diagnostic(`docs: ran ${totals.ran} blocks, checked ${totals.outputs} outputs, wrote ${totals.files} files; ${totals.notRunnable} blocks marked not runnable`);
  assert.ok(totals.ran > 0);
});

// The OpenAPI document is the API's exact contract: schemathesis (pinned, scripts/schemathesis-release.mjs)
// generates requests from the document served by a real `laneway serve` (embedded store, temp data
// directory, loopback) and checks every answer against it: all phases (examples, coverage, fuzzing,
// stateful through the document's links), all checks, a fixed seed, with API tokens (the document
// requires a bearer token, and schemathesis checks that a missing or wrong one is refused); then,
// lighter, without tokens (loopback clients need none). docs/api.md, "The contract test", says how
// it is configured and why.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { schemathesisBin } from '../../scripts/schemathesis-release.mjs';

const CLI = fileURLToPath(new URL('../../control-plane/src/cli/laneway.ts', import.meta.url));
const CONFIG = fileURLToPath(new URL('./schemathesis/schemathesis.toml', import.meta.url));
const ADMIN_TOKEN = 'contract-test-admin-token-0001';
const SEED = '20291';

interface Run {
  code: number | null;
  output: string;
}

async function startServer(dir: string, env: NodeJS.ProcessEnv): Promise<{ url: string; server: Managed }> {
  const [api, xds] = [await freePort(), await freePort()];
  const args = ['--import', 'tsx', CLI, 'serve', '--data-dir', join(dir, 'data'), '--api-port', String(api), '--xds-port', String(xds), '--log-level', 'warn'];
  const server = startProcess('control-plane', process.execPath, args, join(dir, 'control-plane.log'), { ...process.env, ...env });
  const url = `http://127.0.0.1:${api}`;
  await waitFor('the control plane to answer', async () => (await fetch(`${url}/healthz`).catch(() => undefined))?.status === 200, 30000);
  return { url, server };
}

const ALL_PHASES = ['examples', 'coverage', 'fuzzing', 'stateful'];

function schemathesis(dir: string, url: string, phases: string[], headers: string[]): Promise<Run> {
  const args = [
    '--config-file', CONFIG, 'run', `${url}/openapi.json`,
    '--phases', phases.join(','), '--checks', 'all',
    '--seed', SEED, '--workers', '1', '--no-color', '--output-truncate', 'true',
    ...headers.flatMap((h) => ['-H', h]),
  ];
  // cwd: its reports and caches go to the temp directory, not the checkout.
  const child = spawn(schemathesisBin(), args, { cwd: dir, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

const title = (phase: string) => phase[0]!.toUpperCase() + phase.slice(1);

/** The run's summary: which phases passed, and how many test cases ran and passed. */
function summary(output: string) {
  const phases = Object.fromEntries(ALL_PHASES.map((p) => [p, new RegExp(`✅ ${title(p)}\\n`).test(output)]));
  const cases = /Test cases:\n\s+(\d+) generated, (\d+) passed(?:, (\d+) skipped)?\n/.exec(output);
  const links = /API Links:\s+(\d+) covered/.exec(output);
  return {
    phases,
    failures: /^Failures:/m.test(output) || /^Errors:/m.test(output),
    generated: Number(cases?.[1] ?? 0),
    passed: Number(cases?.[2] ?? 0),
    linksCovered: Number(links?.[1] ?? 0),
  };
}

/** Asserts a clean run; returns its summary line ("2616 generated, 2616 passed, 50 skipped") for the test's log. */
function assertClean(run: Run, phases: string[], minimumCases: number): string {
  const result = summary(run.output);
  assert.equal(run.code, 0, `schemathesis found mismatches:\n${run.output}`);
  assert.deepEqual(result.phases, Object.fromEntries(ALL_PHASES.map((p) => [p, phases.includes(p)])), run.output);
  assert.equal(result.failures, false, run.output);
  assert.ok(result.generated >= minimumCases, `${result.generated} test cases generated, expected at least ${minimumCases}:\n${run.output}`);
  assert.equal(result.passed, result.generated, run.output);
  assert.ok(result.linksCovered > 0, `the stateful phase followed no links:\n${run.output}`);
  return /Test cases:\n\s+(.+)\n/.exec(run.output)![1]!;
}

describe('API contract (schemathesis against laneway serve)', () => {
  const dirs: string[] = [];
  const servers: Managed[] = [];
  after(async () => {
    for (const server of servers) await server.stop();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  async function contractRun(env: NodeJS.ProcessEnv, phases: string[], headers: string[]): Promise<Run> {
    const dir = mkdtempSync(join(tmpdir(), 'laneway-api-contract-'));
    dirs.push(dir);
    const { url, server } = await startServer(dir, env);
    servers.push(server);
    try {
      return await schemathesis(dir, url, phases, headers);
    } finally {
      await server.stop();
    }
  }

  test('with API tokens: every answer matches the document, and requests without a known token are refused', async (t) => {
    const run = await contractRun({ LANEWAY_API_TOKENS: `ci:admin:${ADMIN_TOKEN}` }, ALL_PHASES, [`Authorization: Bearer ${ADMIN_TOKEN}`]);
    t.diagnostic(`schemathesis: ${assertClean(run, ALL_PHASES, 2000)}`);
  });

  // The routes answer as above; what differs is the document's security. The coverage phase (most of
  // the time) is left to the run above, so the test stays within about two and a half minutes.
  test('without tokens, on loopback: every answer matches the document, which asks for no credentials', async (t) => {
    const phases = ['examples', 'fuzzing', 'stateful'];
    const run = await contractRun({ LANEWAY_API_TOKENS: '', LANEWAY_TOKENS_FILE: '' }, phases, []);
    t.diagnostic(`schemathesis: ${assertClean(run, phases, 400)}`);
  });
});

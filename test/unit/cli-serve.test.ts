// `laneway serve` runs the control plane with npm start's flags; the CLI then drives it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { waitFor } from '../../deploy/local/processes.js';

// The CLI's sources through tsx, so the test needs no build; test/e2e/package.test.ts runs
// bin/laneway.js (the compiled CLI) from the packed package.
const CLI = ['--import', 'tsx', join(import.meta.dirname, '../../control-plane/src/cli/laneway.ts')];
const root = mkdtempSync(join(tmpdir(), 'laneway-cli-serve-'));
after(() => rmSync(root, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { env: { PATH: process.env.PATH, HOME: root, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

test('laneway serve starts the control plane, answers the CLI, and stops cleanly on SIGTERM', async () => {
  const server = spawn(process.execPath, [...CLI, 'serve', '--api-port', '0', '--xds-port', '0', '--host', '127.0.0.1', '--data-dir', join(root, 'data')], {
    env: { PATH: process.env.PATH, HOME: root }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  server.stdout.on('data', (c: Buffer) => (log += c));
  server.stderr.on('data', (c: Buffer) => (log += c));
  const exited = new Promise<number | null>((resolve) => server.on('exit', (code) => resolve(code)));
  try {
    await waitFor('the control plane to log that it is ready', async () => /"msg":"laneway control plane ready"/.test(log), 30000);
    const lines = log.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; apiPort?: number });
    assert.ok(lines.some((l) => l.msg.startsWith('no API tokens configured: the REST API answers only clients on this host (loopback)')), 'the startup log says the API is loopback-only');
    const apiPort = lines.find((l) => l.msg === 'laneway control plane ready')!.apiPort!;
    const env = { LANEWAY_SERVER: `http://127.0.0.1:${apiPort}` };
    const file = join(root, 'orders.yaml');
    writeFileSync(file, 'kind: Service\nname: orders\nprotocol: http\nport: 8080\n');
    assert.deepEqual(await run(['service', 'apply', '-f', file], env), { code: 0, stdout: 'service/orders created\n' });
    assert.deepEqual(await run(['service', 'list'], env), { code: 0, stdout: 'NAME     PROTOCOL   PORT   ENDPOINTS\norders   http       8080   -\n' });
  } finally {
    server.kill('SIGTERM');
  }
  assert.equal(await exited, 0);
});

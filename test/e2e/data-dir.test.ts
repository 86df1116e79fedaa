// One writer per data directory, and a data directory that fills up. Real control-plane processes:
// a second one on a locked directory exits naming the holder; a SIGKILLed holder does not block the
// next start; a disk that fills mid-churn (a small tmpfs, mounted here as root) refuses writes with
// a 507 that says why, loses no acknowledged write, and takes writes again once space is freed.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { freePort, waitFor } from '../../deploy/local/processes.js';

const MAIN = fileURLToPath(new URL('../../control-plane/src/main.ts', import.meta.url));

interface ControlPlane {
  child: ChildProcess;
  apiUrl: string;
  output: () => string;
  exited: Promise<number | null>;
}

async function startControlPlane(dataDir: string): Promise<ControlPlane> {
  const [apiPort, xdsPort] = [await freePort(), await freePort()];
  const args = ['--import', 'tsx', MAIN, '--data-dir', dataDir, '--api-port', String(apiPort), '--xds-port', String(xdsPort), '--log-level', 'warn'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, apiUrl: `http://127.0.0.1:${apiPort}`, output: () => output, exited };
}

async function call(cp: ControlPlane, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const response = await fetch(cp.apiUrl + path, { method, ...(body !== undefined && { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }) });
  return { status: response.status, body: await response.json() };
}

async function ready(cp: ControlPlane): Promise<ControlPlane> {
  await waitFor('the control plane to answer', async () => (await call(cp, 'GET', '/healthz').catch(() => ({ status: 0 }))).status === 200, 20000);
  return cp;
}

async function killed(cp: ControlPlane): Promise<void> {
  cp.child.kill('SIGKILL');
  await cp.exited;
}

const lane = (i: number, round: number) => ({ services: { orders: [`10.1.${round % 250}.${(i % 250) + 1}:8080`] }, description: `round ${round} `.padEnd(400, '.') });

describe('data directory', () => {
  const root = mkdtempSync(join(tmpdir(), 'laneway-data-dir-'));
  const running: ControlPlane[] = [];
  after(async () => {
    for (const cp of running) if (cp.child.exitCode === null && cp.child.signalCode === null) await killed(cp);
    rmSync(root, { recursive: true, force: true });
  });

  test('a second control plane on a locked directory exits naming it and the holder; the first keeps every write; a SIGKILLed holder does not block', async () => {
    const dataDir = join(root, 'locked');
    const first = await ready(await startControlPlane(dataDir));
    running.push(first);
    assert.equal((await call(first, 'PUT', '/v1/services/orders', { protocol: 'http', port: 8080 })).status, 201);
    for (let i = 0; i < 3; i++) assert.equal((await call(first, 'PUT', `/v1/lanes/lane-${i}`, lane(i, 0))).status, 201);

    const second = await startControlPlane(dataDir);
    running.push(second);
    assert.equal(await second.exited, 1);
    assert.match(second.output(), new RegExp(`laneway: data directory ${dataDir} is in use by another control plane \\(pid ${first.child.pid} on host [^,]+, since \\d{4}-`));

    for (let i = 3; i < 6; i++) assert.equal((await call(first, 'PUT', `/v1/lanes/lane-${i}`, lane(i, 0))).status, 201);
    await killed(first);
    const third = await ready(await startControlPlane(dataDir));
    running.push(third);
    const names = (await call(third, 'GET', '/v1/lanes')).body.items.map((l: { name: string }) => l.name);
    assert.deepEqual(names, ['lane-0', 'lane-1', 'lane-2', 'lane-3', 'lane-4', 'lane-5']);
    await killed(third);
  });

  test('a disk that fills mid-churn: no acknowledged write lost, every refusal says why, writes resume once space is freed, without a restart', async (t) => {
    const mountPoint = join(root, 'tmpfs');
    mkdirSync(mountPoint);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint], { stdio: 'pipe' });
    } catch (err) {
      t.skip(`cannot mount a tmpfs here (needs root): ${(err as Error).message.split('\n')[0]}`);
      return;
    }
    t.after(() => execFileSync('umount', ['-l', mountPoint]));
    const dataDir = join(mountPoint, 'data');
    const cp = await ready(await startControlPlane(dataDir));
    running.push(cp);
    assert.equal((await call(cp, 'PUT', '/v1/services/orders', { protocol: 'http', port: 8080 })).status, 201);

    // What each lane was last acknowledged as; a refused write must leave it as it was.
    const acknowledged = new Map<string, string>();
    const refusals: string[] = [];
    const churn = async (round: number) => {
      for (let i = 0; i < 20; i++) {
        const answer = await call(cp, 'PUT', `/v1/lanes/lane-${i}`, lane(i, round));
        if (answer.status === 200 || answer.status === 201) acknowledged.set(`lane-${i}`, answer.body.description);
        else {
          assert.equal(answer.status, 507, JSON.stringify(answer.body));
          assert.equal(answer.body.error, 'insufficient_storage');
          assert.match(answer.body.message, new RegExp(`^data directory ${dataDir}: no space left on device; the write was not saved`));
          refusals.push(`lane-${i}`);
        }
      }
    };
    await churn(1);
    assert.equal(refusals.length, 0);
    // Fill what is left of the tmpfs, then keep writing.
    const filler = join(mountPoint, 'filler');
    try {
      execFileSync('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { stdio: 'pipe' });
    } catch {
      // dd stops with "No space left on device": that is the point.
    }
    for (let round = 2; round < 6; round++) await churn(round);
    assert.ok(refusals.length >= 20, `writes were refused once the disk was full (${refusals.length})`);
    const notReady = await call(cp, 'GET', '/readyz');
    assert.equal(notReady.status, 503);
    assert.match(notReady.body.message, new RegExp(`^data directory ${dataDir}: no space left on device`));

    rmSync(filler);
    await waitFor('/readyz to recover by itself', async () => (await call(cp, 'GET', '/readyz')).status === 200, 5000);
    const before = refusals.length;
    await churn(6);
    assert.equal(refusals.length, before, 'every write succeeds again');

    // Nothing acknowledged is lost: a SIGKILL and a restart read back exactly the acknowledged values.
    await killed(cp);
    const restarted = await ready(await startControlPlane(dataDir));
    running.push(restarted);
    const lanes = (await call(restarted, 'GET', '/v1/lanes')).body.items as { name: string; description: string }[];
    assert.deepEqual(new Map(lanes.map((l) => [l.name, l.description])), acknowledged);
    await killed(restarted);
  });
});


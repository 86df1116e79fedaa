// `laneway lane create --wait` and `laneway apply --wait`: the CLI polls GET /v1/lanes/:name until
// every fork is ready (exit 0), fails at once on a reason waiting will not fix (exit 8), or times
// out naming what is not ready (exit 9). Against the real control plane in store mode (a lane
// without forks), and against a STAND-IN: a tiny node:http server that answers GET with canned
// lane views in turn, as the Kubernetes-mode API would while a fork comes up (store mode has no
// forks, and a real fork needs the cluster: test/bench/forks-create-to-routed.ts runs that).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { pino } from 'pino';
import { buildApi } from '../../control-plane/src/api/server.js';
import { runCli } from '../../control-plane/src/cli/laneway.js';
import type { ForkStatus } from '../../control-plane/src/sources/kubernetes/mapping.js';
import { FileStore } from '../../control-plane/src/sources/store.js';

const root = mkdtempSync(join(tmpdir(), 'laneway-wait-'));
after(() => rmSync(root, { recursive: true, force: true }));

const FORKS_SPEC = [{ workload: 'Deployment/orders', containers: [{ image: 'registry.example/orders:pr-42' }] }];
const fork = (reason: ForkStatus['reason'], message: string, ready = false): ForkStatus => ({
  workload: 'Deployment/orders', deployment: 'orders-pr-42-fork', ready, replicas: 1, readyReplicas: ready ? 1 : 0, images: { orders: 'registry.example/orders:pr-42' }, reason, message,
});
const view = (status?: ForkStatus[]) => ({ name: 'pr-42', services: {}, forks: FORKS_SPEC, resourceVersion: '7', ...(status && { status: { forks: status } }) });

/** The stand-in: POST answers 201 with the lane; each GET answers the next canned view (the last one repeats). */
async function standIn(gets: Array<{ status: number; body: unknown }>): Promise<{ url: string; server: Server; getCount: () => number }> {
  let served = 0;
  const server = createServer((req, res) => {
    const answer = req.method === 'POST' ? { status: 201, body: view() } : gets[Math.min(served++, gets.length - 1)]!;
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server, getCount: () => served };
}

async function laneway(server: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(['--server', server, ...args], { env: {}, stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
  return { code, stdout, stderr };
}

const NOT_FOUND = { status: 404, body: { error: 'not_found', message: 'lane "pr-42" does not exist', details: [] } };

describe('laneway lane create --wait', () => {
  test('real control plane, store mode: a lane without forks is done once served', async () => {
    const store = await FileStore.open(join(root, 'store'));
    const app = buildApi({ store, getState: () => store.state(), ready: () => true, logger: pino({ level: 'silent' }) });
    await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const run = await laneway(url, ['lane', 'create', 'feature-x', '--wait', '--timeout', '10s']);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^lane\/feature-x created\n/);
      assert.ok(run.stdout.endsWith('lane/feature-x served (no forks)\n'), run.stdout);
      writeFileSync(join(root, 'lane.yaml'), 'kind: Lane\nname: feature-y\n');
      const applied = await laneway(url, ['apply', '-f', join(root, 'lane.yaml'), '--wait']);
      assert.deepEqual([applied.code, applied.stdout], [0, 'lane/feature-y created\nlane/feature-y served (no forks)\n']);
    } finally {
      await app.close();
    }
  });

  test('stand-in: not served, no status yet, Pending, then Ready: exit 0 with a summary', async () => {
    const { url, server, getCount } = await standIn([
      NOT_FOUND,
      { status: 200, body: view() },
      { status: 200, body: view([fork('Pending', 'fork Deployment not created yet')]) },
      { status: 200, body: view([fork('Ready', '1/1 ready', true)]) },
    ]);
    try {
      const run = await laneway(url, ['lane', 'create', 'pr-42', '--wait']);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.stdout.endsWith('lane/pr-42 ready: Deployment/orders 1/1 (orders=registry.example/orders:pr-42)\n'), run.stdout);
      assert.equal(getCount(), 4);
    } finally {
      server.close();
    }
  });

  test('stand-in: an image pull error fails at once with the reason, exit 8', async () => {
    const message = 'pod orders-pr-42-fork-7d9f8-x2x4q container orders cannot pull image "registry.example/orders:pr-42" (ErrImagePull)';
    const { url, server, getCount } = await standIn([{ status: 200, body: view([fork('ImagePullError', message)]) }, { status: 200, body: view([fork('Ready', '1/1 ready', true)]) }]);
    try {
      const run = await laneway(url, ['lane', 'create', 'pr-42', '--wait']);
      assert.deepEqual([run.code, run.stderr], [8, `laneway: lane pr-42 will not be ready: fork Deployment/orders: ImagePullError: ${message}\n`]);
      assert.equal(getCount(), 1);
    } finally {
      server.close();
    }
  });

  test('stand-in: never ready: exit 9 after the timeout, naming what is not ready', async () => {
    const { url, server } = await standIn([{ status: 200, body: view([fork('NotReady', '0/1 ready; not ready: orders-pr-42-fork-7d9f8-x2x4q (ContainersNotReady: containers with unready status: [orders])')]) }]);
    try {
      const started = Date.now();
      const run = await laneway(url, ['lane', 'create', 'pr-42', '--wait', '--timeout', '1s']);
      assert.deepEqual([run.code, run.stderr], [9, 'laneway: timed out after 1s waiting for lane pr-42: Deployment/orders (NotReady: 0/1 ready; not ready: orders-pr-42-fork-7d9f8-x2x4q (ContainersNotReady: containers with unready status: [orders]))\n']);
      assert.ok(Date.now() - started >= 1000 && Date.now() - started < 10_000, 'waits the 1 s given, not the 5 min default');
    } finally {
      server.close();
    }
  });

  test('a bad --timeout, or --timeout without --wait, is a usage error and creates nothing', async () => {
    const { url, server, getCount } = await standIn([NOT_FOUND]);
    try {
      assert.equal((await laneway(url, ['lane', 'create', 'pr-42', '--wait', '--timeout', 'soon'])).code, 2);
      assert.equal((await laneway(url, ['lane', 'create', 'pr-42', '--timeout', '5m'])).code, 2);
      assert.equal(getCount(), 0);
    } finally {
      server.close();
    }
  });

  const crashLoop = 'pod orders-pr-42-fork-7d9f8-x2x4q container orders is crash-looping (restarted 5 times; last exit: Error, code 1)';
  const getCases: Array<[string, unknown, string]> = [
    ['each fork: ready n/m, images, reason and message', view([fork('CrashLoop', crashLoop)]), `0/1 ready; orders=registry.example/orders:pr-42; CrashLoop: ${crashLoop}`],
    ['before the status describes a fork: the image(s) it asks for', view(), 'status not reported yet; asks for registry.example/orders:pr-42'],
  ];
  for (const [name, body, forkLine] of getCases) {
    test(`laneway lane get prints ${name}`, async () => {
      const { url, server } = await standIn([{ status: 200, body }]);
      try {
        const run = await laneway(url, ['lane', 'get', 'pr-42']);
        assert.equal(run.stdout, [
          'FIELD                    VALUE',
          'name                     pr-42',
          'fallback                 stable',
          `fork Deployment/orders   ${forkLine}`,
          'resourceVersion          7',
          '',
        ].join('\n'));
      } finally {
        server.close();
      }
    });
  }
});

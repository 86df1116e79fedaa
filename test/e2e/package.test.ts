// The package a user installs: build, `npm pack`, `npm install <tarball>` into an empty folder (its
// dependencies from the registry or npm's cache, no dev dependencies, no tsx, no sources), then
// `npx laneway --help` and `npx laneway serve` from there. A service and a lane defined through
// that control plane's API reach a real ingress Envoy, which routes x-lane to the lane's instance
// and everything else to stable.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startDemoService, type DemoService } from '../../deploy/demo/service.js';
import { renderBootstrap } from '../../deploy/local/bootstrap.js';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { get, waitForPath } from '../support/mesh-client.js';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const HOST = '127.0.0.1';

/** Runs a command, returning stdout and how long it took; a failure carries its stderr. */
async function timed(cmd: string, args: string[], cwd: string): Promise<{ stdout: string; ms: number }> {
  const started = performance.now();
  const { stdout } = await run(cmd, args, { cwd, encoding: 'utf8', maxBuffer: 16 << 20 });
  return { stdout, ms: performance.now() - started };
}

/** `npx laneway serve` in its own process group, so stopping it reaches node under npm exec too. */
function serve(app: string, args: string[], logFile: string): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn('npx', ['--no-install', 'laneway', 'serve', ...args], { cwd: app, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  return child;
}

function stopGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.pid === undefined) return Promise.resolve();
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  process.kill(-child.pid, 'SIGTERM');
  return exited;
}

describe('the packed package, installed into an empty folder', () => {
  const work = mkdtempSync(join(tmpdir(), 'laneway-package-'));
  const app = join(work, 'app');
  let server: ChildProcess | undefined;
  let envoy: Managed | undefined;
  const backends: DemoService[] = [];
  let apiUrl = '';
  let xdsPort = 0;
  let setupTimes = '';

  before(async () => {
    mkdirSync(app);
    const build = await timed(process.execPath, ['scripts/build.mjs'], ROOT);
    // --ignore-scripts: the build above is what prepack would run; prepare would regenerate protos.
    const pack = await timed('npm', ['pack', '--ignore-scripts', '--pack-destination', work, '--json'], ROOT);
    const tarball = join(work, (JSON.parse(pack.stdout) as { filename: string }[])[0]!.filename);
    writeFileSync(join(app, 'package.json'), '{ "name": "laneway-package-test", "private": true }\n');
    const install = await timed('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], app);
    setupTimes = `build ${build.ms.toFixed(0)} ms, pack ${pack.ms.toFixed(0)} ms, install ${install.ms.toFixed(0)} ms`;
  });

  after(async () => {
    if (envoy) await envoy.stop();
    await Promise.all(backends.map((b) => b.close()));
    if (server) await stopGroup(server);
    rmSync(work, { recursive: true, force: true });
  });

  test('holds compiled JavaScript and production dependencies only', (t) => {
    t.diagnostic(setupTimes);
    const installed = join(app, 'node_modules/laneway');
    assert.ok(existsSync(join(installed, 'dist/control-plane/src/main.js')));
    assert.ok(existsSync(join(installed, 'dist/control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js')));
    assert.ok(existsSync(join(installed, 'dist/ui/index.html')), 'the built dashboard');
    assert.equal(existsSync(join(installed, 'control-plane')), false, 'no TypeScript sources');
    assert.equal(existsSync(join(installed, 'test')), false, 'no tests');
    assert.equal(existsSync(join(app, 'node_modules/tsx')), false, 'tsx is a dev dependency');
    assert.equal(existsSync(join(app, 'node_modules/typescript')), false, 'typescript is a dev dependency');
    const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')) as { bin: Record<string, string> };
    assert.deepEqual(manifest.bin, { laneway: 'bin/laneway.js' });
  });

  test('npx laneway --help prints the usage', async () => {
    const { stdout } = await timed('npx', ['--no-install', 'laneway', '--help'], app);
    assert.match(stdout, /^usage: laneway <command> \[options\]\n/);
  });

  test('npx laneway serve answers the API, and an Envoy routes through what it defines', async (t) => {
    const apiPort = await freePort(HOST);
    xdsPort = await freePort(HOST);
    apiUrl = `http://${HOST}:${apiPort}`;
    const args = ['--api-port', String(apiPort), '--xds-port', String(xdsPort), '--host', HOST, '--data-dir', join(work, 'data')];
    server = serve(app, args, join(work, 'serve.log'));
    await waitFor('the installed control plane to be ready', async () => (await fetch(`${apiUrl}/readyz`)).ok, 30000);
    const dashboard = await fetch(`${apiUrl}/ui/`);
    assert.equal(dashboard.status, 200, 'the installed control plane serves its dashboard');
    assert.match(await dashboard.text(), /<title>Laneway<\/title>/);

    for (const lane of ['stable', 'feature-x']) {
      backends.push(await startDemoService({ service: 'frontend', lane, host: HOST, port: 0, calls: [], propagate: ['x-lane'] }));
    }
    const [stable, featureX] = backends.map((b) => `${HOST}:${b.port}`);
    await put('/v1/services/frontend', { protocol: 'http', port: 8080, endpoints: [stable] });
    await put('/v1/settings', { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'frontend' });
    await put('/v1/lanes/feature-x', { services: { frontend: [featureX] } });

    const listenerPort = await freePort(HOST);
    const adminPort = await freePort(HOST);
    const bootstrap = join(work, 'ingress.envoy.yaml');
    const vars = { NODE_ID: 'ingress', LISTENER_ADDRESS: HOST, LISTENER_PORT: listenerPort, ADMIN_PORT: adminPort, XDS_HOST: HOST, XDS_PORT: xdsPort };
    writeFileSync(bootstrap, renderBootstrap('ingress', vars));
    const envoyArgs = ['-c', bootstrap, '--disable-hot-restart', '--concurrency', '1', '-l', 'warn'];
    envoy = startProcess('ingress', process.env.LANEWAY_ENVOY_BIN ?? 'envoy', envoyArgs, join(work, 'ingress.envoy.log'));

    const ingress = `http://${HOST}:${listenerPort}`;
    const ms = await waitForPath(ingress, { 'x-lane': 'feature-x' }, 'frontend/feature-x', 60000);
    t.diagnostic(`Envoy started and routed to the lane in ${ms.toFixed(0)} ms`);
    assert.equal((await get(ingress)).path, 'frontend/stable');
    assert.equal((await get(ingress, { 'x-lane': 'no-such-lane' })).path, 'frontend/stable');
  });

  async function put(path: string, body: unknown): Promise<void> {
    const res = await fetch(`${apiUrl}${path}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    assert.ok(res.ok, `PUT ${path}: ${res.status} ${await res.text()}`);
  }
});

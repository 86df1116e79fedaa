// `laneway envoy` end to end, with the compiled CLI: two plain HTTP apps of a service "orders"
// (stable and lane feature-x), each with a sidecar started by `laneway envoy --register`, and an
// ingress by `laneway envoy --ingress`. Definitions come from `laneway apply` (no endpoints in
// them); no API call registers anything. Then: kill -9 of the lane's Envoy (gone within the grace
// period plus 1 s, traffic falls back to stable), its restart, conflicts, a control-plane restart.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LANEWAY = join(ROOT, 'bin/laneway.js');
const HOST = '127.0.0.1';
const GRACE_MS = 1000;
const run = promisify(execFile);

const DEFINITIONS = `kind: Service
name: orders
protocol: http
port: 8080
---
kind: Lane
name: feature-x
services: {}
---
kind: Settings
entryService: orders
`;

/** A plain HTTP app answering its own name. */
function startApp(name: string, port: number): Promise<http.Server> {
  const server = http.createServer((_req, res) => res.end(name));
  return new Promise((r) => server.listen(port, HOST, () => r(server)));
}

/** GET through the ingress: the body, or the status when it is not 200. */
function viaIngress(port: number, lane?: string): Promise<string> {
  return new Promise((resolve) => {
    const req = http.get({ host: HOST, port, path: '/', headers: { host: 'orders', ...(lane && { 'x-lane': lane }) } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve(res.statusCode === 200 ? body : `HTTP ${res.statusCode}`));
    });
    req.on('error', (err) => resolve(`error ${err.message}`));
  });
}

describe('laneway envoy --register: your own apps in a lane, no API registration', () => {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-envoy-command-'));
  const ports: Record<string, number> = {};
  const apps: http.Server[] = [];
  const envoys = new Map<string, Managed>();
  let controlPlane: Managed | undefined;
  const api = (path: string) => fetch(`http://${HOST}:${ports.api}${path}`).then((r) => r.json() as Promise<any>);
  const env = () => ({ ...process.env, LANEWAY_SERVER: `http://${HOST}:${ports.api}`, LANEWAY_XDS_SERVER: `${HOST}:${ports.xds}` });

  const startControlPlane = async () => {
    controlPlane = startProcess('control-plane', process.execPath, [LANEWAY, 'serve', '--data-dir', join(dir, 'data'), '--api-port', String(ports.api), '--xds-port', String(ports.xds), '--push-hold-off-ms', '0', '--registration-grace-ms', String(GRACE_MS)], join(dir, 'control-plane.log'));
    await waitFor('the control plane', async () => (await fetch(`http://${HOST}:${ports.api}/healthz`)).ok);
  };
  const startEnvoy = (name: string, args: string[]) => {
    envoys.set(name, startProcess(name, process.execPath, [LANEWAY, 'envoy', ...args], join(dir, `${name}.log`), env()));
  };
  const laneSidecar = () => startEnvoy('orders-feature-x', ['--service', 'orders', '--lane', 'feature-x', '--register', `${HOST}:${ports.laneApp}`, '--listen', `${HOST}:${ports.laneSidecar}`]);
  const waitForAnswer = (lane: string | undefined, expected: string, timeoutMs = 20_000) =>
    waitFor(`${lane ?? 'no lane'} -> ${expected}`, async () => (await viaIngress(ports.ingress!, lane)) === expected, timeoutMs);

  before(async () => {
    execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: ROOT, stdio: 'ignore' });
    for (const name of ['api', 'xds', 'ingress', 'stableApp', 'laneApp', 'stableSidecar', 'laneSidecar', 'conflictSidecar']) ports[name] = await freePort();
    await startControlPlane();
    writeFileSync(join(dir, 'orders.yaml'), DEFINITIONS);
    await run(process.execPath, [LANEWAY, 'apply', '-f', join(dir, 'orders.yaml')], { env: env() });
    apps.push(await startApp('orders stable', ports.stableApp!), await startApp('orders feature-x', ports.laneApp!));
    startEnvoy('ingress', ['--ingress', '--listen', `${HOST}:${ports.ingress}`]);
    startEnvoy('orders-stable', ['--service', 'orders', '--register', `${HOST}:${ports.stableApp}`, '--listen', `${HOST}:${ports.stableSidecar}`]);
    laneSidecar();
  });

  after(async () => {
    await Promise.all([...envoys.values()].map((e) => e.stop()));
    await controlPlane?.stop();
    await Promise.all(apps.map((a) => new Promise((r) => a.close(r))));
    rmSync(dir, { recursive: true, force: true });
  });

  test('x-lane: feature-x reaches the lane app, no header reaches stable', async () => {
    await waitForAnswer('feature-x', 'orders feature-x');
    await waitForAnswer(undefined, 'orders stable');
  });

  test('the API shows the registered endpoints as registered, not stored', async () => {
    const lane = await api('/v1/lanes/feature-x');
    assert.deepEqual(lane.services, {});
    assert.deepEqual(lane.registered, { orders: [`${HOST}:${ports.laneApp}`] });
    const service = await api('/v1/services/orders');
    assert.deepEqual(service.endpoints, []);
    assert.deepEqual(service.registered, [`${HOST}:${ports.stableApp}`]);
    const { items } = await api('/v1/registrations');
    assert.deepEqual(items, [
      { service: 'orders', lane: 'feature-x', address: `${HOST}:${ports.laneApp}`, status: 'active', nodes: [`orders-feature-x-${ports.laneSidecar}`] },
      { service: 'orders', lane: 'stable', address: `${HOST}:${ports.stableApp}`, status: 'active', nodes: [`orders-stable-${ports.stableSidecar}`] },
    ]);
  });

  test('kill -9 of the lane\'s Envoy: within the grace period + 1 s the endpoint is gone and the lane falls back to stable; a restart brings it back', async (t) => {
    const sidecar = envoys.get('orders-feature-x')!;
    // The Envoy itself: the child of `laneway envoy` (setpriv execs envoy in place).
    const envoyPid = Number(execFileSync('pgrep', ['-P', String(sidecar.child.pid)], { encoding: 'utf8' }).trim());
    const killedAt = Date.now();
    process.kill(envoyPid, 'SIGKILL');
    await new Promise((r) => sidecar.child.once('exit', r));
    assert.equal(sidecar.child.exitCode, 137, 'laneway envoy exits as envoy did (128 + SIGKILL)');
    await waitFor('the registration to go', async () => (await api('/v1/lanes/feature-x')).registered === undefined, GRACE_MS + 1000);
    await waitForAnswer('feature-x', 'orders stable', GRACE_MS + 1000 - (Date.now() - killedAt));
    t.diagnostic(`gone and falling back to stable ${Date.now() - killedAt} ms after kill -9 (grace ${GRACE_MS} ms)`);
    laneSidecar();
    await waitForAnswer('feature-x', 'orders feature-x');
  });

  test('conflicts are answered in the proxy status and the API, and change nothing else', async () => {
    startEnvoy('orders-nope', ['--service', 'orders', '--lane', 'nope', '--register', `${HOST}:${ports.laneApp}`, '--listen', `${HOST}:${ports.conflictSidecar}`]);
    const id = `orders-nope-${ports.conflictSidecar}`;
    await waitFor('the conflicting sidecar', async () => (await fetch(`http://${HOST}:${ports.api}/v1/proxies/${id}`)).ok);
    const proxy = await api(`/v1/proxies/${id}`);
    assert.deepEqual(proxy.registration, {
      service: 'orders', lane: 'nope', address: `${HOST}:${ports.laneApp}`, status: 'conflict',
      reason: 'lane "nope" does not exist; create it first (laneway lane create nope)', nodes: [id],
    });
    const { stdout } = await run(process.execPath, [LANEWAY, 'proxy', 'status'], { env: env() });
    assert.ok(stdout.includes(`${id} registers ${HOST}:${ports.laneApp} as orders/nope: CONFLICT: lane "nope" does not exist; create it first (laneway lane create nope)\n`), stdout);
    assert.equal(await viaIngress(ports.ingress!, 'feature-x'), 'orders feature-x');
    await envoys.get('orders-nope')!.stop();
  });

  test('a control-plane restart: the Envoys reconnect and register again', async () => {
    await controlPlane!.stop();
    await startControlPlane();
    await waitFor('registrations again', async () => (await api('/v1/registrations')).items.length === 2);
    await waitForAnswer('feature-x', 'orders feature-x');
    await waitForAnswer(undefined, 'orders stable');
  });
});

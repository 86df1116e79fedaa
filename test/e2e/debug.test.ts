// Debugging against real Envoys: proxy status, `laneway proxy diff` against each live admin
// /config_dump, a NACK forced with the test-only fault injection, and explain checked against the
// x-lane-served-by header of real requests.
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { waitFor } from '../../deploy/local/processes.js';
import { LocalMesh } from '../../deploy/local/mesh.js';
import type { OutputFormat } from '../../control-plane/src/cli/command.js';
import { explainCommand } from '../../control-plane/src/cli/commands/explain.js';
import { proxyCommand } from '../../control-plane/src/cli/commands/proxy.js';
import { createCliContext } from '../../control-plane/src/cli/context.js';
import { counters } from '../support/envoy-admin.js';
import { get, waitForPath } from '../support/mesh-client.js';

const FEATURE_Y = 'frontend/stable orders/feature-x payments/feature-y';
const XDS = ['CDS', 'EDS', 'LDS', 'RDS'];

/** One request through a proxy: its served-by header, and whether an upstream answered (not Envoy itself). */
function served(url: string, headers: Record<string, string>): Promise<{ servedBy?: string; upstream: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers }, (res) => {
      res.resume();
      res.on('end', () => {
        const servedBy = res.headers['x-lane-served-by'];
        // payments speaks gRPC and answers this plain GET with 415: still an answer from the instance.
        resolve({ ...(typeof servedBy === 'string' && { servedBy }), upstream: res.headers['x-envoy-upstream-service-time'] !== undefined });
      });
    });
    req.setTimeout(5000, () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

interface Proxy {
  id: string;
  types: Record<string, { status: string; sentVersion: string | null; ackedVersion: string | null; nackError: string | null; responsesSent: number; nacks: number }>;
}

describe('debugging through real Envoys', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-e2e-debug-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });
  /** node id -> Envoy admin URL */
  const admins = new Map<string, string>();

  async function cli(command: typeof proxyCommand, args: string[], output: OutputFormat = 'table') {
    let stdout = '';
    let stderr = '';
    const ctx = createCliContext({ server: mesh.apiUrl, output }, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t) });
    const code = await command.run(args, ctx);
    return { code, stdout, stderr };
  }

  async function proxies(): Promise<Proxy[]> {
    return (await mesh.api('GET', '/v1/proxies')).body.items;
  }

  async function proxy(id: string): Promise<Proxy> {
    return (await mesh.api('GET', `/v1/proxies/${id}`)).body;
  }

  async function waitAllSynced(): Promise<void> {
    await waitFor('every proxy SYNCED for every type', async () => {
      const all = await proxies();
      return all.length === admins.size && all.every((p) => XDS.every((t) => p.types[t]!.status === 'SYNCED'));
    }, 15000);
  }

  before(async () => {
    process.env.LANEWAY_TEST_FAULTS = '1'; // inherited by the control-plane child process only for this file
    await mesh.startDemo();
    const y = await mesh.addInstance('payments', 'feature-y');
    assert.equal((await mesh.api('PUT', '/v1/lanes/feature-y', { fallback: 'feature-x', services: { payments: [`127.0.0.1:${y.appPort}`] } })).status, 201);
    assert.equal((await mesh.api('PUT', '/v1/lanes/feature-z', { fallback: 'feature-y', services: {} })).status, 201);
    for (const i of mesh.instances) admins.set(`${i.service}-${i.lane}`, `http://127.0.0.1:${i.adminPort}`);
    admins.set('ingress', `http://127.0.0.1:${mesh.ingress.adminPort}`);
    await waitForPath(mesh.ingressUrl, { 'x-lane': 'feature-z' }, FEATURE_Y, 10000);
  });

  after(async () => {
    delete process.env.LANEWAY_TEST_FAULTS;
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('after routing settles every proxy is SYNCED for every type, and proxy diff finds no difference', async () => {
    await waitAllSynced();
    const status = await cli(proxyCommand, ['status']);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^NAME\s+KIND\s+SERVICE\s+LANE\s+CDS\s+EDS\s+LDS\s+RDS\s+REPLICA/);
    assert.match(status.stdout, /orders-feature-x\s+sidecar\s+orders\s+feature-x\s+SYNCED\s+SYNCED\s+SYNCED\s+SYNCED/);
    for (const [id, admin] of admins) {
      const diff = await cli(proxyCommand, ['diff', id, '--admin', admin], 'json');
      assert.deepEqual(JSON.parse(diff.stdout).differences, [], `${id}: ${diff.stdout}`);
      assert.equal(diff.code, 0, id);
    }
    const text = await cli(proxyCommand, ['diff', 'frontend-stable', '--admin', admins.get('frontend-stable')!]);
    assert.equal(text.stdout, 'no differences: frontend-stable runs the dynamic resources the control plane sent it\n');
  });

  test("the config dump has Envoy's shape, filters by resource, and 404s for an unknown proxy", async () => {
    const dump = await mesh.api('GET', '/v1/proxies/orders-stable/config_dump');
    assert.deepEqual(dump.body.configs.map((c: { '@type': string }) => c['@type']), [
      'type.googleapis.com/envoy.admin.v3.ClustersConfigDump',
      'type.googleapis.com/envoy.admin.v3.EndpointsConfigDump',
      'type.googleapis.com/envoy.admin.v3.ListenersConfigDump',
      'type.googleapis.com/envoy.admin.v3.RoutesConfigDump',
    ]);
    const routes = await mesh.api('GET', '/v1/proxies/orders-stable/config_dump?resource=routes');
    assert.equal(routes.body.configs.length, 1);
    const config = routes.body.configs[0].dynamic_route_configs[0];
    assert.equal(config.route_config['@type'], 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration');
    assert.equal(config.route_config.name, 'outbound');
    assert.equal(config.client_status, 'ACKED');
    assert.equal((await mesh.api('GET', '/v1/proxies/orders-stable/config_dump?resource=secrets')).status, 400);
    assert.equal((await mesh.api('GET', '/v1/proxies/no-such-proxy/config_dump')).status, 404);
  });

  test('a rejected config: NACKED with Envoy\'s error, not resent, last good config kept, SYNCED again once removed', async () => {
    const envoyAdmin = Number(new URL(admins.get('frontend-stable')!).port);
    const before = (await proxy('frontend-stable')).types.LDS!;
    const inject = await mesh.api('POST', '/v1/debug/faults', { proxy: 'frontend-stable', kind: 'listener' });
    assert.equal(inject.status, 200, JSON.stringify(inject.body));
    await waitFor('frontend-stable LDS NACKED', async () => (await proxy('frontend-stable')).types.LDS!.status === 'NACKED', 10000);
    const nacked = (await proxy('frontend-stable')).types.LDS!;
    assert.match(nacked.nackError!, /laneway-test-fault: malformed IP address: not-an-ip/);
    assert.equal(nacked.nacks, before.nacks + 1);
    assert.equal(nacked.responsesSent, before.responsesSent + 1);

    // Other changes keep flowing (a new lane reaches the proxy), and still the rejected listeners are not sent again.
    const frontend = mesh.instances.find((i) => i.service === 'frontend' && i.lane === 'stable')!;
    const hotfix = await mesh.api('PUT', '/v1/lanes/hotfix', { services: { orders: mesh.endpointsOf('orders', 'stable') } });
    assert.equal(hotfix.status, 201);
    await waitFor('the hotfix lane to route through the NACKing proxy', async () =>
      (await get(`http://127.0.0.1:${frontend.sidecarPort}`, { host: 'orders', 'x-lane': 'hotfix' })).servedBy === 'orders/hotfix', 10000);
    await waitFor('frontend-stable to ack the new routes', async () => (await proxy('frontend-stable')).types.RDS!.status === 'SYNCED', 10000);
    const later = (await proxy('frontend-stable')).types.LDS!;
    assert.equal(later.status, 'NACKED');
    assert.equal(later.responsesSent, nacked.responsesSent, 'the NACKed listeners were not resent');
    assert.equal(later.nacks, nacked.nacks);
    assert.deepEqual(await counters(envoyAdmin, ['listener_manager.lds.update_rejected']), { 'listener_manager.lds.update_rejected': 1 });

    // Envoy serves with its last good config.
    assert.equal((await get(mesh.ingressUrl, { 'x-lane': 'feature-y' })).path, FEATURE_Y);

    const diff = await cli(proxyCommand, ['diff', 'frontend-stable', '--admin', admins.get('frontend-stable')!]);
    assert.equal(diff.code, 1);
    assert.match(diff.stdout, /^listeners laneway-test-fault: missing in envoy \(Envoy rejected it: malformed IP address: not-an-ip\)$/m);
    const status = await cli(proxyCommand, ['status']);
    assert.match(status.stdout, /^frontend-stable LDS NACKED: Error adding\/updating listener\(s\) laneway-test-fault: malformed IP address: not-an-ip$/m);

    const metrics = await (await fetch(`${mesh.apiUrl}/metrics`)).text();
    assert.match(metrics, /^laneway_xds_nacks_total\{type="LDS"\} 1$/m);
    const log = readFileSync(mesh.controlPlane.logFile, 'utf8').split('\n').filter((l) => l.includes('NACK: proxy rejected config')).map((l) => JSON.parse(l));
    assert.equal(log.length, 1);
    assert.equal(log[0].nodeId, 'frontend-stable');
    assert.equal(log[0].type, 'LDS');
    assert.equal(log[0].version, nacked.sentVersion);
    assert.equal(log[0].acceptedVersion, nacked.ackedVersion);
    assert.match(log[0].error, /malformed IP address/);

    const clear = await mesh.api('DELETE', '/v1/debug/faults');
    assert.equal(clear.status, 200);
    await waitAllSynced();
    assert.equal((await proxy('frontend-stable')).types.LDS!.nackError, null);
    assert.equal((await cli(proxyCommand, ['diff', 'frontend-stable', '--admin', admins.get('frontend-stable')!])).code, 0);
    assert.equal((await mesh.api('DELETE', '/v1/lanes/hotfix')).status, 200);
  });

  test('explain agrees with reality: the lane it names is the x-lane-served-by of a real request', async () => {
    await waitAllSynced();
    const frontend = mesh.instances.find((i) => i.service === 'frontend' && i.lane === 'stable')!;
    const sidecar = `http://127.0.0.1:${frontend.sidecarPort}`;
    const lanes = [undefined, 'feature-x', 'feature-y', 'feature-z', 'no-such-lane', 'FEATURE-X', 'stable'];
    const rows: string[] = [];
    for (const service of ['frontend', 'orders', 'payments']) {
      for (const lane of lanes) {
        const query = new URLSearchParams({ service, from: 'frontend', ...(lane !== undefined && { lane }) });
        const answer = (await mesh.api('GET', `/v1/explain?${query}`)).body;
        const real = await served(sidecar, { host: service, ...(lane !== undefined && { 'x-lane': lane }) });
        assert.ok(real.upstream, `${service} ${lane}: no upstream answered`);
        assert.equal(real.servedBy, answer.servedBy, `${service} for lane ${lane}: explain says ${answer.servedBy}`);
        assert.equal(answer.envoy.agrees, true, JSON.stringify(answer.envoy));
        assert.deepEqual(answer.from.proxies.map((p: { id: string; holdsRoute: boolean }) => [p.id, p.holdsRoute]), [['frontend-stable', true]]);
        rows.push(`${service} ${lane ?? '-'} ${answer.winner}`);
      }
    }
    // Spelled out, so a wrong explain and a wrong Envoy cannot agree by accident.
    assert.deepEqual(rows, [
      'frontend - stable', 'frontend feature-x stable', 'frontend feature-y stable', 'frontend feature-z stable',
      'frontend no-such-lane stable', 'frontend FEATURE-X stable', 'frontend stable stable',
      'orders - stable', 'orders feature-x feature-x', 'orders feature-y feature-x', 'orders feature-z feature-x',
      'orders no-such-lane stable', 'orders FEATURE-X stable', 'orders stable stable',
      'payments - stable', 'payments feature-x stable', 'payments feature-y feature-y', 'payments feature-z feature-y',
      'payments no-such-lane stable', 'payments FEATURE-X stable', 'payments stable stable',
    ]);
    // The ingress enters at the entry service.
    for (const lane of ['feature-x', 'no-such-lane']) {
      const answer = (await mesh.api('GET', `/v1/explain?service=frontend&lane=${lane}&from=ingress`)).body;
      assert.equal((await served(mesh.ingressUrl, { 'x-lane': lane })).servedBy, answer.servedBy);
      assert.equal(answer.from.proxies[0].holdsRoute, true, JSON.stringify(answer.from));
    }
  });

  test('laneway explain prints the chain, the route, the endpoints and their source', async () => {
    const out = await cli(explainCommand, ['orders', 'feature-z', '--from', 'frontend']);
    assert.equal(out.code, 0, out.stderr);
    const [x] = mesh.endpointsOf('orders', 'feature-x');
    const routesVersion = (await proxy('frontend-stable')).types.RDS!.ackedVersion;
    assert.equal(out.stdout, [
      'orders for lane "feature-z" → orders/feature-x',
      '  why:       feature-z, feature-y have no instance of orders; following the fallbacks feature-z → feature-y → feature-x, feature-x has one',
      '  chain:     feature-z (no instance) → feature-y (no instance) → feature-x',
      '             feature-z does not override orders; falls back to feature-y',
      '             feature-y does not override orders; falls back to feature-x',
      '             feature-x overrides orders: 1 endpoint',
      '  envoy:     route configuration outbound, virtual host orders, matcher x-lane = "feature-z" → cluster orders~feature-x',
      `  endpoints: ${x}`,
      '  source:    store',
      `  from frontend-stable: holds the route (acked routes version ${routesVersion})`,
      '',
    ].join('\n'));
    const missing = await cli(explainCommand, ['no-such-service']);
    assert.equal(missing.code, 4);
    assert.match(missing.stderr, /service "no-such-service" does not exist/);
  });

  test('connects and disconnects are counted and logged', async () => {
    const metric = async (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(await (await fetch(`${mesh.apiUrl}/metrics`)).text())?.[1]);
    const connects = await metric('laneway_xds_connects_total');
    const disconnects = await metric('laneway_xds_disconnects_total');
    const extra = await mesh.addInstance('payments', 'extra');
    await waitFor('the extra proxy to connect', async () => (await proxies()).some((p) => p.id === 'payments-extra'), 10000);
    assert.equal(await metric('laneway_xds_connects_total'), connects + 1);
    await extra.envoy.stop();
    await waitFor('the extra proxy to disconnect', async () => !(await proxies()).some((p) => p.id === 'payments-extra'), 10000);
    assert.equal(await metric('laneway_xds_disconnects_total'), disconnects + 1);
    const lines = readFileSync(mesh.controlPlane.logFile, 'utf8').split('\n').filter((l) => l.includes('"payments-extra"')).map((l) => JSON.parse(l).msg);
    assert.ok(lines.includes('proxy connected') && lines.includes('proxy disconnected'), lines.join(', '));
  });
});

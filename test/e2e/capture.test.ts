// Transparent outbound capture, end to end, in a network namespace this test makes: real iptables
// (deploy/capture/laneway-capture.sh), a real Envoy running as uid 1337 with the capture listener,
// the real control plane. The "app" is curl with no proxy configuration, calling Service names
// that /etc/hosts resolves to pretend ClusterIPs. Every address is in 127.0.0.0/8 (127.77.0.0/16),
// so all traffic stays on the namespace's loopback.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { renderBootstrap } from '../../control-plane/src/envoy/bootstrap.js';
import { waitFor } from '../../deploy/local/processes.js';
import { envoyBinaryForAnyUid, envWithoutProxy, NetNs, netnsUnavailable } from '../support/netns.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CAPTURE_SCRIPT = join(ROOT, 'deploy/capture/laneway-capture.sh');
const PROXY_UID = 1337;
// The control plane is not on 127.0.0.1 (which the script excludes anyway): only the uid
// exclusion keeps Envoy's xDS connection out of the capture.
const XDS = { host: '127.77.9.9', port: 18000 };
const ADMIN_PORT = 15000;
const CAPTURE_PORT = 15006;

const HOSTS = `127.0.0.1 localhost
127.77.0.10 orders orders.shop orders.shop.svc orders.shop.svc.cluster.local
127.77.5.5 echo.outside
127.77.5.6 web.outside
`;

const DEFINITIONS = `kind: Service
name: frontend
protocol: http
port: 8080
endpoints: ["127.77.1.1:3000"]
namespace: shop
---
kind: Service
name: orders
protocol: http
port: 8080
endpoints: ["127.77.1.2:3001"]
namespace: shop
addresses: ["127.77.0.10"]
---
kind: Lane
name: feature-x
services: { orders: ["127.77.2.2:3101"] }
`;

const SERVERS = ['http:orders/stable=127.77.1.2:3001', 'http:orders/feature-x=127.77.2.2:3101', 'http:web.outside=127.77.5.6:8081', 'echo:127.77.5.5:7000'];

interface CurlAnswer { status: number; servedBy: string | undefined; body: string }

const unavailable = netnsUnavailable();

describe('transparent capture in a network namespace', { skip: unavailable && `skipped: ${unavailable}` }, () => {
  const ns = new NetNs(`lwcap${process.pid}`);
  const work = mkdtempSync(join(tmpdir(), 'laneway-capture-'));
  let connectionsMade = 0;
  let baseline = { captured: 0, passthrough: 0 };

  /** The app: curl, no proxy settings, through whatever the namespace's iptables do. */
  function curl(url: string, headers: Record<string, string> = {}, extra: string[] = []): CurlAnswer {
    connectionsMade++;
    const args = ['-sS', '-m', '5', '-D', '-', ...extra, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
    const out = ns.run('curl', args);
    assert.equal(out.status, 0, `curl ${url}: ${out.stderr}`);
    const [head = '', body = ''] = out.stdout.split('\r\n\r\n');
    const status = Number(/^HTTP\/[\d.]+ (\d+)/.exec(head)?.[1]);
    return { status, servedBy: /^x-lane-served-by: (.*)$/im.exec(head)?.[1]?.trim(), body };
  }

  function adminStat(name: string): number {
    const out = ns.run('curl', ['-sS', '-m', '5', `http://127.0.0.1:${ADMIN_PORT}/stats?filter=${encodeURIComponent(`^${name}$`)}`]);
    const value = new RegExp(`^${name.replace(/\./g, '\\.')}: (\\d+)$`, 'm').exec(out.stdout)?.[1];
    return value === undefined ? Number.NaN : Number(value);
  }

  function logTails(): string {
    const tail = (file: string) => { try { return readFileSync(join(work, file), 'utf8').split('\n').slice(-15).join('\n'); } catch { return '(none)'; } };
    return ['envoy.log', 'control-plane.log', 'servers.log'].map((f) => `--- ${f}\n${tail(f)}`).join('\n');
  }

  before(async () => {
    ns.create(HOSTS);
    chmodSync(work, 0o755);
    mkdirSync(join(work, 'definitions'));
    writeFileSync(join(work, 'definitions/mesh.yaml'), DEFINITIONS);
    const servers = ns.start('servers', process.execPath, ['--import', 'tsx', 'test/support/capture-servers.ts', ...SERVERS], join(work, 'servers.log'));
    ns.start('control-plane', process.execPath, ['--import', 'tsx', 'control-plane/src/main.ts', '--config-dir', join(work, 'definitions'), '--data-dir', join(work, 'data'),
      '--host', XDS.host, '--xds-port', String(XDS.port), '--api-port', '18080', '--log-level', 'warn'], join(work, 'control-plane.log'));
    await waitFor('the test servers', async () => readFileSync(servers.logFile, 'utf8').includes('ready'), 20000);

    ns.mustRun('sh', [CAPTURE_SCRIPT], envWithoutProxy({ LANEWAY_CAPTURE_PORT: String(CAPTURE_PORT), LANEWAY_PROXY_UID: String(PROXY_UID) }));

    const bootstrap = renderBootstrap('sidecar', {
      NODE_ID: 'frontend-0', SERVICE: 'frontend', LANE: 'stable', LISTENER_ADDRESS: '127.0.0.1', LISTENER_PORT: 15001,
      ADMIN_PORT, XDS_HOST: XDS.host, XDS_PORT: XDS.port,
    }).replace(/^(\s*)laneway\.listener_port: .*$/m, (line, indent: string) => `${line}\n${indent}laneway.capture_port: "${CAPTURE_PORT}"`);
    writeFileSync(join(work, 'envoy.yaml'), bootstrap, { mode: 0o644 });
    ns.start('envoy', 'setpriv', ['--reuid', String(PROXY_UID), '--regid', String(PROXY_UID), '--clear-groups', envoyBinaryForAnyUid(),
      '-c', join(work, 'envoy.yaml'), '--disable-hot-restart', '--log-level', 'warn'], join(work, 'envoy.log'));
    await waitFor('envoy routing orders through the capture', async () => ns.run('curl', ['-s', '-m', '2', '-o', '/dev/null', '-w', '%{http_code}', 'http://orders:8080/']).stdout === '200', 30000, 200)
      .catch((err: Error) => { throw new Error(`${err.message}\n${logTails()}`); });
    // The readiness polls' connections close; what stays open on the capture listener is not the app's.
    await waitFor('the readiness connections to close', async () => adminStat(`listener.0.0.0.0_${CAPTURE_PORT}.downstream_cx_active`) === 0, 5000, 100);
    baseline = { captured: adminStat(`listener.0.0.0.0_${CAPTURE_PORT}.downstream_cx_total`), passthrough: adminStat('cluster.passthrough.upstream_cx_total') };
  });

  after(async () => {
    try {
      ns.run('sh', [CAPTURE_SCRIPT, '--clean']);
    } finally {
      await ns.destroy();
      rmSync(work, { recursive: true, force: true });
    }
  });

  test('http://orders:8080/ with x-lane: feature-x reaches the feature-x instance; without it, stable', () => {
    const lane = curl('http://orders:8080/', { 'x-lane': 'feature-x' });
    assert.deepEqual(lane, { status: 200, servedBy: 'orders/feature-x', body: 'orders/feature-x' });
    const stable = curl('http://orders:8080/');
    assert.deepEqual(stable, { status: 200, servedBy: 'orders/stable', body: 'orders/stable' });
  });

  test('the fully qualified name and the ClusterIP route the same way', () => {
    assert.deepEqual(curl('http://orders.shop.svc.cluster.local:8080/', { 'x-lane': 'feature-x' }), { status: 200, servedBy: 'orders/feature-x', body: 'orders/feature-x' });
    assert.deepEqual(curl('http://orders.shop.svc.cluster.local:8080/'), { status: 200, servedBy: 'orders/stable', body: 'orders/stable' });
    assert.deepEqual(curl('http://127.77.0.10:8080/', { 'x-lane': 'feature-x' }), { status: 200, servedBy: 'orders/feature-x', body: 'orders/feature-x' });
  });

  test('h2c (HTTP/2 prior knowledge, as gRPC clients speak) is detected and routed by :authority', () => {
    assert.deepEqual(curl('http://orders:8080/', { 'x-lane': 'feature-x' }, ['--http2-prior-knowledge']), { status: 200, servedBy: 'orders/feature-x', body: 'orders/feature-x' });
  });

  test('HTTP to a host Laneway does not know passes through to its original destination', () => {
    assert.deepEqual(curl('http://web.outside:8081/'), { status: 200, servedBy: undefined, body: 'web.outside' });
  });

  test('a plain TCP echo server outside the mesh answers through the capture unchanged', async () => {
    const before = adminStat('cluster.passthrough.upstream_cx_total');
    connectionsMade++;
    const message = 'hello through the capture\n\u0000\u00ff binary too\n';
    const out = ns.run(process.execPath, ['-e', `const s=require('net').createConnection(7000,'echo.outside');let got='';s.setEncoding('latin1');s.on('data',d=>{got+=d;if(got.length>=${Buffer.byteLength(message, 'latin1')}){process.stdout.write(got);s.end();}});s.write(Buffer.from(${JSON.stringify(message)},'latin1'));`]);
    assert.equal(out.status, 0, out.stderr);
    assert.equal(out.stdout, message);
    assert.equal(adminStat('cluster.passthrough.upstream_cx_total'), before + 1, 'the echo connection went through the capture listener');
  });

  test("Envoy's own xDS connection is not captured: the capture listener saw only the app's connections", () => {
    assert.equal(adminStat('control_plane.connected_state'), 1, 'envoy is connected to the control plane (127.77.9.9, not loopback-excluded)');
    // A captured xDS stream would have stayed open on the capture listener and gone out by the passthrough.
    assert.equal(baseline.passthrough, 0, 'nothing went through the passthrough before the tests');
    assert.equal(adminStat(`listener.0.0.0.0_${CAPTURE_PORT}.downstream_cx_active`), 0, 'no connection open on the capture listener');
    assert.equal(adminStat(`listener.0.0.0.0_${CAPTURE_PORT}.downstream_cx_total`) - baseline.captured, connectionsMade, 'one captured connection per app connection');
    assert.equal(adminStat('cluster.passthrough.upstream_cx_total'), 2, 'the unknown HTTP host and the echo server');
  });
});


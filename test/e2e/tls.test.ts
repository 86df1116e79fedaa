// TLS and mTLS with real processes: the control plane with --tls-cert/--tls-key/--client-ca, a
// real Envoy connecting over mTLS (envoy-configs/xds-tls.yaml) and routing; Envoys without a client
// certificate, or with one from another CA, refused; the server certificate rotated on disk and
// picked up by new connections while the Envoy's stream stays up and keeps receiving changes; the
// CLI over https trusting the CA with --ca.
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type PeerCertificate } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { renderBootstrap } from '../../control-plane/src/envoy/bootstrap.js';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { withXdsTls, type XdsTls } from '../../deploy/local/xds-tls.js';
import { counters } from '../support/envoy-admin.js';
import { makeCa, makeLeaf, type CertFiles } from '../support/test-certs.js';

const MAIN = fileURLToPath(new URL('../../control-plane/src/main.ts', import.meta.url));
const CLI = fileURLToPath(new URL('../../control-plane/src/cli/laneway.ts', import.meta.url));
const SERVER_NAME = 'laneway-xds';
const HOST = '127.0.0.1';

interface Envoy { name: string; process: Managed; adminPort: number; listenerPort: number }

/** An HTTP backend that names itself in its body. */
async function backend(name: string): Promise<{ port: number; close: () => void }> {
  const server = http.createServer((_req, res) => res.end(name));
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  return { port: (server.address() as { port: number }).port, close: () => server.close() };
}

/** GET through a sidecar's listener to the service `orders`: the backend's body, or the error. */
function viaSidecar(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve) => {
    http.get({ host: HOST, port, path: '/', headers: { host: 'orders' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', (err) => resolve({ status: 0, body: err.message }));
  });
}

/** The SHA-256 fingerprint of the certificate a TLS server at `port` presents now, on a new connection. */
function presentedFingerprint(port: number, ca: string, client?: CertFiles): Promise<string> {
  // The xDS port (mTLS: a client is given) speaks HTTP/2 only; the API, HTTP/1.1.
  const alpn = client ? ['h2'] : ['http/1.1'];
  return new Promise((resolve, reject) => {
    const socket = connect({ host: HOST, port, ca: [readFileSync(ca, 'utf8')], servername: SERVER_NAME, ALPNProtocols: alpn, ...(client && { cert: readFileSync(client.cert), key: readFileSync(client.key) }) }, () => {
      const cert: PeerCertificate = socket.getPeerCertificate();
      socket.destroy();
      resolve(cert.fingerprint256);
    });
    socket.on('error', reject);
  });
}

/** Runs the CLI; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', CLI, ...args], { encoding: 'utf8', env: { ...process.env, LANEWAY_CONFIG: '/dev/null' } }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('TLS and mTLS', () => {
  const work = mkdtempSync(join(tmpdir(), 'laneway-tls-'));
  const certs = join(work, 'certs');
  mkdirSync(certs);
  mkdirSync(join(work, 'logs'));
  let ca: CertFiles;
  let server: CertFiles;
  let controlPlane: ChildProcess;
  let apiPort = 0;
  let xdsPort = 0;
  const envoys: Envoy[] = [];
  const backends: Array<{ port: number; close: () => void }> = [];

  const api = (method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> =>
    new Promise((resolve, reject) => {
      const req = https.request({ host: HOST, port: apiPort, path, method, ca: readFileSync(ca.cert), servername: SERVER_NAME, headers: { 'content-type': 'application/json' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });

  async function startEnvoy(name: string, tls: XdsTls): Promise<Envoy> {
    const [adminPort, listenerPort] = [await freePort(), await freePort()];
    const vars = { NODE_ID: name, SERVICE: 'frontend', LANE: 'stable', LISTENER_ADDRESS: HOST, LISTENER_PORT: listenerPort, ADMIN_PORT: adminPort, XDS_HOST: HOST, XDS_PORT: xdsPort };
    const file = join(work, `${name}.envoy.yaml`);
    writeFileSync(file, withXdsTls(renderBootstrap('sidecar', vars), tls));
    const args = ['-c', file, '--disable-hot-restart', '--concurrency', '1', '-l', 'warn'];
    const envoy = { name, adminPort, listenerPort, process: startProcess(name, process.env.LANEWAY_ENVOY_BIN ?? 'envoy', args, join(work, `logs/${name}.envoy.log`)) };
    envoys.push(envoy);
    await waitFor(`${name}'s admin interface`, async () => (await fetch(`http://${HOST}:${adminPort}/ready`).catch(() => undefined)) !== undefined, 20000);
    return envoy;
  }

  before(async () => {
    ca = makeCa(certs, 'ca-a');
    server = makeLeaf(certs, ca, 'server', 'server', [SERVER_NAME, 'localhost']);
    [apiPort, xdsPort] = [await freePort(), await freePort()];
    const args = ['--import', 'tsx', MAIN, '--data-dir', join(work, 'data'), '--api-port', String(apiPort), '--xds-port', String(xdsPort),
      '--tls-cert', server.cert, '--tls-key', server.key, '--client-ca', ca.cert];
    controlPlane = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitFor('the control plane over https', async () => (await api('GET', '/readyz').catch(() => ({ status: 0 }))).status === 200, 30000);
    backends.push(await backend('orders-one'), await backend('orders-two'));
    assert.equal((await api('PUT', '/v1/services/frontend', { protocol: 'http', port: 8080 })).status, 201);
    assert.equal((await api('PUT', '/v1/services/orders', { protocol: 'http', port: 8080, endpoints: [`${HOST}:${backends[0]!.port}`] })).status, 201);
  });

  after(async () => {
    for (const envoy of envoys) await envoy.process.stop();
    // Waited for: on SIGTERM the store folds its journal into the data directory removed below.
    if (controlPlane && controlPlane.exitCode === null && controlPlane.signalCode === null) {
      const exited = new Promise((resolve) => controlPlane!.once('exit', resolve));
      controlPlane.kill('SIGTERM');
      await exited;
    }
    for (const b of backends) b.close();
    if (!process.env.LANEWAY_KEEP_TEST_DIR) rmSync(work, { recursive: true, force: true });
  });

  test('an Envoy with a client certificate of the trusted CA connects over mTLS and routes', async () => {
    const client = makeLeaf(certs, ca, 'envoy-client', 'client');
    const envoy = await startEnvoy('mtls', { ca: ca.cert, serverName: SERVER_NAME, clientCert: client.cert, clientKey: client.key });
    await waitFor('routing through the mTLS Envoy', async () => (await viaSidecar(envoy.listenerPort)).body === 'orders-one', 20000);
    const proxies = (await api('GET', '/v1/proxies')).body.items.map((p: { nodeId?: string; id?: string }) => p.nodeId ?? p.id);
    assert.ok(proxies.includes('mtls'), `connected proxies: ${proxies}`);
  });

  test('Envoys without a client certificate, or with one from another CA, are refused', async () => {
    const otherCa = makeCa(certs, 'ca-b');
    const stranger = makeLeaf(certs, otherCa, 'stranger', 'client');
    const bare = await startEnvoy('no-client-cert', { ca: ca.cert, serverName: SERVER_NAME });
    const foreign = await startEnvoy('other-ca', { ca: ca.cert, serverName: SERVER_NAME, clientCert: stranger.cert, clientKey: stranger.key });
    for (const envoy of [bare, foreign]) {
      await waitFor(`${envoy.name} to have tried twice`, async () => ((await counters(envoy.adminPort, ['cluster.laneway_xds.upstream_cx_total']))['cluster.laneway_xds.upstream_cx_total'] ?? 0) >= 2, 20000);
      // Not connected_state: over TLS 1.3 a client finishes its side of the handshake before the
      // server checks its certificate, so Envoy may count a stream as open for a moment.
      const updates = await counters(envoy.adminPort, ['cluster_manager.cds.update_success', 'listener_manager.lds.update_success']);
      assert.deepEqual([updates['cluster_manager.cds.update_success'] ?? 0, updates['listener_manager.lds.update_success'] ?? 0], [0, 0], `${envoy.name} got no configuration`);
      assert.equal((await viaSidecar(envoy.listenerPort)).status, 0, `${envoy.name} got no listener`);
    }
    const proxies = JSON.stringify((await api('GET', '/v1/proxies')).body);
    assert.ok(!proxies.includes('no-client-cert') && !proxies.includes('other-ca'), proxies);
  });

  test('a certificate rotated on disk is picked up by new connections; the Envoy keeps its stream and routing', async () => {
    const envoy = envoys.find((e) => e.name === 'mtls')!;
    const client = { cert: join(certs, 'envoy-client.crt'), key: join(certs, 'envoy-client.key') };
    const before = { api: await presentedFingerprint(apiPort, ca.cert), xds: await presentedFingerprint(xdsPort, ca.cert, client) };
    const connections = (await counters(envoy.adminPort, ['cluster.laneway_xds.upstream_cx_total']))['cluster.laneway_xds.upstream_cx_total'];

    let routing = true;
    const failures: string[] = [];
    const traffic = (async () => {
      while (routing) {
        const answer = await viaSidecar(envoy.listenerPort);
        if (answer.body !== 'orders-one') failures.push(`${answer.status} ${answer.body}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // Written beside, then moved in one file after the other: a moment with a mismatched pair.
    const next = makeLeaf(certs, ca, 'server-next', 'server', [SERVER_NAME, 'localhost']);
    renameSync(next.cert, server.cert);
    renameSync(next.key, server.key);
    await waitFor('the new certificate on new API and xDS connections', async () =>
      (await presentedFingerprint(apiPort, ca.cert)) !== before.api && (await presentedFingerprint(xdsPort, ca.cert, client)) !== before.xds, 10000);
    routing = false;
    await traffic;
    assert.deepEqual(failures, [], 'no request failed during the rotation');

    // The same stream, still served: a change reaches the Envoy without a reconnect.
    assert.equal((await api('PUT', '/v1/services/orders', { protocol: 'http', port: 8080, endpoints: [`${HOST}:${backends[1]!.port}`] })).status, 200);
    await waitFor('the change to reach the Envoy', async () => (await viaSidecar(envoy.listenerPort)).body === 'orders-two', 10000);
    assert.equal((await counters(envoy.adminPort, ['cluster.laneway_xds.upstream_cx_total']))['cluster.laneway_xds.upstream_cx_total'], connections, 'no new xDS connection');
  });

  test('the CLI talks to the API over https, trusting the CA given with --ca', async () => {
    const server = `https://localhost:${apiPort}`;
    const trusted = await cli(['--server', server, '--ca', ca.cert, '-o', 'json', 'service', 'list']);
    assert.equal(trusted.code, 0, trusted.stderr);
    assert.deepEqual(JSON.parse(trusted.stdout).items.map((s: { name: string }) => s.name), ['frontend', 'orders']);
    const untrusted = await cli(['--server', server, 'service', 'list']);
    assert.equal(untrusted.code, 3);
    assert.match(untrusted.stderr, new RegExp(`^laneway: cannot reach the control plane at ${server}: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)`));
  });
});

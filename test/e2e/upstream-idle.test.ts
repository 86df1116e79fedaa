// Envoy closes an idle upstream HTTP/1.1 connection itself, before the app's keep-alive timeout
// would: so it never sends a request down a connection the app is closing (the race that answers
// 503 "upstream connect error ... connection termination"; ADR 0018). A real ingress Envoy in
// front of a raw TCP server that speaks just enough HTTP/1.1 and never closes a connection itself,
// so any close it sees is Envoy's.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { waitFor } from '../../deploy/local/processes.js';

interface Served {
  /** When the server wrote the response. */
  answeredAt: number;
  /** When Envoy's FIN arrived (the connection's 'end'), if it has. */
  endedAt?: number;
}

/** Answers every request on a connection with 200 "ok"; records when each connection was ended by the peer. */
function startKeepForeverServer(): Promise<{ server: Server; port: number; connections: Served[] }> {
  const connections: Served[] = [];
  const server = createServer((socket: Socket) => {
    const served: Served = { answeredAt: 0 };
    connections.push(served);
    let buffered = '';
    socket.on('data', (chunk) => {
      buffered += chunk.toString('latin1');
      // GET requests without a body: each blank line ends one.
      while (buffered.includes('\r\n\r\n')) {
        buffered = buffered.slice(buffered.indexOf('\r\n\r\n') + 4);
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok');
        served.answeredAt = Date.now();
      }
    });
    socket.on('end', () => {
      served.endedAt = Date.now();
      socket.end();
    });
    socket.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, port: typeof address === 'object' && address ? address.port : 0, connections });
  }));
}

describe('upstream HTTP/1.1 connections idle out on the Envoy side first', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-idle-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });
  let upstream: Awaited<ReturnType<typeof startKeepForeverServer>>;

  before(async () => {
    upstream = await startKeepForeverServer();
    await mesh.startControlPlane();
    const service = await mesh.api('PUT', '/v1/services/frontend', { protocol: 'http', port: 8080, endpoints: [`127.0.0.1:${upstream.port}`] });
    assert.equal(service.status < 300, true, JSON.stringify(service.body));
    const settings = await mesh.api('PUT', '/v1/settings', { laneHeader: 'x-lane', entryService: 'frontend' });
    assert.equal(settings.status < 300, true, JSON.stringify(settings.body));
    await mesh.startIngress();
    await waitFor('the ingress to route to the upstream', async () => (await fetch(mesh.ingressUrl)).status === 200, 15000);
  });

  after(async () => {
    await mesh.stop();
    upstream.server.close();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('Envoy ends the pooled connection about 1.5 s after its last response, and a new request opens a new one', async (t) => {
    await waitFor('every earlier connection to be ended', async () => upstream.connections.every((c) => c.endedAt !== undefined), 10000);
    const before = upstream.connections.length;
    const res = await fetch(mesh.ingressUrl);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok');
    assert.equal(upstream.connections.length, before + 1, 'the request came on a new upstream connection');
    const served = upstream.connections[before]!;
    await waitFor('Envoy to end the idle upstream connection', async () => served.endedAt !== undefined, 10000);
    const idleMs = served.endedAt! - served.answeredAt;
    t.diagnostic(`upstream connection ended by Envoy ${idleMs} ms after its response`);
    // Envoy's idle timer is 1.5 s (UPSTREAM_HTTP1_IDLE_TIMEOUT_MS); well under Node's 5 s keep-alive.
    assert.ok(idleMs >= 1300 && idleMs <= 4000, `ended after ${idleMs} ms, expected about 1500`);
  });
});

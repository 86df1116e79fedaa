// Stream admission and server lifecycle: readiness, node checks, Delta, shutdown, proxy registry.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, test, type TestContext } from 'node:test';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Client, credentials, status } from '@grpc/grpc-js';
import {
  DeltaDiscoveryRequestSchema,
  DeltaDiscoveryResponseSchema,
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse,
} from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import { cluster, listener } from '../support/xds-fixtures.js';
import { startTestXds, type TestXdsOptions } from '../support/xds-harness.js';
import { proxyTargetFromNode } from '../../control-plane/src/runtime/node-target.js';

const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';

async function setup(t: TestContext, opts: TestXdsOptions = {}) {
  const xds = await startTestXds(opts);
  t.after(() => xds.close());
  xds.cache.setSnapshot('g', [cluster('orders'), listener('ingress')]);
  return xds;
}

describe('xDS server', () => {
  test('until the cache is ready, streams are refused with UNAVAILABLE; afterwards they are served', async (t) => {
    const xds = await setup(t, { ready: false });
    const early = xds.connect();
    early.request({ typeUrl: CDS });
    const refused = await early.status;
    assert.equal(refused.code, status.UNAVAILABLE);
    assert.equal(refused.details, 'control plane is not ready: configuration sources are still loading');
    assert.deepEqual(early.responses, []);
    xds.cache.setReady(true);
    const later = xds.connect();
    later.request({ typeUrl: CDS });
    assert.equal((await later.next(CDS)).versionInfo, 'c25b877133f8120a');
  });

  test('a first request without node.id is refused with INVALID_ARGUMENT', async (t) => {
    const xds = await setup(t);
    for (const node of [null, { id: '' }]) {
      const c = xds.connect(node);
      c.request({ typeUrl: CDS });
      const s = await c.status;
      assert.equal(s.code, status.INVALID_ARGUMENT);
      assert.equal(s.details, 'the first DiscoveryRequest of a stream must carry node.id (set node.id in the Envoy bootstrap)');
    }
    assert.deepEqual(xds.server.status.list(), []);
  });

  test('groupForNode errors refuse the stream with their message; a throw is INTERNAL', async (t) => {
    const xds = await setup(t, {
      groupForNode: (node) => {
        if (node.id === 'boom') throw new Error('bug');
        return { error: `node ${node.id}: metadata laneway.kind must be "sidecar" or "ingress", got "${String(node.metadata['laneway.kind'])}"` };
      },
    });
    const bad = xds.connect({ id: 'p1', metadata: { 'laneway.kind': 'gateway' } });
    bad.request({ typeUrl: CDS });
    assert.deepEqual(await bad.status.then((s) => [s.code, s.details]), [
      status.INVALID_ARGUMENT, 'node p1: metadata laneway.kind must be "sidecar" or "ingress", got "gateway"',
    ]);
    const boom = xds.connect({ id: 'boom' });
    boom.request({ typeUrl: CDS });
    assert.equal((await boom.status).code, status.INTERNAL);
  });

  test('the Envoy version a node reports reaches groupForNode; one older than supported is refused naming it', async (t) => {
    const seen: unknown[] = [];
    const xds = await setup(t, {
      groupForNode: (node) => {
        seen.push(node.envoyVersion);
        const target = proxyTargetFromNode(node);
        return 'error' in target ? target : { group: 'g' };
      },
    });
    const old = xds.connect({ id: 'old', cluster: 'orders', envoyVersion: [1, 35, 2] });
    old.request({ typeUrl: CDS });
    assert.deepEqual(await old.status.then((s) => [s.code, s.details]), [
      status.INVALID_ARGUMENT, 'node old runs Envoy 1.35.2, older than Laneway supports (Envoy 1.36 to 1.40): it could reject configuration it does not know; upgrade it',
    ]);
    assert.deepEqual(seen, [[1, 35, 2]]);
  });

  test('a request without type_url is refused with INVALID_ARGUMENT', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: '' });
    assert.equal((await c.status).code, status.INVALID_ARGUMENT);
  });

  test('DeltaAggregatedResources is served beside SotW (its protocol: xds-delta*.test.ts)', async (t) => {
    const xds = await setup(t);
    const client = new Client(`127.0.0.1:${xds.server.port}`, credentials.createInsecure());
    t.after(() => client.close());
    const call = client.makeBidiStreamRequest(
      '/envoy.service.discovery.v3.AggregatedDiscoveryService/DeltaAggregatedResources',
      (req: DeltaDiscoveryRequest) => Buffer.from(toBinary(DeltaDiscoveryRequestSchema, req)),
      (bytes: Buffer) => fromBinary(DeltaDiscoveryResponseSchema, bytes),
    );
    call.on('error', () => {}); // cancelled below
    const answered = once(call, 'data');
    call.write(create(DeltaDiscoveryRequestSchema, { node: { id: 'p' }, typeUrl: CDS }));
    const [res] = (await answered) as [DeltaDiscoveryResponse];
    assert.deepEqual(res.resources.map((r) => r.name), ['orders']);
    call.cancel();
  });

  test('connect and disconnect are logged and tracked; a cancelled stream leaves the registry', async (t) => {
    const xds = await setup(t);
    const c = xds.connect({ id: 'proxy-9', cluster: 'orders' });
    c.request({ typeUrl: CDS });
    await c.next(CDS);
    assert.deepEqual(xds.server.status.list().map((p) => p.nodeId), ['proxy-9']);
    const gone = once(xds.server.status, 'disconnect');
    c.close();
    assert.deepEqual((await gone)[0], { streamId: 1, nodeId: 'proxy-9', group: 'g' });
    assert.deepEqual(xds.server.status.list(), []);
    const connected = xds.logs.find((l) => l.msg === 'proxy connected');
    assert.equal(connected?.nodeId, 'proxy-9');
    assert.equal(connected?.group, 'g');
    assert.equal(xds.logs.find((l) => l.msg === 'proxy disconnected')?.nodeId, 'proxy-9');
  });

  test('close() ends open streams with UNAVAILABLE, promptly', async (t) => {
    const xds = await setup(t);
    const c = xds.connect();
    c.request({ typeUrl: CDS });
    await c.next(CDS);
    const started = performance.now();
    const disconnected = once(xds.server.status, 'disconnect');
    await xds.server.close();
    assert.ok(performance.now() - started < 900, 'closed without waiting for the grace period');
    const s = await c.status;
    assert.equal(s.code, status.UNAVAILABLE);
    assert.equal(s.details, 'control plane shutting down');
    await disconnected;
    assert.deepEqual(xds.server.status.list(), []);
    const refused = await new Promise<string>((resolve) => {
      const socket = connect(xds.server.port, '127.0.0.1', () => resolve('connected'));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    assert.equal(refused, 'ECONNREFUSED', 'the port no longer accepts connections');
  });

  test('close() ends a connection that never spoke HTTP/2 and never reads, instead of waiting for it', { timeout: 10_000 }, async (t) => {
    const xds = await setup(t);
    const raw = connect(xds.server.port, '127.0.0.1');
    raw.on('error', () => {});
    await once(raw, 'connect');
    await xds.server.close(); // the test's timeout fails a close that waits on this peer
    const closed = once(raw, 'close');
    raw.resume(); // now read: the server's end (or reset) arrives
    await closed;
    assert.equal(raw.readyState, 'closed');
  });

  test('the xDS port queues as many pending connections as the kernel allows (somaxconn), not Node\'s 511', async (t) => {
    const xds = await setup(t);
    const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
    // For a listening socket, ss reports the accept queue's limit as Send-Q.
    const line = execFileSync('ss', ['-ltnH', `sport = :${xds.server.port}`], { encoding: 'utf8' }).trim();
    const sendQ = Number(line.split(/\s+/)[2]);
    assert.equal(sendQ, Math.min(somaxconn, 65_535), `ss: ${line}`);
    assert.ok(somaxconn <= 511 || sendQ > 511, `${sendQ} pending connections, Node's default is 511`);
  });
});

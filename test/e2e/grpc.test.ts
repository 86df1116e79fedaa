// gRPC services route by lane like HTTP ones: payments speaks gRPC (HTTP/2 upstream clusters), and
// @grpc/grpc-js clients calling it through a real Envoy sidecar reach the lane instance named by
// the lane metadata key (or baggage), for unary and server-streaming calls alike.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { callGrpc, demoGrpcClient, watchGrpc, type DemoGrpcClient } from '../../deploy/demo/grpc.js';
import { meshGet, waitForAnswer } from '../../deploy/local/client.js';
import { LocalMesh } from '../../deploy/local/mesh.js';

describe('gRPC lanes through a real Envoy sidecar', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-grpc-'));
  const mesh = new LocalMesh({ workDir, ports: 'free' });
  let client: DemoGrpcClient;

  before(async () => {
    await mesh.startDemo();
    const y = await mesh.addInstance('payments', 'feature-y');
    const put = await mesh.api('PUT', '/v1/lanes/feature-y', { fallback: 'feature-x', services: { payments: [`127.0.0.1:${y.appPort}`] } });
    assert.equal(put.status, 201, JSON.stringify(put.body));
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'feature-y' }, (a) => a.path === 'frontend/stable orders/feature-x payments/feature-y', 10000);
    // As the orders app calls payments: through the orders sidecar, :authority "payments".
    const orders = mesh.instances.find((i) => i.service === 'orders' && i.lane === 'stable')!;
    client = demoGrpcClient(`127.0.0.1:${orders.sidecarPort}`, 'payments');
  });

  after(async () => {
    client?.close();
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('unary: the lane metadata key picks the instance, and served-by comes back as metadata', async () => {
    const cases: Array<[Record<string, string>, string]> = [
      [{ 'x-lane': 'feature-y' }, 'payments/feature-y'],
      [{ baggage: 'userId=alice,lane=feature-y;ttl=30' }, 'payments/feature-y'],
      [{ 'x-lane': 'feature-x' }, 'payments/stable'], // feature-x has no payments instance
      [{ 'x-lane': 'no-such-lane' }, 'payments/stable'],
      [{}, 'payments/stable'],
    ];
    for (const [metadata, expected] of cases) {
      const hops = await callGrpc(client, metadata);
      assert.equal(`${hops[0]!.service}/${hops[0]!.lane}`, expected, JSON.stringify(metadata));
      assert.equal(hops[0]!.servedBy, expected, JSON.stringify(metadata));
    }
  });

  test('server streaming: every message of a lane call comes from the lane instance', async () => {
    assert.deepEqual(await watchGrpc(client, { 'x-lane': 'feature-y' }, 5), Array(5).fill('payments/feature-y'));
    assert.deepEqual(await watchGrpc(client, { baggage: 'lane=feature-y' }, 3), Array(3).fill('payments/feature-y'));
    assert.deepEqual(await watchGrpc(client, {}, 3), Array(3).fill('payments/stable'));
  });

  test('end to end: HTTP hops then a gRPC hop, each on its lane', async () => {
    const answer = await meshGet(mesh.ingressUrl, { 'x-lane': 'feature-y' });
    assert.equal(answer.status, 200);
    assert.equal(answer.path, 'frontend/stable orders/feature-x payments/feature-y');
    assert.deepEqual(answer.hops.map((h) => h.servedBy), [undefined, 'orders/feature-x', 'payments/feature-y']);
  });
});

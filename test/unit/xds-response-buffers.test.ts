// Responses are encoded at serialization into pooled buffers, reused once a write completes
// (response-buffers.ts): every stream must still get its own bytes when many are written in one
// turn, over real gRPC.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PooledResponse, ResponseBufferPool } from '../../control-plane/src/xds/response-buffers.js';
import { cluster, resourceNames } from '../support/xds-fixtures.js';
import { startTestXds } from '../support/xds-harness.js';
import { DeltaAdsClient } from '../support/delta-ads-client.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';
import { DiscoveryResponseBytes } from '../../control-plane/src/xds/wire.js';

const CDS = TypeUrl.Cluster;
const GROUPS = 12;
const STREAMS_PER_GROUP = 5;
/** Responses of many sizes, some over 64 KB. */
const clustersOf = (g: number) => Array.from({ length: 300 * (g + 1) }, (_, i) => cluster(`g${g}-c${String(i).padStart(5, '0')}-${'x'.repeat(40)}`));

test('buffer pool: sizes in powers of two from 1 KiB to 4 MiB, reused once given back, kept up to its limit', () => {
  const pool = new ResponseBufferPool(64 * 1024);
  const a = pool.take(10);
  assert.equal(a.byteLength, 1024);
  assert.notEqual(pool.take(10).buffer, a.buffer, 'not given back yet: another buffer');
  pool.give(a);
  assert.equal(pool.idleBytes, 1024);
  assert.equal(pool.take(1000), a, 'given back: reused');
  assert.equal(pool.idleBytes, 0);
  const big = pool.take(40_000);
  assert.equal(big.byteLength, 65_536);
  pool.give(big);
  pool.give(pool.take(2000));
  assert.equal(pool.idleBytes, 65_536, 'beyond its limit the pool lets a buffer go');
  const huge = pool.take(5 * 1024 * 1024);
  assert.equal(huge.byteLength, 5 * 1024 * 1024, 'over 4 MiB: a buffer of its own');
  pool.give(huge);
  assert.equal(pool.idleBytes, 65_536);
});

test('a pooled response is encoded into a pooled buffer, exactly its size, given back when written', () => {
  const pool = new ResponseBufferPool();
  const response = new DiscoveryResponseBytes({ versionInfo: 'v1', resources: [Uint8Array.of(0x0a, 0x01, 0x78)], typeUrl: 't', nonce: 'n' });
  const pooled = new PooledResponse(response, pool);
  const bytes = pooled.serialize();
  assert.equal(bytes.toString('hex'), '0a027631' + '12030a0178' + '220174' + '2a016e');
  assert.equal(pool.idleBytes, 0);
  pooled.written();
  assert.equal(pool.idleBytes, 1024);
  pooled.written();
  assert.equal(pool.idleBytes, 1024, 'given back once');
});

test(`${GROUPS * STREAMS_PER_GROUP} SotW streams in ${GROUPS} groups, pushed in one turn, each get their own group's clusters`, async (t) => {
  const xds = await startTestXds();
  t.after(() => xds.close());
  for (let g = 0; g < GROUPS; g++) xds.cache.setSnapshot(`g${g}`, clustersOf(g));
  const clients = [];
  for (let g = 0; g < GROUPS; g++) {
    for (let s = 0; s < STREAMS_PER_GROUP; s++) {
      const c = xds.connect({ id: `p-${g}-${s}`, cluster: 'x', metadata: { group: `g${g}` } });
      c.request({ typeUrl: CDS });
      clients.push({ g, c, first: await c.next(CDS) });
    }
  }
  for (const { c, first } of clients) c.ack(first);
  // One change per group, at once: every stream is answered in the same turn of the event loop.
  for (let g = 0; g < GROUPS; g++) xds.cache.setSnapshot(`g${g}`, [...clustersOf(g), cluster(`g${g}-added`)]);
  for (const { g, c } of clients) {
    const res = await c.next(CDS, 5000);
    const names = resourceNames(res);
    assert.equal(names.length, 300 * (g + 1) + 1, `stream of g${g}`);
    assert.ok(names.every((n) => n.startsWith(`g${g}-`)), `stream of g${g} got only its group's clusters`);
  }
});

test('delta streams in several groups, pushed in one turn, each get their own group\'s clusters', async (t) => {
  const xds = await startTestXds();
  t.after(() => xds.close());
  for (let g = 0; g < 4; g++) xds.cache.setSnapshot(`g${g}`, clustersOf(g));
  const clients: Array<{ g: number; c: DeltaAdsClient }> = [];
  for (let g = 0; g < 4; g++) {
    for (let s = 0; s < 3; s++) {
      const c = new DeltaAdsClient(xds.server.port, { id: `d-${g}-${s}`, cluster: 'x', metadata: { group: `g${g}` } });
      t.after(() => c.close());
      c.request({ typeUrl: CDS });
      c.ack(await c.next(CDS));
      clients.push({ g, c });
    }
  }
  for (let g = 0; g < 4; g++) xds.cache.setSnapshot(`g${g}`, [...clustersOf(g), cluster(`g${g}-added`)]);
  for (const { g, c } of clients) {
    const res = await c.next(CDS, 5000);
    assert.deepEqual(res.resources.map((r) => r.name), [`g${g}-added`]);
  }
});

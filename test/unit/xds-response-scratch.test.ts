// Responses are encoded into one scratch buffer at serialization (response-scratch.ts): every
// stream must still get its own bytes when many are written in one turn, over real gRPC.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scratchBuffer, serializeResponse } from '../../control-plane/src/xds/response-scratch.js';
import { cluster, resourceNames } from '../support/xds-fixtures.js';
import { startTestXds } from '../support/xds-harness.js';
import { DeltaAdsClient } from '../support/delta-ads-client.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';
import { DiscoveryResponseBytes } from '../../control-plane/src/xds/wire.js';

const CDS = TypeUrl.Cluster;
const GROUPS = 12;
const STREAMS_PER_GROUP = 5;
/** Enough clusters that one response outgrows the scratch buffer's first size (64 KB) in some groups. */
const clustersOf = (g: number) => Array.from({ length: 300 * (g + 1) }, (_, i) => cluster(`g${g}-c${String(i).padStart(5, '0')}-${'x'.repeat(40)}`));

test('scratch buffer: one region reused; larger asks grow it; a response bigger than 4 MB gets its own', () => {
  const a = scratchBuffer(10);
  const b = scratchBuffer(20);
  assert.equal(a.buffer, b.buffer, 'reused');
  assert.equal(b.byteLength, 20);
  const big = scratchBuffer(200_000);
  assert.equal(big.byteLength, 200_000);
  assert.equal(scratchBuffer(5).buffer, big.buffer, 'grown, then reused');
  const huge = scratchBuffer(5 * 1024 * 1024);
  assert.notEqual(huge.buffer, scratchBuffer(5).buffer);
});

test('serializeResponse: encoded responses into the scratch buffer, bytes as given', () => {
  const response = new DiscoveryResponseBytes({ versionInfo: 'v1', resources: [Uint8Array.of(0x0a, 0x01, 0x78)], typeUrl: 't', nonce: 'n' });
  assert.equal(serializeResponse(response).toString('hex'), '0a027631' + '12030a0178' + '220174' + '2a016e');
  assert.equal(serializeResponse(Uint8Array.of(1, 2)).toString('hex'), '0102');
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

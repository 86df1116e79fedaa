// The propagation analysis on hop records written out by hand (trace rule, volume rule, what is
// never flagged), and the AccessLogService under bad input: malformed bytes, unknown proxies, a
// flood of 100,000 entries. The control plane keeps serving, counts every drop, and its memory stays bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { create, toBinary } from '@bufbuild/protobuf';
import { HTTPAccessLogEntrySchema } from '../../control-plane/src/envoy/generated/envoy/data/accesslog/v3/accesslog_pb.js';
import { StreamAccessLogsMessageSchema } from '../../control-plane/src/envoy/generated/envoy/service/accesslog/v3/als_pb.js';
import { decodeAccessLogMessage } from '../../control-plane/src/xds/access-log-wire.js';
import { pino } from 'pino';
import type { HopRecord, HopSender } from '../../control-plane/src/observe/hop-record.js';
import { PropagationAnalysis, type ServicePropagation } from '../../control-plane/src/observe/propagation.js';
import { wirePropagation } from '../../control-plane/src/runtime/propagation-wiring.js';
import { emptyMeshState, type MeshState } from '../../control-plane/src/model/types.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { startXdsServer, TypeUrl } from '../../control-plane/src/xds/server.js';
import { AdsClient } from '../support/ads-client.js';
import { AlsClient, alsMessage, hopEntry } from '../support/als-client.js';

const T0 = Date.parse('2026-12-07T10:00:00Z');
const INGRESS: HopSender = { nodeId: 'ingress', kind: 'ingress' };
const FRONTEND: HopSender = { nodeId: 'frontend-stable', kind: 'sidecar', service: 'frontend', lane: 'stable' };
const ORDERS_X: HopSender = { nodeId: 'orders-feature-x', kind: 'sidecar', service: 'orders', lane: 'feature-x' };
const ORDERS: HopSender = { nodeId: 'orders-stable', kind: 'sidecar', service: 'orders', lane: 'stable' };
const TRACE_A = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACE_B = '0af7651916cd43dd8448eb211c80319c';

function hop(sender: HopSender, callee: string, instance: string, lane: string | undefined, traceId: string | undefined): HopRecord {
  return { sender, callee, instance, lane, traceId, status: 200, servedBy: `${callee}/${instance}` };
}

/** ingress -> frontend -> orders (the instance for `lane`) -> payments, with what orders' app forwarded. */
function request(lane: string, traceId: string | undefined, orders: HopSender, forwarded: string | undefined): HopRecord[] {
  return [
    hop(INGRESS, 'frontend', 'stable', lane, traceId),
    hop(FRONTEND, 'orders', orders.lane!, lane, traceId),
    hop(orders, 'payments', 'stable', forwarded, traceId),
  ];
}

function report(analysis: PropagationAnalysis, now: number): Record<string, ServicePropagation> {
  return Object.fromEntries(analysis.report(['frontend', 'orders', 'payments', 'search'], now, 'x-lane').map((s) => [s.service, s]));
}

test('trace rule: orders received feature-x and sent without it in the same trace; named with the trace, until it forwards again', () => {
  const analysis = new PropagationAnalysis();
  for (const h of request('feature-x', TRACE_A, ORDERS_X, undefined)) analysis.record(h, T0);
  assert.equal(report(analysis, T0 + 1000).orders!.status, 'ok', 'judged only once the trace is quiet for 3 s');
  const after = report(analysis, T0 + 3000);
  assert.equal(after.orders!.status, 'drops-lane');
  assert.deepEqual(after.orders!.problems, [{
    rule: 'trace',
    lane: 'feature-x',
    instances: [{ nodeId: 'orders-feature-x', lane: 'feature-x' }],
    requests: 1,
    exampleTraces: [TRACE_A],
    firstSeen: '2026-12-07T10:00:00.000Z',
    lastSeen: '2026-12-07T10:00:00.000Z',
    advice: 'orders (instance orders-feature-x (lane feature-x)) received requests in lane feature-x and sent 1 without x-lane or baggage in the same trace; forward x-lane (or baggage) from incoming to outgoing requests (traces 4bf92f…)',
  }]);
  assert.deepEqual([after.frontend!.status, after.payments!.status, after.search!.status], ['ok', 'ok', 'no-data']);

  for (const h of request('feature-x', TRACE_B, ORDERS_X, 'feature-x')) analysis.record(h, T0 + 5000);
  const fixed = report(analysis, T0 + 9000);
  assert.equal(fixed.orders!.status, 'ok');
  assert.deepEqual(fixed.orders!.problems, []);
});

test('never flagged: lanes forwarded (known, unknown, fallen back to stable), untagged traffic, and a trace id reused with and without a lane', () => {
  const analysis = new PropagationAnalysis();
  let n = 0;
  const trace = () => (n++).toString(16).padStart(32, 'a');
  for (let i = 0; i < 20; i++) {
    for (const h of request('feature-x', trace(), ORDERS_X, 'feature-x')) analysis.record(h, T0 + i);
    for (const h of request('no-such-lane', trace(), ORDERS, 'no-such-lane')) analysis.record(h, T0 + i);
    for (const h of request('feature-y', undefined, ORDERS, 'feature-y')) analysis.record(h, T0 + i);
    // No lane at all: nothing to forward.
    analysis.record(hop(FRONTEND, 'orders', 'stable', undefined, TRACE_A), T0 + i);
    analysis.record(hop(ORDERS, 'payments', 'stable', undefined, TRACE_A), T0 + i);
  }
  // A client that reuses one trace id for a laned and an unlaned request: not evidence of a drop.
  for (const h of [...request('feature-x', TRACE_B, ORDERS, 'feature-x'), hop(FRONTEND, 'orders', 'stable', undefined, TRACE_B), hop(ORDERS, 'payments', 'stable', undefined, TRACE_B)]) analysis.record(h, T0 + 30);
  const after = report(analysis, T0 + 10_000);
  for (const service of Object.values(after)) assert.deepEqual(service.problems, [], service.service);
  assert.deepEqual(after.orders!.received, { inLanes: { 'feature-x': 21, 'no-such-lane': 20, 'feature-y': 20 }, withoutLane: 21 });
});

test('volume rule: an instance that received a lane and sent only untagged requests is likely dropping it; per instance, so stable forwarding that lane earlier does not hide it', () => {
  const analysis = new PropagationAnalysis();
  // Before the lane had an instance of orders, stable orders served (and forwarded) feature-x.
  for (const h of request('feature-x', undefined, ORDERS, 'feature-x')) analysis.record(h, T0);
  for (let i = 0; i < 5; i++) for (const h of request('feature-x', undefined, ORDERS_X, undefined)) analysis.record(h, T0 + 100 + i);
  const after = report(analysis, T0 + 1000);
  assert.equal(after.orders!.status, 'likely-drops-lane');
  assert.deepEqual(after.orders!.problems, [{
    rule: 'volume',
    lane: 'feature-x',
    instances: [{ nodeId: 'orders-feature-x', lane: 'feature-x' }],
    requests: 5,
    exampleTraces: [],
    advice: 'orders (instance feature-x) received 5 requests in lane feature-x and forwarded none with x-lane or baggage (it sent 5 without a lane, from orders-feature-x); forward them from incoming to outgoing requests',
  }]);
  // Out of the 60 s window, the evidence is gone.
  assert.equal(report(analysis, T0 + 61_000).orders!.status, 'no-data');
});

test('the analysis stays bounded: 100,000 hops with distinct traces, lanes and services', () => {
  const analysis = new PropagationAnalysis();
  for (let i = 0; i < 100_000; i++) {
    const sender: HopSender = { nodeId: `n${i}`, kind: 'sidecar', service: `s${i % 5000}`, lane: `l${i}` };
    analysis.record(hop(sender, `c${i % 7000}`, `l${i % 100}`, `lane-${i}`, i.toString(16).padStart(32, '0')), T0 + i / 100);
  }
  assert.ok(analysis.indexedTraces <= 20_000, String(analysis.indexedTraces));
  assert.ok(analysis.overLimit > 0);
  const services = analysis.report([], T0 + 1000, 'x-lane');
  assert.ok(services.length <= 4000, String(services.length));
  for (const s of services) assert.ok(Object.keys(s.received.inLanes).length <= 64);
});

test('the AccessLogService: malformed bytes, no node, unknown proxies and a flood of 100,000 entries are counted and dropped; the xDS server keeps serving', async () => {
  const state: MeshState = { ...emptyMeshState(), settings: { ...emptyMeshState().settings, hopRecords: true } };
  const propagation = wirePropagation(() => state);
  const cache = new SnapshotCache();
  cache.setReady(true);
  const server = await startXdsServer({ cache, logger: pino({ level: 'silent' }), accessLogs: propagation.intake, groupForNode: () => ({ group: 'g' }) }, '127.0.0.1', 0);
  try {
    const garbage = new AlsClient(server.port);
    await garbage.send(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    await garbage.send(alsMessage(undefined, [hopEntry('orders~stable', {})]));
    await garbage.end();

    const stranger = new AlsClient(server.port);
    await stranger.send(alsMessage({ id: 'who', metadata: { 'laneway.kind': 'gateway' } }, [hopEntry('orders~stable', {}), hopEntry('orders~stable', {})]));
    await stranger.send(alsMessage(undefined, [hopEntry('orders~stable', {})]));
    assert.equal(await stranger.end(), null);

    const heapBefore = process.memoryUsage().heapUsed;
    const flood = new AlsClient(server.port);
    const node = { id: 'orders-1', cluster: 'orders', metadata: { 'laneway.service': 'orders', 'laneway.lane': 'stable' } };
    for (let batch = 0; batch < 100; batch++) {
      const entries = Array.from({ length: 1000 }, (_, i) => hopEntry(batch % 2 ? 'payments~stable' : 'passthrough', { 'x-lane': `lane-${batch}-${i}`, traceparent: `00-${(batch * 1000 + i + 1).toString(16).padStart(32, '0')}-00f067aa0ba902b7-01` }));
      await flood.send(alsMessage(batch === 0 ? node : undefined, entries));
    }
    assert.equal(await flood.end(), null);
    const view = propagation.view();
    const { used, ignored, rejected } = view.records;
    assert.deepEqual({ malformed: rejected.malformed, no_node: rejected.no_node, unknown_proxy: rejected.unknown_proxy }, { malformed: 1, no_node: 1, unknown_proxy: 3 });
    // Every flooded entry is accounted for: used, ignored (passthrough: not a Laneway cluster) or over the proxy's limit.
    assert.equal(used + ignored + rejected.over_limit, 100_000, JSON.stringify(view.records));
    // 10,000 at once, then 5,000 a second: most of a flood sent in a few seconds is refused.
    assert.ok(rejected.over_limit >= 50_000, JSON.stringify(view.records));
    assert.ok(view.records.indexedTraces <= 20_000);
    const grownMiB = (process.memoryUsage().heapUsed - heapBefore) / 2 ** 20;
    assert.ok(grownMiB < 100, `heap grew ${grownMiB.toFixed(1)} MiB`);

    // Still serving xDS.
    cache.setSnapshot('g', []);
    const ads = new AdsClient(server.port, { id: 'after-flood', cluster: 'orders' });
    ads.request({ typeUrl: TypeUrl.Cluster });
    assert.equal((await ads.next(TypeUrl.Cluster, 5000)).typeUrl, TypeUrl.Cluster);
    ads.close();
  } finally {
    await server.close();
  }
});

test('the access-log wire reader takes cluster, headers and status from a full Envoy entry, skipping every other field', () => {
  const full = create(HTTPAccessLogEntrySchema, {
    commonProperties: {
      sampleRate: 1, upstreamCluster: 'orders~feature-x', routeName: 'orders/feature-x', startTime: { seconds: 1n, nanos: 5 },
      downstreamRemoteAddress: { address: { case: 'socketAddress', value: { address: '127.0.0.1', portSpecifier: { case: 'portValue', value: 5000 } } } },
      responseFlags: { noHealthyUpstream: true }, customTags: { a: 'b' }, upstreamTransportFailureReason: 'none',
    },
    protocolVersion: 2,
    request: { authority: 'orders', path: '/x', requestHeadersBytes: 99n, requestHeaders: { 'x-lane': 'feature-x', traceparent: `00-${TRACE_A}-00f067aa0ba902b7-01` } },
    response: { responseCode: 503, responseHeadersBytes: 10n, responseHeaders: { 'x-lane-served-by': 'orders/stable (fallback)' }, responseCodeDetails: 'via_upstream' },
  });
  const bytes = Buffer.from(toBinary(StreamAccessLogsMessageSchema, create(StreamAccessLogsMessageSchema, {
    identifier: { node: { id: 'orders-1', cluster: 'orders' }, logName: 'laneway-hops' },
    logEntries: { case: 'httpLogs', value: { logEntry: [full, create(HTTPAccessLogEntrySchema, {})] } },
  })));
  const decoded = decodeAccessLogMessage(bytes);
  assert.equal(decoded.identifier?.node?.id, 'orders-1');
  assert.deepEqual(decoded.httpEntries, [
    { upstreamCluster: 'orders~feature-x', requestHeaders: { 'x-lane': 'feature-x', traceparent: `00-${TRACE_A}-00f067aa0ba902b7-01` }, responseCode: 503, responseHeaders: { 'x-lane-served-by': 'orders/stable (fallback)' } },
    { upstreamCluster: '', requestHeaders: {}, responseCode: 0, responseHeaders: {} },
  ]);
  assert.throws(() => decodeAccessLogMessage(Buffer.from([0x12, 0x05, 0x0a])));
});

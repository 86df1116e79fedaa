// Lane-aware tracing with real Envoys (issue 27): settings.tracing, set while the mesh runs (no
// Envoy restart), makes the ingress and every sidecar send OpenTelemetry spans to a real OTLP gRPC
// receiver; a laned request's hops share one trace id, each span tagged with the lane, the proxy's
// service and own lane, and the instance that served.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { meshGet } from '../../deploy/local/client.js';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { OtlpReceiver, type ReceivedSpan } from '../support/otlp-receiver.js';

const TAGS = ['laneway.service', 'laneway.proxy_lane', 'laneway.lane', 'laneway.served_by'];

describe('lane-aware tracing (real Envoys, real OTLP receiver)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-tracing-'));
  // The tracing change is a listener update: the frontend app's kept-alive connection to its sidecar
  // keeps the old listener (no tracer) until drained, which Envoy spreads over --drain-time-s.
  const mesh = new LocalMesh({ workDir, ports: 'free', hopRecords: true, envoyDrainSeconds: 1 });
  const receiver = new OtlpReceiver();

  before(async () => {
    await receiver.start();
    await mesh.startDemo();
  });

  after(async () => {
    await mesh.stop();
    await receiver.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('every hop of a request in feature-x sends a span: one trace id, each tagged with lane and serving instance', async () => {
    const settings = { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'frontend', hopRecords: true };
    const put = await mesh.api('PUT', '/v1/settings', { ...settings, tracing: { collector: `127.0.0.1:${receiver.port}` } });
    assert.equal(put.status, 200, JSON.stringify(put.body));

    // Until the tracers are configured, requests make no spans; then a laned request's trace has all three hops.
    let trace: ReceivedSpan[] = [];
    const deadline = Date.now() + 45_000;
    while (Date.now() < deadline && trace.length < 3) {
      // A new connection each time: Envoy applies a changed listener to new connections (old ones drain).
      const answer = await meshGet(mesh.ingressUrl, { 'x-lane': 'feature-x', connection: 'close' });
      assert.equal(answer.path, 'frontend/stable orders/feature-x payments/stable');
      await new Promise((r) => setTimeout(r, 1000));
      const laned = receiver.spans.filter((s) => s.attributes['laneway.lane'] === 'feature-x');
      const traceIds = [...new Set(laned.map((s) => s.traceId))];
      trace = traceIds.map((id) => laned.filter((s) => s.traceId === id)).find((spans) => spans.length >= 3) ?? [];
    }
    assert.equal(trace.length, 3, JSON.stringify(receiver.spans.slice(-6), null, 1));
    const seen = trace
      .map((s) => [s.serviceName, ...TAGS.map((t) => s.attributes[t] ?? '')])
      .sort((a, b) => (a[0]! < b[0]! ? -1 : 1));
    assert.deepEqual(seen, [
      ['frontend', 'frontend', 'stable', 'feature-x', 'orders/feature-x'],
      ['ingress', 'ingress', '', 'feature-x', 'frontend/stable'],
      ['orders', 'orders', 'feature-x', 'feature-x', 'payments/stable'],
    ]);
    // One trace: each sidecar's span continues the one before it (the apps forward traceparent).
    assert.equal(new Set(trace.map((s) => s.traceId)).size, 1);
    const byService = Object.fromEntries(trace.map((s) => [s.serviceName, s]));
    assert.equal(byService.ingress!.parentSpanId, '');
    assert.notEqual(byService.frontend!.parentSpanId, '');
    assert.notEqual(byService.orders!.parentSpanId, '');
  });
});

// The propagation check with real Envoys (issue 27): every sidecar and the ingress stream hop
// records to the control plane; correct services are never flagged, whatever the lane mechanism;
// a service that forwards traceparent but drops the lane is named by the trace rule within 10 s;
// one that forwards nothing is named by the volume rule; once fixed, each returns to ok.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { meshGet, waitForAnswer, type RequestHeaders } from '../../deploy/local/client.js';
import { LocalMesh } from '../../deploy/local/mesh.js';
import type { PropagationView } from '../../control-plane/src/observe/view.js';

const CLI = ['--import', 'tsx', join(import.meta.dirname, '../../control-plane/src/cli/laneway.ts')];
const DOMAIN = 'app.example.test';

function laneway(args: string[], server: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], { env: { PATH: process.env.PATH, HOME: tmpdir(), LANEWAY_SERVER: server }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout })));
}

/** Every way a request enters a lane at the ingress, and what its path must be. */
function entryRequests(): Array<{ headers: RequestHeaders; query?: string; path: string }> {
  const X = 'frontend/stable orders/feature-x payments/stable';
  const FIX = 'frontend/stable orders/feature-x payments/fix-1';
  const Z = 'frontend/feature-z orders/stable payments/stable';
  const STABLE = 'frontend/stable orders/stable payments/stable';
  return [
    { headers: { 'x-lane': 'feature-x' }, path: X },
    { headers: { baggage: 'userId=alice,lane=fix-1' }, path: FIX },
    { headers: { cookie: 'laneway-lane=feature-z' }, path: Z },
    { headers: {}, query: '?lane=fix-1', path: FIX },
    { headers: { host: `feature-x.${DOMAIN}` }, path: X },
    { headers: { 'x-lane': 'no-such-lane' }, path: STABLE },
    { headers: {}, path: STABLE },
  ];
}

async function propagation(mesh: LocalMesh): Promise<PropagationView> {
  const res = await mesh.api('GET', '/v1/propagation');
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as PropagationView;
}

const statusOf = (view: PropagationView, service: string) => view.services.find((s) => s.service === service)!;

/** Polls /v1/propagation until `accept` holds; returns the view and how long it took. */
async function waitForView(mesh: LocalMesh, accept: (v: PropagationView) => boolean, timeoutMs: number, traffic: () => Promise<unknown>) {
  const started = performance.now();
  let last: PropagationView | undefined;
  while (performance.now() - started < timeoutMs) {
    await traffic();
    last = await propagation(mesh);
    if (accept(last)) return { view: last, ms: performance.now() - started };
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`after ${timeoutMs} ms: ${JSON.stringify(last?.services, null, 1)}`);
}

describe('propagation check (hop records from real Envoys)', () => {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-propagation-'));
  const mesh = new LocalMesh({ workDir, ports: 'free', hopRecords: true, ingressDomain: DOMAIN });
  const send = (lane: string, n: number) => Promise.all(Array.from({ length: n }, () => meshGet(mesh.ingressUrl, { 'x-lane': lane })));

  before(async () => {
    await mesh.startDemo();
    // A 3-deep chain (fix-1 -> feature-x -> stable) and a lane overriding the entry service.
    const fix = await mesh.addInstance('payments', 'fix-1');
    const z = await mesh.addInstance('frontend', 'feature-z');
    assert.equal((await mesh.api('PUT', '/v1/lanes/fix-1', { fallback: 'feature-x', services: { payments: [`127.0.0.1:${fix.appPort}`] } })).status, 201);
    assert.equal((await mesh.api('PUT', '/v1/lanes/feature-z', { services: { frontend: [`127.0.0.1:${z.appPort}`] } })).status, 201);
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'fix-1' }, (a) => a.path.endsWith('payments/fix-1'), 20000);
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'feature-z' }, (a) => a.path.startsWith('frontend/feature-z'), 20000);
  });

  after(async () => {
    await mesh.stop();
    rmSync(workDir, { recursive: true, force: true });
  });

  test('500+ requests through correct services, every lane mechanism, gRPC and unknown lanes: nothing flagged', async () => {
    const requests = entryRequests();
    let sent = 0;
    for (let round = 0; round < 75; round++) {
      const answers = await Promise.all(requests.map((r) => meshGet(`${mesh.ingressUrl}/${r.query ?? ''}`, r.headers)));
      answers.forEach((a, i) => assert.equal(a.path, requests[i]!.path, JSON.stringify(requests[i])));
      sent += answers.length;
    }
    assert.ok(sent >= 500);
    // Entries are flushed each second and a trace is judged after 3 quiet seconds.
    // Three hops a request (ingress, frontend's and orders' sidecars); entries are flushed each second
    // and a trace is judged after 3 quiet seconds.
    const { view } = await waitForView(mesh, (v) => v.records.used >= sent * 3 && v.records.indexedTraces === 0, 15000, async () => {});
    for (const service of view.services) assert.deepEqual(service.problems, [], service.service);
    assert.deepEqual(view.services.map((s) => [s.service, s.status]), [['frontend', 'ok'], ['orders', 'ok'], ['payments', 'ok']]);
    // At least this run's requests (the set-up's checks may add a few): every lane in, every lane out.
    const orders = statusOf(view, 'orders');
    const expected: Record<string, number> = { 'feature-x': 150, 'feature-z': 75, 'fix-1': 150, 'no-such-lane': 75 };
    assert.deepEqual(Object.keys(orders.received.inLanes).sort(), Object.keys(expected));
    assert.deepEqual(Object.keys(orders.sent.withLane).sort(), Object.keys(expected));
    for (const [lane, n] of Object.entries(expected)) assert.ok(orders.received.inLanes[lane]! >= n && orders.sent.withLane[lane]! >= n, lane);
    assert.ok(orders.sent.withoutLane >= 75);
    assert.deepEqual(view.records.rejected, { malformed: 0, no_node: 0, unknown_proxy: 0, over_limit: 0 });
    const doctor = await laneway(['doctor'], mesh.apiUrl);
    assert.equal(doctor.code, 0, doctor.stdout);
    assert.match(doctor.stdout, /no service drops the lane/);
  });

  test('a service that forwards traceparent but drops x-lane is named by laneway doctor within 10 s, then ok once fixed', async () => {
    const broken = await mesh.addInstance('orders', 'drops-x', 'lane');
    assert.equal((await mesh.api('PUT', '/v1/lanes/drops-x', { services: { orders: [`127.0.0.1:${broken.appPort}`] } })).status, 201);
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'drops-x' }, (a) => a.path === 'frontend/stable orders/drops-x payments/stable', 20000);
    const { view, ms } = await waitForView(mesh, (v) => statusOf(v, 'orders').status === 'drops-lane', 10000, () => send('drops-x', 3));
    assert.ok(ms < 10000, `${ms} ms`);
    const [problem] = statusOf(view, 'orders').problems;
    assert.equal(problem!.rule, 'trace');
    assert.equal(problem!.lane, 'drops-x');
    assert.deepEqual(problem!.instances, [{ nodeId: 'orders-drops-x', lane: 'drops-x' }]);
    assert.match(problem!.exampleTraces[0]!, /^[0-9a-f]{32}$/);
    assert.deepEqual(view.services.filter((s) => s.problems.length > 0).map((s) => s.service), ['orders']);
    const doctor = await laneway(['doctor'], mesh.apiUrl);
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, new RegExp(`DROPS LANE: orders \\(instance orders-drops-x \\(lane drops-x\\)\\) received requests in lane drops-x and sent \\d+ without x-lane or baggage in the same trace; forward x-lane \\(or baggage\\) from incoming to outgoing requests \\(traces ${problem!.exampleTraces[0]!.slice(0, 6)}…`));

    // laneway explain warns that a path in drops-x crosses a service that drops it.
    const explained = await mesh.api('GET', '/v1/explain?service=payments&lane=drops-x');
    assert.match(explained.body.warnings[0], /^orders drops lane drops-x: requests in drops-x that pass through it reach later services without their lane/);

    await mesh.stopApp(broken);
    await mesh.restartApp(broken, {});
    await waitForView(mesh, (v) => statusOf(v, 'orders').status === 'ok', 15000, () => send('drops-x', 3));
  });

  test('a service that forwards nothing is named by the volume rule, then ok once fixed', async () => {
    const broken = await mesh.addInstance('orders', 'drops-all', 'all');
    assert.equal((await mesh.api('PUT', '/v1/lanes/drops-all', { services: { orders: [`127.0.0.1:${broken.appPort}`] } })).status, 201);
    await waitForAnswer(mesh.ingressUrl, { 'x-lane': 'drops-all' }, (a) => a.path === 'frontend/stable orders/drops-all payments/stable', 20000);
    const { view } = await waitForView(mesh, (v) => statusOf(v, 'orders').status === 'likely-drops-lane', 15000, () => send('drops-all', 5));
    const [problem] = statusOf(view, 'orders').problems;
    assert.equal(problem!.rule, 'volume');
    assert.equal(problem!.lane, 'drops-all');
    assert.ok(problem!.instances.some((i) => i.nodeId === 'orders-drops-all'), JSON.stringify(problem));
    assert.match(problem!.advice, /^orders \(instance drops-all\) received \d+ requests in lane drops-all and forwarded none with x-lane or baggage/);
    const doctor = await laneway(['doctor'], mesh.apiUrl);
    assert.match(doctor.stdout, /LIKELY DROPS LANE: orders \(instance drops-all\) received \d+ requests in lane drops-all/);

    await mesh.stopApp(broken);
    await mesh.restartApp(broken, {});
    await waitForView(mesh, (v) => statusOf(v, 'orders').status === 'ok', 15000, () => send('drops-all', 5));
    const metrics = await (await fetch(`${mesh.apiUrl}/metrics`)).text();
    assert.match(metrics, /laneway_propagation_status\{service="orders",status="ok"\} 1/);
  });
});

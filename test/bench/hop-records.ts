// Hop records' cost (`npm run bench:hops`): requests per second and p99 latency through one real
// Envoy sidecar with settings.hopRecords off and on, alternating in the same run (goal: on >= 90%
// of off), and the control plane's CPU per 1,000 access-log entries it receives.
//
// The control plane runs in this process (so process.cpuUsage() is its CPU: wrk and the Envoys are
// other processes); the sidecar has one worker pinned to CPU 0, the upstream (an Envoy answering
// directly) and wrk share CPU 1. Each phase starts once the sidecar runs the listener for it.
// Writes test/bench/results/hop-records-<date>.md and prints it.
// Env: LANEWAY_BENCH_SECONDS (8), LANEWAY_BENCH_ROUNDS (3).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { renderBootstrap } from '../../control-plane/src/envoy/bootstrap.js';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { startControlPlane } from '../../control-plane/src/runtime/control-plane.js';
import type { PropagationView } from '../../control-plane/src/observe/view.js';
import { cpuSeconds, workerThread } from './envoy-worker-cpu.js';
import { upstreamBootstrap } from './routing-cost-config.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENVOY = process.env.LANEWAY_ENVOY_BIN ?? 'envoy';
const SECONDS = Number(process.env.LANEWAY_BENCH_SECONDS ?? 8);
const ROUNDS = Number(process.env.LANEWAY_BENCH_ROUNDS ?? 3);
const CONNECTIONS = 16;
const pin = cpus().length >= 2 && spawnSync('sh', ['-c', 'command -v taskset'], { stdio: 'ignore' }).status === 0;
const pinned = (cpu: number, cmd: string, args: string[]): [string, string[]] => (pin ? ['taskset', ['-c', String(cpu), cmd, ...args]] : [cmd, args]);

interface Phase {
  hopRecords: boolean;
  rps: number;
  /** Requests per CPU second of the sidecar's worker thread (which also sends the entries): what one core of it serves, whatever else runs. */
  workerRps: number;
  p99Ms: number;
  errors: number;
  /** Control-plane CPU (user + system) during the phase, ms. */
  cpuMs: number;
  /** Access-log entries the control plane received during the phase (used, ignored or rejected). */
  entries: number;
  overLimit: number;
}

function wrk(url: string): { rps: number; p99Ms: number; errors: number } {
  const [cmd, args] = pinned(1, 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, '--latency', '-H', 'Host: orders', '-H', 'x-lane: feature-x', url]);
  const out = execFileSync(cmd, args, { encoding: 'utf8', timeout: (SECONDS + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)\b/.exec(out);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  if (!Number.isFinite(rps) || !p99) throw new Error(`could not read wrk output:\n${out}`);
  const p99Ms = Number(p99[1]) * (p99[2] === 'us' ? 0.001 : p99[2] === 's' ? 1000 : 1);
  return { rps, p99Ms, errors: non2xx };
}

async function api(base: string, method: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(`${base}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

const received = (v: PropagationView) => v.records.used + v.records.ignored + Object.values(v.records.rejected).reduce((a, b) => a + b, 0);

async function sidecarRuns(adminPort: number, hopRecords: boolean): Promise<void> {
  await waitFor(`the sidecar to run hop records ${hopRecords ? 'on' : 'off'}`, async () => {
    const dump = await (await fetch(`http://127.0.0.1:${adminPort}/config_dump?resource=dynamic_listeners`)).text();
    return dump.includes('laneway-hops') === hopRecords;
  }, 30_000, 100);
}

/** The status of GET / with Host orders (fetch does not let a request set Host). */
function statusOf(port: number): Promise<number> {
  return new Promise((resolve) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers: { host: 'orders' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', () => resolve(0));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function report(phases: Phase[]): string {
  const off = phases.filter((p) => !p.hopRecords);
  const on = phases.filter((p) => p.hopRecords);
  const [offRps, onRps] = [median(off.map((p) => p.rps)), median(on.map((p) => p.rps))];
  const [offWorker, onWorker] = [median(off.map((p) => p.workerRps)), median(on.map((p) => p.workerRps))];
  const [offP99, onP99] = [median(off.map((p) => p.p99Ms)), median(on.map((p) => p.p99Ms))];
  const cpuPerK = (ps: Phase[]) => ps.reduce((a, p) => a + p.cpuMs, 0);
  const entries = on.reduce((a, p) => a + p.entries, 0);
  const extraCpu = cpuPerK(on) - cpuPerK(off);
  const rows = phases.map((p, i) => `| ${i + 1} | ${p.hopRecords ? 'on' : 'off'} | ${p.workerRps.toFixed(0)} | ${p.rps.toFixed(0)} | ${p.p99Ms.toFixed(2)} | ${p.errors} | ${p.entries} | ${p.overLimit} | ${p.cpuMs.toFixed(0)} |`);
  return `# Hop records: cost in Envoy and in the control plane (${new Date().toISOString().slice(0, 10)})

One sidecar Envoy (1 worker${pin ? ', CPU 0' : ''}) routing to a direct-response upstream Envoy; wrk
(${CONNECTIONS} connections, ${SECONDS} s a phase${pin ? ', CPU 1 with the upstream' : ''}) sends \`x-lane: feature-x\`; the control
plane runs in the benchmark's process. Phases alternate off/on in one run, ${ROUNDS} rounds; ${cpus().length} CPUs
shared with whatever else the machine runs. \`npm run bench:hops\` (test/bench/hop-records.ts).

| | hop records off | hop records on | on / off |
| --- | --- | --- | --- |
| requests per worker CPU second (median) | ${offWorker.toFixed(0)} | ${onWorker.toFixed(0)} | ${((onWorker / offWorker) * 100).toFixed(1)} % (goal >= 90 %) |
| requests/s, wall clock (median) | ${offRps.toFixed(0)} | ${onRps.toFixed(0)} | ${((onRps / offRps) * 100).toFixed(1)} % |
| p99 latency, ms (median) | ${offP99.toFixed(2)} | ${onP99.toFixed(2)} | ${((onP99 / offP99) * 100).toFixed(1)} % |

Control plane: ${entries} entries received in the "on" phases, using ${cpuPerK(on).toFixed(0)} ms of CPU
(${cpuPerK(off).toFixed(0)} ms in the "off" phases of the same length): **${((extraCpu / entries) * 1000).toFixed(1)} ms of CPU per 1,000
entries** (${((cpuPerK(on) / entries) * 1000).toFixed(1)} ms counting all CPU of the "on" phases). Entries over a proxy's
limit (5,000/s, burst 10,000) are decoded and counted, not analysed.

| phase | hop records | requests/worker CPU s | requests/s | p99 ms | errors | entries | over limit | CP CPU ms |
| --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'laneway-bench-hops-'));
  const [apiPort, xdsPort, sidecarPort, sidecarAdmin, upstreamPort, upstreamAdmin] = await Promise.all([0, 0, 0, 0, 0, 0].map(() => freePort()));
  const cp = await startControlPlane({ dataDir: join(dir, 'data'), apiPort: apiPort!, xdsPort: xdsPort!, host: '127.0.0.1', logLevel: 'error' }, pino({ level: 'error' }));
  const base = `http://127.0.0.1:${cp.apiPort}`;
  const managed: Managed[] = [];
  try {
    writeFileSync(join(dir, 'upstream.json'), upstreamBootstrap(upstreamPort!, upstreamAdmin!));
    managed.push(startProcess('upstream', ...pinned(1, ENVOY, ['-c', join(dir, 'upstream.json'), '--disable-hot-restart', '--concurrency', '1', '-l', 'error']), join(dir, 'upstream.log')));
    writeFileSync(join(dir, 'sidecar.yaml'), renderBootstrap('sidecar', { NODE_ID: 'frontend-stable', SERVICE: 'frontend', LANE: 'stable', LISTENER_ADDRESS: '127.0.0.1', LISTENER_PORT: sidecarPort!, ADMIN_PORT: sidecarAdmin!, XDS_HOST: '127.0.0.1', XDS_PORT: cp.xdsPort }));
    managed.push(startProcess('sidecar', ...pinned(0, ENVOY, ['-c', join(dir, 'sidecar.yaml'), '--disable-hot-restart', '--concurrency', '1', '-l', 'error']), join(dir, 'sidecar.log')));
    await api(base, 'PUT', '/v1/services/frontend', { protocol: 'http', port: 8080, endpoints: ['127.0.0.1:1'] });
    await api(base, 'PUT', '/v1/services/orders', { protocol: 'http', port: 8080, endpoints: [`127.0.0.1:${upstreamPort}`] });
    await api(base, 'PUT', '/v1/lanes/feature-x', { services: { orders: [`127.0.0.1:${upstreamPort}`] } });
    const settings = { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'frontend' };
    await waitFor('the sidecar to route', async () => (await statusOf(sidecarPort!)) === 200, 60_000, 100);
    const worker = workerThread(managed[1]!.child.pid!);
    const phases: Phase[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      for (const hopRecords of [false, true]) {
        await api(base, 'PUT', '/v1/settings', { ...settings, hopRecords });
        await sidecarRuns(sidecarAdmin!, hopRecords);
        await new Promise((r) => setTimeout(r, 1500)); // the previous phase's last entries arrive
        const before = (await api(base, 'GET', '/v1/propagation')) as PropagationView;
        const cpu = process.cpuUsage();
        const workerBefore = cpuSeconds(worker);
        const load = wrk(`http://127.0.0.1:${sidecarPort}/`);
        const workerRps = (load.rps * SECONDS) / (cpuSeconds(worker) - workerBefore);
        await new Promise((r) => setTimeout(r, 1500));
        const used = process.cpuUsage(cpu);
        const after = (await api(base, 'GET', '/v1/propagation')) as PropagationView;
        phases.push({ hopRecords, ...load, workerRps, cpuMs: (used.user + used.system) / 1000, entries: received(after) - received(before), overLimit: after.records.rejected.over_limit - before.records.rejected.over_limit });
        console.error(`round ${round + 1} hop records ${hopRecords ? 'on' : 'off'}: ${load.rps.toFixed(0)} rps (${workerRps.toFixed(0)} per worker CPU s), p99 ${load.p99Ms.toFixed(2)} ms`);
      }
    }
    const text = report(phases);
    const out = join(root, 'test/bench/results', `hop-records-${new Date().toISOString().slice(0, 10)}.md`);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    console.log(text);
  } finally {
    await Promise.all(managed.map((m) => m.stop()));
    await cp.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();

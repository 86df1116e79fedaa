// Routing cost vs lane count (`npm run bench:routing`): requests per second through one real Envoy
// sidecar whose config is Laneway's translation of a mesh with 0, 100, 1,000 and 10,000 lanes, each
// overriding the called service. Goal: 10,000 lanes >= 95% of 0 lanes. For contrast, the same
// routing as a route list (one header-matching route per lane), which Envoy scans linearly.
//
// Each sidecar runs with one worker pinned to CPU 0; the upstream (an Envoy answering directly)
// and the load generator share CPU 1. Every measurement is checked to reach the intended instance
// first. Writes test/bench/results/routing-cost-<date>.md and prints it.
// Env: LANEWAY_BENCH_LANES (default 0,100,1000,10000), LANEWAY_BENCH_SECONDS (2),
// LANEWAY_BENCH_ROUNDS (5), LANEWAY_BENCH_LOAD=node (skip wrk).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { cpuSeconds, workerThread } from './envoy-worker-cpu.js';
import { benchState, laneName, sidecarBootstrap, upstreamBootstrap, type Dispatch } from './routing-cost-config.js';
import { pickLoadTool, runLoad } from './routing-cost-load.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ENVOY = process.env.LANEWAY_ENVOY_BIN ?? 'envoy';
const LANE_COUNTS = (process.env.LANEWAY_BENCH_LANES ?? '0,100,1000,10000').split(',').map(Number);
const SECONDS = Number(process.env.LANEWAY_BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.LANEWAY_BENCH_ROUNDS ?? 5);
const CONNECTIONS = 16;
const pinCpus = cpus().length >= 2;

interface Row {
  lanes: number;
  dispatch: Dispatch;
  /** Requests per second of the sidecar worker thread's CPU time: what one core of it serves. */
  laneRps: number;
  stableRps: number;
  /** Wall-clock requests per second (depends on whatever else the machine runs). */
  laneWallRps: number;
  stableWallRps: number;
  startMs: number;
  configKiB: number;
  errors: number;
}

function envoyArgs(file: string, cpu: number | undefined): [string, string[]] {
  const args = ['-c', file, '--disable-hot-restart', '--concurrency', '1', '-l', 'error'];
  return cpu !== undefined && pinCpus ? ['taskset', ['-c', String(cpu), ENVOY, ...args]] : [ENVOY, args];
}

async function startEnvoy(dir: string, name: string, bootstrap: string, adminPort: number, cpu: number): Promise<Managed> {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, bootstrap);
  const [cmd, args] = envoyArgs(file, cpu);
  const envoy = startProcess(name, cmd, args, join(dir, `${name}.log`));
  await waitFor(`${name} to be live`, async () => (await fetch(`http://127.0.0.1:${adminPort}/ready`)).ok, 120_000, 100);
  return envoy;
}

function servedBy(port: number, headers: Record<string, string>): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/', headers: { host: 'orders', ...headers } }, (res) => {
      res.resume();
      const value = res.headers['x-lane-served-by'];
      resolve(typeof value === 'string' && res.statusCode === 200 ? value : undefined);
    }).on('error', reject);
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
interface Sidecar {
  row: Row;
  port: number;
  envoy: Managed;
  /** /proc path of the sidecar's worker thread. */
  worker: string;
  laneHeaders: Record<string, string>;
  laneRuns: Array<{ cpu: number; wall: number }>;
  stableRuns: Array<{ cpu: number; wall: number }>;
}

/** Starts the sidecar for one configuration and checks it routes lane and stable requests right. */
async function startSidecar(dir: string, upstream: string, lanes: number, dispatch: Dispatch): Promise<Sidecar> {
  const [port, adminPort] = [await freePort(), await freePort()];
  const bootstrap = sidecarBootstrap(benchState(lanes, upstream, dispatch === 'exact-match-shared'), dispatch, port, adminPort);
  const started = performance.now();
  const envoy = await startEnvoy(dir, `sidecar-${lanes}-${dispatch}`, bootstrap, adminPort, 0);
  const row: Row = { lanes, dispatch, laneRps: 0, stableRps: 0, laneWallRps: 0, stableWallRps: 0, startMs: performance.now() - started, configKiB: bootstrap.length / 1024, errors: 0 };
  const laneHeaders: Record<string, string> = lanes > 0 ? { 'x-lane': laneName(lanes - 1) } : {};
  const expected = lanes > 0 ? `orders/${laneName(lanes - 1)}` : 'orders/stable';
  const got = [await servedBy(port, laneHeaders), await servedBy(port, {})];
  if (got[0] !== expected || got[1] !== 'orders/stable') {
    await envoy.stop();
    throw new Error(`${lanes} lanes, ${dispatch}: routed to ${got.join(', ')}`);
  }
  return { row, port, envoy, worker: workerThread(envoy.child.pid!), laneHeaders, laneRuns: [], stableRuns: [] };
}

/**
 * Rounds over every sidecar in turn (lane request, then stable request), so background load on a
 * shared machine spreads over all configurations instead of skewing one; medians per sidecar.
 */
async function measureAll(sidecars: Sidecar[], tool: 'wrk' | 'node'): Promise<void> {
  const spec = (s: Sidecar, headers: Record<string, string>, seconds: number) => ({
    url: `http://127.0.0.1:${s.port}/`, headers: { host: 'orders', ...headers }, seconds, connections: CONNECTIONS, ...(pinCpus && { cpu: 1 }),
  });
  for (const s of sidecars) await runLoad(tool, spec(s, s.laneHeaders, 1)); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    for (const s of sidecars) {
      for (const [headers, runs] of [[s.laneHeaders, s.laneRuns], [{}, s.stableRuns]] as const) {
        const cpuBefore = cpuSeconds(s.worker);
        const result = await runLoad(tool, spec(s, headers, SECONDS));
        runs.push({ cpu: result.requests / (cpuSeconds(s.worker) - cpuBefore), wall: result.rps });
        s.row.errors += result.errors;
      }
    }
    console.error(`round ${round + 1}/${ROUNDS} done`);
  }
  for (const s of sidecars) {
    Object.assign(s.row, {
      laneRps: median(s.laneRuns.map((r) => r.cpu)),
      stableRps: median(s.stableRuns.map((r) => r.cpu)),
      laneWallRps: median(s.laneRuns.map((r) => r.wall)),
      stableWallRps: median(s.stableRuns.map((r) => r.wall)),
    });
  }
}

function report(rows: Row[], tool: string): string {
  const base = rows.find((r) => r.lanes === 0)!;
  const pct = (v: number, b: number) => `${((100 * v) / b).toFixed(1)}%`;
  const lines = rows.map((r) => `| ${r.lanes.toLocaleString('en-US')} | ${r.dispatch} | ${Math.round(r.laneRps)} | ${pct(r.laneRps, base.laneRps)} | ${Math.round(r.stableRps)} | ${pct(r.stableRps, base.stableRps)} | ${Math.round(r.laneWallRps)} / ${Math.round(r.stableWallRps)} | ${(r.startMs / 1000).toFixed(1)} s | ${Math.round(r.configKiB).toLocaleString('en-US')} | ${r.errors} |`);
  const top = rows.filter((r) => r.dispatch === 'exact-match').at(-1)!;
  const clean = rows.every((r) => r.errors === 0);
  const goal = clean && Math.min(top.laneRps / base.laneRps, top.stableRps / base.stableRps) >= 0.95;
  return `# Routing cost vs lane count (${new Date().toISOString().slice(0, 10)})

\`npm run bench:routing\` (test/bench/routing-cost.ts). One Envoy sidecar (${ENVOY}, --concurrency 1${pinCpus ? ', pinned to CPU 0' : ''}) with
Laneway's translation of a mesh where N lanes each override \`orders\`; requests go to its outbound
listener with \`Host: orders\`. The upstream is an Envoy answering directly${pinCpus ? ' (CPU 1, shared with the load generator)' : ''}.
Load: ${tool}, ${CONNECTIONS} connections, ${SECONDS} s per run, median of ${ROUNDS} rounds (every configuration takes its turn in each round), after a 1 s warm-up. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.
"lane request" names the last lane (the worst case for a route list); "stable request" has no lane header.
"route-list" is the same routing as one header-matching route per lane (not what Laneway emits), for contrast.
"exact-match-shared" (largest lane count only) has the same N-entry map but every lane reaches one
lane instance (2 clusters instead of N+1): it separates the cost of the lookup from the cost of
having N clusters in one Envoy (memory and cache footprint).
"rps/core" is requests served per second of CPU time of the sidecar's worker thread (user + system,
from /proc; Envoy's main thread only loads config and flushes stats), i.e. what one core sustains.
The goal is judged on it because wall-clock rps on a shared 2-core machine moves with whatever else
runs there; wall-clock rps is shown too, for reference.

| lanes | dispatch | lane request rps/core | vs 0 lanes | stable request rps/core | vs 0 lanes | wall rps lane / stable | start-up | config KiB | errors |
| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${lines.join('\n')}

Goal (exact-match, ${top.lanes.toLocaleString('en-US')} lanes >= 95% of 0 lanes, both request kinds, no errors): **${goal ? 'met' : 'NOT met'}**.${clean ? '' : '\n**Some runs had errors (non-2xx or socket errors): these numbers are not valid.**'}
Start-up is from spawning Envoy to its admin /ready answering (clusters and routes loaded).
`;
}

const dir = mkdtempSync(join(tmpdir(), 'laneway-bench-routing-'));
const tool = pickLoadTool();
const [upstreamPort, upstreamAdmin] = [await freePort(), await freePort()];
const upstream = await startEnvoy(dir, 'upstream', upstreamBootstrap(upstreamPort, upstreamAdmin), upstreamAdmin, 1);
const sidecars: Sidecar[] = [];
try {
  for (const lanes of LANE_COUNTS) {
    const largest = lanes === Math.max(...LANE_COUNTS);
    const dispatches: Dispatch[] = lanes === 0 ? ['exact-match'] : largest ? ['exact-match', 'exact-match-shared', 'route-list'] : ['exact-match', 'route-list'];
    for (const dispatch of dispatches) {
      sidecars.push(await startSidecar(dir, `127.0.0.1:${upstreamPort}`, lanes, dispatch));
      console.error(`${lanes} lanes ${dispatch}: started in ${(sidecars.at(-1)!.row.startMs / 1000).toFixed(1)} s`);
    }
  }
  await measureAll(sidecars, tool);
} finally {
  await Promise.all([upstream, ...sidecars.map((s) => s.envoy)].map((e) => e.stop()));
  rmSync(dir, { recursive: true, force: true });
}
const rows = sidecars.map((s) => s.row);
const text = report(rows, tool);
const out = join(root, 'test/bench/results', `routing-cost-${new Date().toISOString().slice(0, 10)}.md`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
console.log(text);
console.error(`wrote ${out}`);

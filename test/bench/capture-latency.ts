// Capture path vs explicit-proxy path (`npm run bench:capture`): requests per second and p99
// latency through one real Envoy sidecar, the same run, with 0 and 1,000 lanes. A report, not a test.
//
// In a network namespace made for the run (root; see test/support/netns.ts): the sidecar (uid 1337,
// Laneway's translation with the capture listener, made static), iptables from
// deploy/capture/laneway-capture.sh, an upstream Envoy answering directly, and wrk as the app:
//   explicit: wrk -> http://127.0.0.1:15001/ with Host: orders   (the HTTP_PROXY / base-URL mode)
//   capture:  wrk -> http://orders:8080/ (/etc/hosts: a pretend ClusterIP in 127.77.0.0/16),
//             redirected by iptables to the capture listener (original_dst, http_inspector).
// Paths alternate within every round, so background load on a shared machine hits both alike.
// Env: LANEWAY_BENCH_SECONDS (2), LANEWAY_BENCH_ROUNDS (5). Writes test/bench/results/capture-latency-<date>.md.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { waitFor, type Managed } from '../../deploy/local/processes.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { translateProxy } from '../../control-plane/src/translate/index.js';
import { staticBootstrap } from '../golden/envoy-bootstrap.js';
import { envoyBinaryForAnyUid, NetNs, netnsUnavailable } from '../support/netns.js';
import { benchState, laneName, upstreamBootstrap } from './routing-cost-config.js';
import { pickLoadTool } from './routing-cost-load.js';

const ROOT = resolve(import.meta.dirname, '../..');
const LANE_COUNTS = [0, 1000];
const SECONDS = Number(process.env.LANEWAY_BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.LANEWAY_BENCH_ROUNDS ?? 5);
const PROXY_UID = 1337;
const PORTS = { explicit: 15001, capture: 15006, admin: 15000, upstream: 3001, upstreamAdmin: 15100 };
const UPSTREAM = `127.77.1.2:${PORTS.upstream}`;
const CLUSTER_IP = '127.77.0.10';
const pin = cpus().length >= 2;

type Path = 'explicit' | 'capture';
interface Mode { name: string; connections: number; close: boolean }
const MODES: Mode[] = [
  { name: '1 connection, keep-alive', connections: 1, close: false },
  { name: '16 connections, keep-alive', connections: 16, close: false },
  { name: '16 connections, new connection per request', connections: 16, close: true },
];
interface Sample { rps: number; p50Ms: number; p99Ms: number; errors: number; /** Requests per CPU second of the sidecar's worker thread. */ rpsPerCore: number }
interface Row { lanes: number; mode: string; path: Path; samples: Sample[] }

/** The orders Service as Kubernetes would give it, so captured requests match its domains. */
function stateWith(lanes: number): MeshState {
  const state = benchState(lanes, UPSTREAM);
  state.services.orders = { ...state.services.orders!, namespace: 'shop', addresses: [CLUSTER_IP] };
  return state;
}

function sidecarBootstrap(lanes: number): string {
  const resources = translateProxy(stateWith(lanes), {
    kind: 'sidecar', service: 'frontend', listenerAddress: '127.0.0.1', listenerPort: PORTS.explicit, capture: { address: '0.0.0.0', port: PORTS.capture },
  });
  const bootstrap = JSON.parse(staticBootstrap(resources)) as Record<string, unknown>;
  return JSON.stringify({ ...bootstrap, node: { id: 'bench-sidecar', cluster: 'frontend' }, admin: { address: { socket_address: { address: '127.0.0.1', port_value: PORTS.admin } } } });
}

function toMs(value: string, unit: string): number {
  return Number(value) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[unit]!;
}

function wrk(ns: NetNs, path: Path, mode: Mode, headers: Record<string, string>, seconds: number): Sample {
  const url = path === 'explicit' ? `http://127.0.0.1:${PORTS.explicit}/` : 'http://orders:8080/';
  const all = { ...(path === 'explicit' && { Host: 'orders' }), ...headers, ...(mode.close && { Connection: 'close' }) };
  const args = ['-t1', `-c${mode.connections}`, `-d${seconds}s`, '--latency', ...Object.entries(all).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url];
  const out = pin ? ns.run('taskset', ['-c', '1', 'wrk', ...args], undefined, (seconds + 30) * 1000) : ns.run('wrk', args, undefined, (seconds + 30) * 1000);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out.stdout)?.[1]);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out.stdout);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\s*$/m.exec(out.stdout);
  if (!Number.isFinite(rps) || !p99 || !p50) throw new Error(`wrk ${path}: could not read its output:\n${out.stdout}${out.stderr}`);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out.stdout)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out.stdout);
  // With Connection: close wrk counts the server's close after each answer as a read error.
  const socketErrors = socket ? Number(socket[1]) + Number(socket[3]) + Number(socket[4]) + (mode.close ? 0 : Number(socket[2])) : 0;
  const requests = Number(/(\d+) requests in/.exec(out.stdout)?.[1]);
  return { rps, p50Ms: toMs(p50[1]!, p50[2]!), p99Ms: toMs(p99[1]!, p99[2]!), errors: non2xx + socketErrors, rpsPerCore: requests };
}

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) of Envoy's only worker thread, which does all the request work. */
function workerCpuSeconds(pid: number): number {
  const tasks = readdirSync(`/proc/${pid}/task`).map((tid) => `/proc/${pid}/task/${tid}`);
  const worker = tasks.find((dir) => readFileSync(join(dir, 'comm'), 'utf8').startsWith('wrk:worker'));
  if (!worker) throw new Error(`envoy ${pid} has no worker thread`);
  const fields = readFileSync(join(worker, 'stat'), 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** One wrk run, with rpsPerCore from the sidecar worker's CPU time over the run. */
function run(ns: NetNs, sidecarPid: number, path: Path, mode: Mode, headers: Record<string, string>, seconds: number): Sample {
  const before = workerCpuSeconds(sidecarPid);
  const sample = wrk(ns, path, mode, headers, seconds);
  return { ...sample, rpsPerCore: sample.rpsPerCore / Math.max(workerCpuSeconds(sidecarPid) - before, 1 / CLOCK_TICKS) };
}

function servedBy(ns: NetNs, path: Path, headers: Record<string, string>): string {
  const url = path === 'explicit' ? `http://127.0.0.1:${PORTS.explicit}/` : 'http://orders:8080/';
  const all = { ...(path === 'explicit' && { Host: 'orders' }), ...headers };
  const out = ns.run('curl', ['-sS', '-m', '5', '-o', '/dev/null', '-D', '-', ...Object.entries(all).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]);
  return /^x-lane-served-by: (.*)$/im.exec(out.stdout)?.[1]?.trim() ?? `(none: ${out.stderr.trim() || out.stdout.split('\n')[0]})`;
}

async function startSidecar(ns: NetNs, dir: string, envoy: string, lanes: number): Promise<Managed> {
  const file = join(dir, `sidecar-${lanes}.json`);
  writeFileSync(file, sidecarBootstrap(lanes), { mode: 0o644 });
  const cmd = ['setpriv', '--reuid', String(PROXY_UID), '--regid', String(PROXY_UID), '--clear-groups', envoy, '-c', file, '--disable-hot-restart', '--concurrency', '1', '-l', 'error'];
  const [command, ...args] = pin ? ['taskset', '-c', '0', ...cmd] : cmd;
  const sidecar = ns.start(`sidecar-${lanes}`, command!, args, join(dir, `sidecar-${lanes}.log`));
  await waitFor(`sidecar with ${lanes} lanes to be ready`, async () => ns.run('curl', ['-s', '-m', '1', `http://127.0.0.1:${PORTS.admin}/ready`]).stdout.trim() === 'LIVE', 120_000, 200);
  return sidecar;
}

async function measure(ns: NetNs, dir: string, envoy: string, lanes: number): Promise<Row[]> {
  const sidecar = await startSidecar(ns, dir, envoy, lanes);
  try {
    const headers: Record<string, string> = lanes > 0 ? { 'x-lane': laneName(lanes - 1) } : {};
    const expected = lanes > 0 ? `orders/${laneName(lanes - 1)}` : 'orders/stable';
    for (const path of ['explicit', 'capture'] as const) {
      const got = servedBy(ns, path, headers);
      if (got !== expected) throw new Error(`${lanes} lanes, ${path} path: served by ${got}, expected ${expected}`);
    }
    const rows = MODES.flatMap((mode) => (['explicit', 'capture'] as const).map((path): Row => ({ lanes, mode: mode.name, path, samples: [] })));
    for (const mode of MODES) for (const path of ['explicit', 'capture'] as const) wrk(ns, path, mode, headers, 1); // warm-up
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of MODES) {
        for (const path of (round % 2 === 0 ? ['explicit', 'capture'] : ['capture', 'explicit']) as Path[]) {
          rows.find((r) => r.mode === mode.name && r.path === path)!.samples.push(run(ns, sidecar.child.pid!, path, mode, headers, SECONDS));
        }
      }
      console.error(`${lanes} lanes: round ${round + 1}/${ROUNDS} done`);
    }
    return rows;
  } finally {
    await sidecar.stop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function summary(samples: Sample[]) {
  const of = (key: keyof Sample) => median(samples.map((s) => s[key]));
  return { rps: of('rps'), rpsPerCore: of('rpsPerCore'), p50: of('p50Ms'), p99: of('p99Ms'), errors: samples.reduce((n, s) => n + s.errors, 0) };
}

function report(rows: Row[]): string {
  const byKey = new Map(rows.map((r) => [`${r.lanes}|${r.mode}|${r.path}`, r]));
  const lines: string[] = [];
  for (const lanes of LANE_COUNTS) {
    for (const mode of MODES) {
      const [e, c] = (['explicit', 'capture'] as const).map((p) => summary(byKey.get(`${lanes}|${mode.name}|${p}`)!.samples));
      const pct = (a: number, b: number) => `${((100 * a) / b).toFixed(1)}%`;
      lines.push(`| ${lanes.toLocaleString('en-US')} | ${mode.name} | ${Math.round(e!.rps)} / ${Math.round(c!.rps)} | ${Math.round(e!.rpsPerCore)} / ${Math.round(c!.rpsPerCore)} (${pct(c!.rpsPerCore, e!.rpsPerCore)}) | ${e!.p50.toFixed(2)} / ${c!.p50.toFixed(2)} | ${e!.p99.toFixed(2)} / ${c!.p99.toFixed(2)} | ${e!.errors + c!.errors} |`);
    }
  }
  return `# Capture path vs explicit-proxy path (${new Date().toISOString().slice(0, 10)})

\`npm run bench:capture\` (test/bench/capture-latency.ts): one real Envoy sidecar (uid ${PROXY_UID}, --concurrency 1${pin ? ', pinned to CPU 0' : ''})
with Laneway's translation of a mesh where N lanes each override \`orders\`, in a network namespace
made for the run, with deploy/capture/laneway-capture.sh's iptables rules. The app is wrk${pin ? ' (CPU 1, with the upstream)' : ''}:
- **explicit**: \`http://127.0.0.1:${PORTS.explicit}/\` with \`Host: orders\` (the outbound listener, HTTP_PROXY / base-URL mode);
- **capture**: \`http://orders:8080/\` (/etc/hosts: ${CLUSTER_IP}), redirected by nat OUTPUT to the capture
  listener (original_dst + http_inspector, routes \`capture\`).
With lanes, every request names the last lane (\`x-lane\`); both paths were checked to reach that lane's instance first.
The upstream is an Envoy answering directly. ${SECONDS} s per run, median of ${ROUNDS} rounds (paths alternate
within each round), after a 1 s warm-up of each. Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, shared with other work:
absolute numbers move with it, the explicit/capture ratio from the same rounds less so.

Each cell is **explicit / capture**. "rps" is wall-clock requests per second; "rps/core" is requests per
second of CPU time of the sidecar's worker thread (user + system, from /proc), what one core of the
sidecar sustains, which moves far less with the machine's other load than wall-clock numbers do
(kernel work the redirect adds in the app's own context is not in it). Latencies are wrk's percentiles.

| lanes | load | rps | rps/core (capture vs explicit) | p50 ms | p99 ms | errors |
| ---: | --- | ---: | ---: | ---: | ---: | ---: |
${lines.join('\n')}

"new connection per request" sends \`Connection: close\`: every request pays the connect, the
iptables redirect (conntrack NAT), and on the capture path the listener filters (original_dst,
http_inspector) before HTTP starts; keep-alive runs pay those once per connection.
`;
}

const unavailable = netnsUnavailable();
if (unavailable) {
  console.error(`bench:capture cannot run here: ${unavailable}`);
  process.exit(1);
}
if (pickLoadTool() !== 'wrk') {
  console.error('bench:capture needs wrk (apt-get install -y wrk)');
  process.exit(1);
}
const dir = mkdtempSync(join(tmpdir(), 'laneway-bench-capture-'));
chmodSync(dir, 0o755);
const ns = new NetNs(`lwbench${process.pid}`);
const rows: Row[] = [];
try {
  ns.create(`127.0.0.1 localhost\n${CLUSTER_IP} orders orders.shop orders.shop.svc orders.shop.svc.cluster.local\n`);
  const envoy = envoyBinaryForAnyUid();
  writeFileSync(join(dir, 'upstream.json'), upstreamBootstrap(PORTS.upstream, PORTS.upstreamAdmin).replace('"address":"127.0.0.1","port_value":3001', `"address":"127.77.1.2","port_value":${PORTS.upstream}`));
  const upstreamCmd = [envoy, '-c', join(dir, 'upstream.json'), '--disable-hot-restart', '--concurrency', '1', '-l', 'error', '--base-id', '1'];
  const [command, ...args] = pin ? ['taskset', '-c', '1', ...upstreamCmd] : upstreamCmd;
  ns.start('upstream', command!, args, join(dir, 'upstream.log'));
  await waitFor('the upstream', async () => ns.run('curl', ['-s', '-m', '1', `http://127.0.0.1:${PORTS.upstreamAdmin}/ready`]).stdout.trim() === 'LIVE', 60_000, 200);
  ns.mustRun('sh', [join(ROOT, 'deploy/capture/laneway-capture.sh')], { ...process.env, LANEWAY_CAPTURE_PORT: String(PORTS.capture), LANEWAY_PROXY_UID: String(PROXY_UID) });
  for (const lanes of LANE_COUNTS) rows.push(...(await measure(ns, dir, envoy, lanes)));
} finally {
  ns.run('sh', [join(ROOT, 'deploy/capture/laneway-capture.sh'), '--clean']);
  await ns.destroy();
  rmSync(dir, { recursive: true, force: true });
}
const text = report(rows);
const out = join(ROOT, 'test/bench/results', `capture-latency-${new Date().toISOString().slice(0, 10)}.md`);
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, text);
console.log(text);
console.error(`wrote ${out}`);

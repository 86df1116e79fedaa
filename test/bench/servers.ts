// The control planes under test, each a fresh process pinned to its own CPU: Laneway (main.ts, with
// the bench topology in its store) and the go-control-plane program in both cache modes. Memory and
// CPU are read from /proc (and heap from each runtime, after a GC).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import type { MeshState } from '../../control-plane/src/model/types.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const GCP_DIR = join(ROOT, 'test/bench/gcp');
export const SERVER_CPU = '1';

export type ServerKind = 'laneway' | 'laneway-delta' | 'gcp-linear' | 'gcp-snapshot' | 'baseline-laneway' | 'baseline-laneway-delta';

/** Laneway servers run from another checkout (`--baseline DIR`, e.g. today's main), side by side with this one. */
export const isBaseline = (kind: ServerKind) => kind.startsWith('baseline-');
export const isLaneway = (kind: ServerKind) => kind.startsWith('laneway') || isBaseline(kind);

/**
 * How to start the control plane of a checkout: its compiled entry point with plain node, as
 * production runs it, when it has one (`npm run build`); otherwise its sources through tsx.
 */
export function lanewayEntry(root: string): string[] {
  const compiled = join(root, 'dist/control-plane/src/main.js');
  return existsSync(compiled) ? [compiled] : ['--import', 'tsx', join(root, 'control-plane/src/main.ts')];
}

/** Runs a checkout's own script (TypeScript through that checkout's tsx), e.g. its rebuild benchmark. */
export function checkoutScript(root: string, script: string): string[] {
  return ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/esm/index.mjs')).href, join(root, script)];
}

export interface Server {
  kind: ServerKind;
  pid: number;
  apiUrl: string;
  xdsTarget: string;
  /** Heap in use after a full GC (V8 heapUsed, Go HeapAlloc). */
  heapBytes(): Promise<number>;
  /** Laneway only: the V8 CPU profiler around a phase; stop() returns the .cpuprofile path. */
  profiler?: { start(): Promise<void>; stop(): Promise<string> };
  stop(): Promise<void>;
}

/** The same topology as JSON for the Go program. */
export function writeGoTopology(file: string, state: MeshState): void {
  const services = Object.values(state.services).map(({ name, port, endpoints, dependsOn }) => ({ name, port, endpoints, dependsOn: dependsOn ?? null }));
  const lanes = Object.values(state.lanes).map(({ name, services: laneServices }) => ({ name, services: laneServices }));
  writeFileSync(file, JSON.stringify({ laneHeader: state.settings.laneHeader, servedByHeader: state.settings.servedByHeader, services, lanes }));
}

/** Builds the Go program once (go.mod pins go-control-plane, fetched through the Go module proxy). */
export function buildGoServer(cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const binary = join(cacheDir, 'gcp-bench');
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: GCP_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  return binary;
}

export function procStatus(pid: number): { rssBytes: number; peakRssBytes: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN) * 1024;
  return { rssBytes: kb('VmRSS'), peakRssBytes: kb('VmHWM') };
}

const CLOCK_TICKS = 100;

/** User + system CPU seconds the process used so far (all threads). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

function pinned(command: string, args: string[]): [string, string[]] {
  return ['taskset', ['-c', SERVER_CPU, command, ...args]];
}

async function ready(url: string): Promise<void> {
  await waitFor(`${url} to answer`, async () => (await fetch(url)).ok, 60_000, 100);
}

export async function startLaneway(kind: ServerKind, workDir: string, state: MeshState, env: NodeJS.ProcessEnv = {}, root = ROOT): Promise<Server> {
  const dataDir = join(workDir, `data-${kind}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(join(dataDir, 'state.json'), JSON.stringify({ format: 2, ...state }));
  const [apiPort, xdsPort] = [await freePort(), await freePort()];
  const probeFile = join(workDir, `probe-${kind}.json`);
  rmSync(probeFile, { force: true });
  // The probe is this checkout's; the server is the checkout's own.
  const entry = lanewayEntry(root).map((arg) => (arg === 'tsx' ? pathToFileURL(join(root, 'node_modules/tsx/dist/esm/index.mjs')).href : arg));
  const args = ['--expose-gc', '--import', pathToFileURL(join(ROOT, 'test/bench/laneway-probe.mjs')).href, ...entry, '--api-port', String(apiPort), '--xds-port', String(xdsPort)];
  args.push('--host', '127.0.0.1', '--data-dir', dataDir, '--log-level', 'warn');
  const [cmd, argv] = pinned(process.execPath, args);
  const proc = startProcess(kind, cmd, argv, join(workDir, `${kind}.log`), { ...process.env, ...env, LANEWAY_BENCH_PROBE_FILE: probeFile });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await ready(`${apiUrl}/readyz`);
  return {
    kind, pid: proc.child.pid!, apiUrl, xdsTarget: `127.0.0.1:${xdsPort}`,
    heapBytes: async () => (await probe(proc, probeFile, 'heap')).heapUsed as number,
    profiler: {
      start: async () => void (await probe(proc, probeFile, 'profile-start')),
      stop: async () => (await probe(proc, probeFile, 'profile-stop')).profile as string,
    },
    stop: () => proc.stop(5000),
  };
}

/** Runs a laneway-probe.mjs command in the server and returns its answer. */
async function probe(proc: Managed, file: string, command: string): Promise<Record<string, unknown>> {
  const last = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { seq: number }).seq : 0;
  writeFileSync(`${file}.cmd`, command);
  proc.child.kill('SIGUSR2');
  let answer: Record<string, unknown> = {};
  await waitFor(`the probe to answer ${command}`, async () => {
    if (!existsSync(file)) return false;
    answer = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    return (answer.seq as number) > last;
  }, 20_000, 20);
  if (answer.error) throw new Error(`probe ${command}: ${String(answer.error)}`);
  return answer;
}

export async function startGo(kind: ServerKind, binary: string, workDir: string, topologyFile: string): Promise<Server> {
  const [apiPort, xdsPort] = [await freePort(), await freePort()];
  const mode = kind === 'gcp-snapshot' ? 'snapshot' : 'linear';
  const [cmd, argv] = pinned(binary, ['-mode', mode, '-topology', topologyFile, '-api-port', String(apiPort), '-xds-port', String(xdsPort)]);
  const proc = startProcess(kind, cmd, argv, join(workDir, `${kind}.log`), { ...process.env, GOMAXPROCS: '1' });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await ready(`${apiUrl}/readyz`);
  return {
    kind, pid: proc.child.pid!, apiUrl, xdsTarget: `127.0.0.1:${xdsPort}`,
    heapBytes: async () => ((await (await fetch(`${apiUrl}/debug/memory`)).json()) as { heapAlloc: number }).heapAlloc,
    stop: () => proc.stop(5000),
  };
}

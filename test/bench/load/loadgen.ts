// The Node load generator (`--loadgen node`; the Go one in load-go/ is the default): N Envoy-like ADS streams, driven by the bench over IPC. It times what
// a proxy would see: when every stream holds its config, and, after a lane is created through the
// control API, when every affected stream has received and ACKed the lane's clusters, endpoints
// and routes.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { churn, type ChurnCommand } from './churn.js';
import { collectGarbage } from './collect-garbage.js';
import { CDS, EDS, EnvoyStream, RDS, type Protocol, type StreamNode } from './envoy-stream.js';
import type { ScannedResponse } from './proto-scan.js';

export type LoadCommand =
  | { cmd: 'connect'; target: string; protocol: Protocol; nodes: StreamNode[]; timeoutMs: number }
  | { cmd: 'lane'; apiUrl: string; name: string; body: unknown; expect: Record<string, string[]>; timeoutMs: number }
  | ChurnCommand
  | { cmd: 'reconnect'; target: string; timeoutMs: number }
  | { cmd: 'close' };

export interface ConnectResult {
  ms: number;
  /** Per stream: ms from the start until it held CDS, EDS for every cluster, LDS and RDS. */
  syncedMs: number[];
  errors: string[];
  /** Streams that failed and were opened again, as Envoy retries (the Go generator; this one does not retry). */
  streamsRetried: number;
}

export interface LaneResult {
  httpStatus: number;
  httpMs: number;
  /** Per affected stream: ms from sending the PUT until its last needed ACK. */
  convergedMs: number[];
  missing: string[];
  /** Responses that reached streams the lane does not affect. */
  unaffectedResponses: number;
  affectedResponses: number;
  affectedBytes: number;
  /** This process's longest event-loop stall while timing the lane (its own GC or work delays what it sees). */
  loadgenStallMs: number;
  /** This process's CPU time from the PUT until the last affected stream converged. */
  loadgenCpuMs: number;
}

const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();

const streams: EnvoyStream[] = [];
let listener: ((s: EnvoyStream, res: ScannedResponse, at: number) => void) | undefined;

function synced(s: EnvoyStream): boolean {
  const clusters = s.held.get(CDS)!;
  const endpoints = s.held.get(EDS)!;
  if (clusters.size === 0 || s.held.get(RDS)!.size === 0) return false;
  for (const c of clusters) if (!endpoints.has(c)) return false;
  return true;
}

function waitUntil(done: () => boolean, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const started = performance.now();
    const tick = () => {
      if (done()) resolve(true);
      else if (performance.now() - started > timeoutMs) resolve(false);
      else setTimeout(tick, 2);
    };
    tick();
  });
}

async function connect(c: Extract<LoadCommand, { cmd: 'connect' }>): Promise<ConnectResult> {
  const started = performance.now();
  const syncedAt = new Map<EnvoyStream, number>();
  listener = (s, _res, at) => {
    if (!syncedAt.has(s) && synced(s)) syncedAt.set(s, at - started);
  };
  const opened = c.nodes.map((node) => new EnvoyStream(c.target, node, c.protocol, (s, res, at) => listener?.(s, res, at)));
  streams.push(...opened);
  // Until every stream synced or failed: one failed stream does not cut the others' wait short.
  await waitUntil(() => opened.every((s) => syncedAt.has(s) || s.error), c.timeoutMs);
  listener = undefined;
  const errors = opened.filter((s) => s.error).map((s) => `${s.node.id}: ${s.error}`);
  const ms = performance.now() - started;
  for (const s of opened) if (!syncedAt.has(s) && !s.error) errors.push(`${s.node.id}: not synced after ${Math.round(ms)} ms`);
  return { ms, syncedMs: [...syncedAt.values()], errors, streamsRetried: 0 };
}

async function lane(c: Extract<LoadCommand, { cmd: 'lane' }>): Promise<LaneResult> {
  const marker = Buffer.from(c.name);
  const affected = new Map(streams.filter((s) => Object.hasOwn(c.expect, s.node.id)).map((s) => [s, c.expect[s.node.id]!]));
  const routed = new Set<EnvoyStream>();
  const converged = new Map<EnvoyStream, number>();
  const result = { unaffectedResponses: 0, affectedResponses: 0, affectedBytes: 0 };
  const before = new Map(streams.map((s) => [s, { responses: s.responses, bytes: s.bytes }]));
  let t0 = 0;
  listener = (s, res, at) => {
    const clusters = affected.get(s);
    if (!clusters || converged.has(s)) return;
    if (res.typeUrl === RDS && res.resources.some((r) => r.value.includes(marker))) routed.add(s);
    const held = (t: string) => clusters.every((name) => s.held.get(t)!.has(name));
    if (routed.has(s) && held(CDS) && held(EDS)) converged.set(s, at - t0);
  };
  await collectGarbage();
  loopDelay.reset();
  const cpu0 = process.cpuUsage();
  t0 = performance.now();
  const res = await fetch(`${c.apiUrl}/v1/lanes/${c.name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.body) });
  const httpMs = performance.now() - t0;
  await res.text();
  await waitUntil(() => converged.size === affected.size, c.timeoutMs);
  const loadgenStallMs = loopDelay.max / 1e6;
  const cpu = process.cpuUsage(cpu0);
  const loadgenCpuMs = (cpu.user + cpu.system) / 1000;
  await new Promise((r) => setTimeout(r, 100)); // late pushes to bystanders still count
  listener = undefined;
  for (const s of streams) {
    const was = before.get(s)!;
    if (affected.has(s)) {
      result.affectedResponses += s.responses - was.responses;
      result.affectedBytes += s.bytes - was.bytes;
    } else result.unaffectedResponses += s.responses - was.responses;
  }
  const missing = [...affected.keys()].filter((s) => !converged.has(s)).map((s) => s.node.id);
  return { httpStatus: res.status, httpMs, convergedMs: [...converged.values()], missing, loadgenStallMs, loadgenCpuMs, ...result };
}

/** Every stream drops at once and reconnects at once, as after a control-plane failover. */
async function reconnect(c: Extract<LoadCommand, { cmd: 'reconnect' }>): Promise<ConnectResult> {
  const old = streams.splice(0);
  if (old.length === 0) return { ms: 0, syncedMs: [], errors: [], streamsRetried: 0 };
  const protocol = old[0]!.protocol;
  for (const s of old) s.close();
  return connect({ cmd: 'connect', target: c.target, protocol, nodes: old.map((s) => s.node), timeoutMs: c.timeoutMs });
}

async function handle(c: LoadCommand): Promise<unknown> {
  if (c.cmd === 'connect') return connect(c);
  if (c.cmd === 'lane') return lane(c);
  if (c.cmd === 'churn') return churn(c, streams, (l) => (listener = l));
  if (c.cmd === 'reconnect') return reconnect(c);
  for (const s of streams.splice(0)) s.close();
  return {};
}

// One JSON command per line on stdin, one JSON reply per line on stdout (driver.ts); stdin's end ends it.
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  handle(JSON.parse(line) as LoadCommand).then(
    (result) => process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`),
    (err: Error) => process.stdout.write(`${JSON.stringify({ ok: false, error: err.stack ?? String(err) })}\n`),
  );
});
lines.on('close', () => {
  for (const s of streams.splice(0)) s.close();
  process.exit(0);
});

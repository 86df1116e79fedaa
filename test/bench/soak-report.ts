// The soak's markdown report: requests by verdict, disruptions with the xDS versions around them,
// lane churn, and the control plane's memory slopes.
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { expectedPath, STEADY_DEF, STEADY_LANE, type ChurnTally, type LaneTimeline } from './soak-lanes.js';
import { memoryFits, type MemorySample } from './soak-memory.js';
import { judge, type RequestRecord, type Verdict, type Window } from './soak-traffic.js';
import type { VersionCheck } from './soak-versions.js';

/** Samples of a process's first 30 s are left out of the memory fits. */
const WARMUP_MS = 30_000;
/**
 * Flat memory: the live data heap (the heap after a full GC, less V8's compiled code) grows at most
 * this much per minute, pooled over processes. Code is left out because the JIT keeps compiling and
 * optimizing more of the program for many minutes (docs/soak.md: a heap-snapshot diff of a 20-minute
 * run put 0.60 of 0.66 MB of live-heap growth in code, bytecode and JIT feedback); it is reported beside.
 */
const FLAT_LIVE_DATA_MIB_PER_MIN = 0.1;

export interface Disruption {
  what: string;
  /** How a stopped control plane ended ("exit 0", "SIGKILL"); empty for the Envoy. */
  ended: string;
  at: number;
  downMs: number;
  before: VersionCheck;
  after: VersionCheck;
  sameAsBefore: boolean;
}

export interface SoakRun {
  startedAt: Date;
  minutes: number;
  rate: number;
  seed: number;
  envoys: number;
  propagationWindowMs: number;
  records: RequestRecord[];
  timeline: LaneTimeline;
  churn: ChurnTally;
  cpDown: Window[];
  ingressDown: Window[];
  disruptions: Disruption[];
  samples: MemorySample[];
  final: VersionCheck;
  /** Sum of every Envoy's *.update_rejected counters at the end (the restarted ingress counts from its restart). */
  rejectedUpdates: number;
  /** "node cluster counter value" for the upstream failure counters that are not 0 at the end (clusters still present). */
  upstreamFailures: string[];
  ingressVersions: string;
  /** 1-minute load average at the start and at the end of the run. */
  loadAverages: [number, number];
}

function tool(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : NaN;
}

const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');

function requestSection(run: SoakRun, verdicts: Verdict[]): string[] {
  const counts = new Map<Verdict, number>();
  for (const v of verdicts) counts.set(v, (counts.get(v) ?? 0) + 1);
  const inDown = run.records.map((r, i) => [r, verdicts[i]!] as const).filter(([r]) => run.cpDown.some((w) => r.t0 <= w.end && r.t1 >= w.start));
  const ms = run.records.map((r) => r.t1 - r.t0).sort((a, b) => a - b);
  const kinds = (pred: (r: RequestRecord) => boolean) => run.records.filter(pred).length;
  return [
    '| requests | count |', '|---|---|',
    `| sent (${kinds((r) => r.lane === undefined)} without x-lane, ${kinds((r) => r.lane === STEADY_LANE)} to the steady lane, ${kinds((r) => r.lane !== undefined && r.lane !== STEADY_LANE)} to churned lanes) | ${run.records.length} |`,
    `| answered as expected (200, the path the lane definition of the moment gives) | ${counts.get('ok') ?? 0} |`,
    `| failed, expected: ingress Envoy restarting | ${counts.get('expected: ingress Envoy restarting') ?? 0} |`,
    `| other path, expected: lane write propagating | ${counts.get('expected: lane write propagating') ?? 0} |`,
    `| **failed, unexpected** | **${counts.get('unexpected') ?? 0}** |`,
    `| in flight while the control plane was down (restarting) / of them not ok | ${inDown.length} / ${inDown.filter(([, v]) => v !== 'ok').length} |`,
    `| latency p50 / p99 / max (ms) | ${percentile(ms, 0.5)} / ${percentile(ms, 0.99)} / ${ms.at(-1) ?? 'n/a'} |`,
  ];
}

function unexpectedSection(run: SoakRun, verdicts: Verdict[]): string[] {
  const bad = run.records.filter((_, i) => verdicts[i] === 'unexpected');
  if (bad.length === 0) return [];
  const t0 = run.startedAt.getTime();
  const lines = ['', `First ${Math.min(20, bad.length)} unexpected answers (s since start, x-lane, status, what came back, what was expected):`, ''];
  for (const r of bad.slice(0, 20)) {
    const def = r.lane === undefined ? null : r.lane === STEADY_LANE ? STEADY_DEF : run.timeline.at(r.lane, r.t0);
    const writes = r.lane === undefined ? [] : run.timeline.near(r.lane, r.t0, 30_000);
    const around = writes.map((w) => `sent ${((w.sentAt - r.t0) / 1000).toFixed(2)} s, acked ${((w.ackedAt - r.t0) / 1000).toFixed(2)} s: \`${expectedPath(w.after)}\``).join('; ');
    lines.push(`- ${((r.t0 - t0) / 1000).toFixed(1)} s, ${r.lane ?? 'none'}, ${r.status} in ${r.t1 - r.t0} ms, \`${r.path}\`, expected \`${expectedPath(def)}\`${around ? `; the lane's writes within 30 s, relative to the request: ${around}` : ''}`);
  }
  return lines;
}

function disruptionSection(run: SoakRun): string[] {
  const t0 = run.startedAt.getTime();
  const lines = ['| at (s) | what | old process ended | down (ms) | versions consistent before / after | reconnected and consistent after (ms) | same versions as before |', '|---|---|---|---|---|---|---|'];
  for (const d of run.disruptions) {
    lines.push(`| ${((d.at - t0) / 1000).toFixed(0)} | ${d.what} | ${d.ended || '-'} | ${d.downMs} | ${d.before.consistent} / ${d.after.consistent} | ${d.after.ms} | ${d.sameAsBefore} |`);
  }
  const mismatches = run.disruptions.flatMap((d) => d.after.mismatches.map((m) => `- after ${d.what}: ${m}`));
  return mismatches.length ? [...lines, '', ...mismatches] : lines;
}

function memorySection(run: SoakRun): string[] {
  const lines = [
    '| control-plane process | samples | minutes fitted | RSS first / last (MiB) | RSS slope (MiB/min) | heap used slope (MiB/min) | live heap first / last (MiB) | live heap slope (MiB/min) | live data heap first / last (MiB) | live data heap slope (MiB/min) |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const f of memoryFits(run.samples, WARMUP_MS)) {
    const name = f.incarnation === 'all' ? 'all, pooled (one slope, each process at its own level)' : `#${f.incarnation}`;
    lines.push(`| ${name} | ${f.samples} | ${f1(f.minutes)} | ${f1(f.rssFirst)} / ${f1(f.rssLast)} | ${f2(f.rssSlope)} | ${f2(f.heapSlope)} | ${f1(f.liveFirst)} / ${f1(f.liveLast)} | ${f2(f.liveSlope)} | ${f1(f.liveDataFirst)} / ${f1(f.liveDataLast)} | ${f2(f.liveDataSlope)} |`);
  }
  return lines;
}

export function soakReport(run: SoakRun): { markdown: string; summary: string; passed: boolean } {
  const verdicts = run.records.map((r) => judge(r, run.timeline, run.ingressDown, run.propagationWindowMs));
  const unexpected = verdicts.filter((v) => v === 'unexpected').length;
  const versionsOk = run.final.consistent && run.disruptions.every((d) => d.after.consistent && d.sameAsBefore);
  const pooled = memoryFits(run.samples, WARMUP_MS).at(-1)!;
  const flat = Math.abs(pooled.liveDataSlope) <= FLAT_LIVE_DATA_MIB_PER_MIN;
  const passed = unexpected === 0 && versionsOk && run.rejectedUpdates === 0 && run.churn.failures.length === 0 && flat;
  const summary = `${run.records.length} requests, ${unexpected} unexpected failures, versions consistent: ${versionsOk}, NACKs: ${run.rejectedUpdates}, live data heap slope ${f2(pooled.liveDataSlope)} MiB/min (flat: ${flat}; with compiled code ${f2(pooled.liveSlope)}), RSS slope ${f2(pooled.rssSlope)} MiB/min: ${passed ? 'PASS' : 'FAIL'}`;
  const c = run.churn;
  const markdown = [
    `# Soak, ${run.minutes} minutes (${run.startedAt.toISOString().slice(0, 10)})`,
    '',
    `\`npm run soak -- --minutes ${run.minutes} --rate ${run.rate} --seed ${run.seed}\` at commit ${tool('git', ['rev-parse', '--short', 'HEAD'])}, started ${run.startedAt.toISOString()};`,
    `node ${process.version}, ${tool('envoy', ['--version']).replace(/^.*version: /, 'envoy ')}. The control plane ran from dist/ (plain node, as in production) with ${run.envoys} real Envoys`,
    '(the ingress and 7 sidecars: stable frontend, orders, payments; pool instances frontend/pool-a, orders/pool-a, orders/pool-b, payments/pool-b), all on loopback.',
    `The machine has ${cpus().length} cores; load average (1 min) ${run.loadAverages.map((l) => l.toFixed(2)).join(' at the start, ')} at the end: other work on the machine shows in the latencies.`,
    '',
    `**Result: ${passed ? 'pass' : 'FAIL'}.** ${summary}.`,
    '',
    '## Requests',
    '',
    `Traffic: ${run.rate} requests/s from 4 loops through the ingress (frontend -> orders -> payments over gRPC), 40 % without x-lane, 20 % to a lane that never changes, 40 % to the 4 churned lanes (existing or not at the moment). A request is ok when it answers 200 with the hops its lane's definition, as last acknowledged by the API before it was sent, gives (a lane that does not exist: every hop stable). Expected failures, the test's own doing: a request in flight while the test had the ingress Envoy stopped (from its SIGTERM until /ready answered LIVE); a 200 each of whose hops is the instance the definition on either side of one of our lane writes names (the Envoys on the path take a write at slightly different moments), the write sent before the answer came and acknowledged at most ${run.propagationWindowMs / 1000} s before the request was sent. A control-plane restart is never an excuse: Envoys keep their config meanwhile.`,
    '',
    ...requestSection(run, verdicts),
    ...unexpectedSection(run, verdicts),
    '',
    '## Disruptions and xDS versions',
    '',
    'Before and after each disruption (churn paused), every Envoy\'s applied versions (CDS and LDS dump version_info, each route config\'s) are compared with what the control plane says it sent and the Envoy acknowledged (`GET /v1/proxies`, every type SYNCED); "same versions as before": the content-hash versions after the reconnect equal those before, so no Envoy got a changed config out of a restart.',
    '',
    ...disruptionSection(run),
    '',
    `At the end: versions consistent ${run.final.consistent} (${run.final.mismatches.join('; ') || 'every Envoy'}); NACKs (sum of *.update_rejected over all Envoys): ${run.rejectedUpdates}; ingress runs ${run.ingressVersions}.`,
    `Upstream failure counters not 0 at the end (clusters that still exist; the ingress counts from its restart): ${run.upstreamFailures.join('; ') || 'none'}.`,
    '',
    '## Lane churn',
    '',
    `One write every 2 s (paused around disruptions, and while the control plane was down): ${c.creates} creates, ${c.updates} updates, ${c.deletes} deletes through the REST API; ${c.failures.length} refused or failed${c.failures.length ? `: ${c.failures.slice(0, 10).join('; ')}` : ''}.`,
    '',
    '## Control-plane memory',
    '',
    `RSS (/proc/<pid>/status) and V8 heap in use (its /metrics, nodejs_heap_size_used_bytes) every 5 s; every 30 s also the live heap: the heap still in use right after a full GC, which the soak asks of the control plane through its GC probe (test/bench/soak-gc-probe.cjs, preloaded with --expose-gc). Slopes by least squares, each process's first ${WARMUP_MS / 1000} s left out. Restarts fall in the first 40 % of the run, so the last process runs the longest. The probe also reports how much of the live heap is compiled code (V8's code spaces); the rest is the live data heap, what the control plane keeps. Flat memory: a pooled live-data-heap slope of at most ${FLAT_LIVE_DATA_MIB_PER_MIN} MiB/min. The live heap with code is shown, not judged: the JIT compiles and optimizes more of the program for many minutes. Heap in use and RSS include garbage not yet collected and memory V8 keeps, so their slopes are shown, not judged either.`,
    '',
    ...memorySection(run),
    '',
  ].join('\n');
  return { markdown, summary, passed };
}

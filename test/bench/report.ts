// Turns the runs into the report: per-server medians, ratios against go-control-plane, the
// RouteConfiguration check, and the issue's goals (met, or missed by how much).
import type { JsonValue } from '@bufbuild/protobuf';
import type { busyByArea, topSelfTime } from './profile-summary.js';
import type { RebuildResult } from './rebuild.js';
import { stressSections } from './report-stress.js';
import { jsonDifferences } from './route-check.js';
import type { RunResult } from './scenarios.js';
import { fmt, kb, mb, median, percentile } from './stats.js';

export interface BenchInfo {
  date: string;
  /** The checkout run side by side (`--baseline`), when there was one. */
  baseline?: string;
  machine: string;
  params: Record<string, unknown>;
  durationS: number;
  notes: string[];
}

export interface ServerSummary {
  server: string;
  runs: number;
  convergence: { p50: number; p99: number; max: number; runP99Median: number; samples: number };
  /** The creates right after the cold connect, before the measured ones: p50/p99 over their samples, slowest stream per create. */
  firstCreate?: { p50: number; p99: number; maxMsMedian: number; maxMsWorst: number; httpMs: number; cpuSeconds: number };
  httpMs: number;
  /** Load generator's longest event-loop stall during a lane create: median, and the worst. */
  loadgenStallMs: { median: number; max: number };
  /** Load generator's CPU time per lane create, median: what its own work adds to what it times. */
  loadgenCpuMs: number;
  /** Percent of the machine's CPU time the hypervisor took during a create: median, and the worst create. */
  stealPercent: { median: number; max: number };
  /** p99 over the creates that lost under QUIET_STEAL_PERCENT to the hypervisor, and how many those were. */
  quiet: { p99: number; creates: number };
  cpuSecondsPerPush: number;
  unaffectedResponsesPerPush: number;
  bytesPerAffectedStream: number;
  coldConnectMs: number;
  coldSynced: { p50: number; p99: number };
  coldStreamsRetried: number;
  warmupMs: number;
  heapPerStreamBytes: number;
  rssPerStreamBytes: number;
  peakRssBytes: number;
  errors: string[];
}

function perStream(run: RunResult, series: number[]): number {
  const [n0, n1] = run.idle.streams;
  return n1! > n0! ? (series[1]! - series[0]!) / (n1! - n0!) : NaN;
}

/** A create that lost less than this share of the machine's CPU time to the hypervisor counts as quiet. */
export const QUIET_STEAL_PERCENT = 5;

/** The p99 of the creates the hypervisor left (nearly) alone: what the servers do, apart from the machine's noise. */
function quietCreates(creates: RunResult['laneCreates']): ServerSummary['quiet'] {
  const quiet = creates.filter((c) => c.stealPercent < QUIET_STEAL_PERCENT);
  return { p99: percentile(quiet.flatMap((c) => c.convergedMs), 99), creates: quiet.length };
}

export function summarize(server: string, runs: RunResult[]): ServerSummary {
  const creates = runs.flatMap((r) => r.laneCreates);
  const converged = creates.flatMap((c) => c.convergedMs);
  const affected = creates.reduce((n, c) => n + c.convergedMs.length + c.missing.length, 0);
  return {
    server,
    runs: runs.length,
    convergence: {
      p50: percentile(converged, 50), p99: percentile(converged, 99), max: percentile(converged, 100),
      runP99Median: median(runs.map((r) => percentile(r.laneCreates.flatMap((c) => c.convergedMs), 99))), samples: converged.length,
    },
    ...firstCreateSummary(runs),
    httpMs: median(creates.map((c) => c.httpMs)),
    loadgenStallMs: { median: median(creates.map((c) => c.loadgenStallMs)), max: Math.max(...creates.map((c) => c.loadgenStallMs)) },
    loadgenCpuMs: median(creates.map((c) => c.loadgenCpuMs)),
    stealPercent: { median: median(creates.map((c) => c.stealPercent)), max: Math.max(...creates.map((c) => c.stealPercent)) },
    quiet: quietCreates(creates),
    cpuSecondsPerPush: median(runs.map((r) => r.laneCreates.reduce((s, c) => s + c.cpuSeconds, 0) / Math.max(1, r.laneCreates.length))),
    unaffectedResponsesPerPush: creates.reduce((s, c) => s + c.unaffectedResponses, 0) / Math.max(1, creates.length),
    bytesPerAffectedStream: creates.reduce((s, c) => s + c.affectedBytes, 0) / Math.max(1, affected),
    coldConnectMs: median(runs.map((r) => r.coldConnectMs)),
    coldSynced: { p50: percentile(runs.flatMap((r) => r.coldSyncedMs), 50), p99: percentile(runs.flatMap((r) => r.coldSyncedMs), 99) },
    coldStreamsRetried: median(runs.map((r) => r.coldStreamsRetried)),
    warmupMs: median(runs.map((r) => r.warmupMs)),
    heapPerStreamBytes: median(runs.map((r) => perStream(r, r.idle.heapBytes))),
    rssPerStreamBytes: median(runs.map((r) => perStream(r, r.idle.rssBytes))),
    peakRssBytes: median(runs.map((r) => r.peakRssBytes)),
    errors: runs.flatMap((r) => r.errors),
  };
}

function firstCreateSummary(runs: RunResult[]): Pick<ServerSummary, 'firstCreate'> {
  const first = runs.flatMap((r) => r.firstLaneCreates);
  if (first.length === 0) return {};
  const slowest = first.map((c) => percentile(c.convergedMs, 100));
  const samples = first.flatMap((c) => c.convergedMs);
  return {
    firstCreate: {
      p50: percentile(samples, 50), p99: percentile(samples, 99), maxMsMedian: median(slowest), maxMsWorst: Math.max(...slowest),
      httpMs: median(first.map((c) => c.httpMs)), cpuSeconds: median(first.map((c) => c.cpuSeconds)),
    },
  };
}

/** baseline / candidate: above 1.0 means the candidate (Laneway) is better (smaller). */
const ratio = (baseline: number, candidate: number) => fmt(baseline / candidate, 2);

function table(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function routeCheck(runs: RunResult[]): string[] {
  const last = new Map(runs.map((r) => [r.server, r]));
  const reference = last.get('laneway') ?? last.get('laneway-delta');
  if (!reference) return ['- no Laneway run to compare against'];
  return [...last.values()].filter((r) => r !== reference).map((r) => {
    const diffs = jsonDifferences(reference.routeConfig as JsonValue, r.routeConfig as JsonValue);
    return diffs.length === 0
      ? `- ${r.server}: the RouteConfiguration "outbound" for ${r.routeService} (after all lane creates) is **equal** to ${reference.server}'s, message for message`
      : `- ${r.server}: **differs** from ${reference.server}'s: ${diffs.join('; ')}`;
  });
}

function goal(label: string, value: number, limit: number, unit: string, better: 'below' | 'above' = 'below'): string {
  const met = better === 'below' ? value <= limit : value >= limit;
  const by = better === 'below' ? `${fmt(value / limit, 1)}× the goal` : `${fmt(value, 2)} vs ${limit}`;
  return `- ${label}: ${fmt(value, unit === '' ? 2 : 1)}${unit} (goal ${better === 'below' ? '≤' : '≥'} ${limit}${unit}): ${met ? '**met**' : `**missed** (${by})`}`;
}

export interface Rebuilds {
  laneway: RebuildResult[];
  /** The baseline checkout's rebuilds, for the same sizes (empty without `--baseline`). */
  baseline: RebuildResult[];
  go: Array<{ lanes: number; ms: number; bytes: number; resources: number }>;
}

export type ProfileSummary = { server: string; areas: ReturnType<typeof busyByArea> } & ReturnType<typeof topSelfTime>;

function profileSection(profiles: ProfileSummary[]): string[] {
  return profiles.flatMap((p) => [
    '', `### Where ${p.server}'s CPU went during the lane creates (${fmt(p.totalMs - p.idleMs, 0)} ms busy of ${fmt(p.totalMs, 0)} ms)`, '',
    'By area (each sample charged to the nearest Laneway source folder on its stack, so protobuf calls count for their caller):', '',
    table(['area', 'ms', 'share of busy'], p.areas.map((a) => [`\`${a.area}\``, fmt(a.ms, 0), `${fmt(a.share * 100, 1)} %`])),
    '', 'Top functions by self time:', '',
    table(['self ms', 'share of busy', 'function'], p.lines.map((l) => [fmt(l.selfMs, 0), `${fmt(l.share * 100, 1)} %`, `\`${l.name}\``])),
  ]);
}

function goals(info: BenchInfo, summaries: ServerSummary[], rebuilds: Rebuilds): string[] {
  const out: string[] = [];
  const linear = summaries.find((s) => s.server === 'gcp-linear');
  const p99Limit = (info.params['streams'] as number) >= 10_000 ? 300 : 50;
  for (const lw of summaries.filter((s) => s.server.startsWith('laneway'))) {
    out.push(goal(`${lw.server}: lane create → all affected ACKed, p99 (${info.params['streams']} streams, steady state)`, lw.convergence.p99, p99Limit, ' ms'));
    if (lw.firstCreate) out.push(goal(`${lw.server}: the same over the ${info.params['firstCreates']} creates right after the start`, lw.firstCreate.p99, p99Limit, ' ms'));
    out.push(goal(`${lw.server}: idle heap per stream`, lw.heapPerStreamBytes / 1024, 30, ' KB'));
    out.push(goal(`${lw.server}: idle RSS per stream`, lw.rssPerStreamBytes / 1024, 30, ' KB'));
    if (!linear) continue;
    out.push(goal(`${lw.server}: convergence p99 vs LinearCache (ratio)`, linear.convergence.p99 / lw.convergence.p99, 1.0, '', 'above'));
    out.push(goal(`${lw.server}: CPU per push vs LinearCache (ratio)`, linear.cpuSecondsPerPush / lw.cpuSecondsPerPush, 1.0, '', 'above'));
  }
  const big = rebuilds.laneway.find((r) => r.lanes >= 10_000) ?? rebuilds.laneway.at(-1);
  if (big) out.push(goal(`full rebuild ${big.lanes} lanes × ${big.services} services`, big.publishMs, 300, ' ms'));
  return out;
}

const arrow = (before: string, after: string) => `${before} → ${after}`;

/** This code against the baseline checkout, side by side: the numbers a change must not make worse. */
function baselineSection(info: BenchInfo, summaries: ServerSummary[], rebuilds: Rebuilds): string[] {
  if (!info.baseline) return [];
  const by = new Map(summaries.map((s) => [s.server, s]));
  const linear = by.get('gcp-linear');
  const rows = (['laneway', 'laneway-delta'] as const).flatMap((kind) => {
    const now = by.get(kind);
    const before = by.get(`baseline-${kind}`);
    if (!now || !before) return [];
    const vsLinear = (s: ServerSummary, pick: (x: ServerSummary) => number) => (linear ? ratio(pick(linear), pick(s)) : '');
    return [[kind,
      arrow(fmt(before.convergence.p50), fmt(now.convergence.p50)), arrow(fmt(before.convergence.p99), fmt(now.convergence.p99)),
      arrow(fmt(before.cpuSecondsPerPush, 3), fmt(now.cpuSecondsPerPush, 3)),
      arrow(vsLinear(before, (x) => x.convergence.p50), vsLinear(now, (x) => x.convergence.p50)),
      arrow(vsLinear(before, (x) => x.convergence.p99), vsLinear(now, (x) => x.convergence.p99)),
      arrow(vsLinear(before, (x) => x.cpuSecondsPerPush), vsLinear(now, (x) => x.cpuSecondsPerPush)),
      arrow(`${kb(before.heapPerStreamBytes)} KB`, `${kb(now.heapPerStreamBytes)} KB`)]];
  });
  const out = ['', '## This code against the baseline', '', `Baseline: ${info.baseline}; its servers ran in the same rounds, alternating with the others. Each cell: baseline → this code.`, ''];
  out.push(table(['server', 'create p50 ms', 'create p99 ms', 'CPU s / push', 'LinearCache ÷ it, p50', 'LinearCache ÷ it, p99', 'LinearCache ÷ it, CPU per push', 'heap / idle stream'], rows));
  const go = new Map(rebuilds.go.map((g) => [g.lanes, g.ms]));
  const rebuildRows = rebuilds.laneway.map((now) => {
    const before = rebuilds.baseline.find((b) => b.lanes === now.lanes);
    const goMs = go.get(now.lanes);
    const vsGo = (r: RebuildResult | undefined) => (r && goMs !== undefined ? ratio(goMs, r.publishMs) : '');
    return [String(now.lanes), arrow(before ? fmt(before.publishMs, 0) : '', fmt(now.publishMs, 0)),
      arrow(before?.warmPublishMs === undefined ? '' : fmt(before.warmPublishMs, 0), now.warmPublishMs === undefined ? '' : fmt(now.warmPublishMs, 0)),
      goMs === undefined ? '' : fmt(goMs, 0), arrow(vsGo(before), vsGo(now)),
      arrow(before ? fmt(before.incremental.publishMs, 0) : '', fmt(now.incremental.publishMs, 0))];
  });
  out.push('', 'Full rebuild, each a fresh process on the same CPU:', '');
  out.push(table(['lanes', 'publish ms', 'publish ms, warm process', 'go-control-plane ms', 'Go ÷ it', 'one lane added ms'], rebuildRows));
  return out;
}

export function renderReport(info: BenchInfo, summaries: ServerSummary[], runs: RunResult[], rebuilds: Rebuilds, profiles: ProfileSummary[] = []): string {
  const by = new Map(summaries.map((s) => [s.server, s]));
  const lw = by.get('laneway') ?? by.get('laneway-delta');
  const lines = [`# xDS benchmark ${info.date}`, '', `Machine: ${info.machine}. Parameters: \`${JSON.stringify(info.params)}\`. Took ${fmt(info.durationS, 0)} s.`, ''];
  lines.push('## Lane created through the control API → every affected stream ACKed', '');
  lines.push(table(['server', 'p50 ms', 'p99 ms', 'max ms', 'median run p99', 'samples', 'API ms', 'CPU s / push', 'responses to unaffected / push', 'bytes / affected stream', 'load generator stall ms (median / max)', 'load generator CPU ms / create', 'CPU stolen by the hypervisor % (median / worst create)', `p99 ms of the creates with under ${QUIET_STEAL_PERCENT} % stolen (creates)`],
    summaries.map((s) => [s.server, fmt(s.convergence.p50), fmt(s.convergence.p99), fmt(s.convergence.max), fmt(s.convergence.runP99Median), String(s.convergence.samples), fmt(s.httpMs), fmt(s.cpuSecondsPerPush, 3), fmt(s.unaffectedResponsesPerPush, 1), kb(s.bytesPerAffectedStream) + ' KB', `${fmt(s.loadgenStallMs.median, 0)} / ${fmt(s.loadgenStallMs.max, 0)}`, fmt(s.loadgenCpuMs, 0), `${fmt(s.stealPercent.median, 1)} / ${fmt(s.stealPercent.max, 1)}`, `${fmt(s.quiet.p99)} (${s.quiet.creates})`])));
  const firsts = summaries.filter((s) => s.firstCreate);
  if (firsts.length > 0) {
    lines.push('', `Before those, each run created ${fmt(runs[0]!.firstLaneCreates.length, 0)} lane(s) right after the cold connect, timed the same way and reported here, not above: the first creates after a start pay first-time costs (V8 compiling and optimizing the write and push paths as they warm up, the first major GC of the heap built at start), which a Go server does not. The table above is the steady state.`, '');
    lines.push(table(['server', 'p50 ms', 'p99 ms', 'slowest stream per create, median ms', 'worst create ms', 'API ms', 'CPU s / create'],
      firsts.map((s) => [s.server, fmt(s.firstCreate!.p50), fmt(s.firstCreate!.p99), fmt(s.firstCreate!.maxMsMedian), fmt(s.firstCreate!.maxMsWorst), fmt(s.firstCreate!.httpMs), fmt(s.firstCreate!.cpuSeconds, 3)])));
  }
  lines.push('', '## Connect and idle memory', '');
  lines.push(table(['server', 'warm-up ms (1 stream/group)', 'cold connect ms', 'stream synced p50 / p99 ms', 'streams retried', 'heap / idle stream', 'RSS / idle stream', 'peak RSS'],
    summaries.map((s) => [s.server, fmt(s.warmupMs, 0), fmt(s.coldConnectMs, 0), `${fmt(s.coldSynced.p50, 0)} / ${fmt(s.coldSynced.p99, 0)}`, fmt(s.coldStreamsRetried, 0), `${kb(s.heapPerStreamBytes)} KB`, `${kb(s.rssPerStreamBytes)} KB`, `${mb(s.peakRssBytes)} MB`])));
  if (lw) {
    lines.push('', `## Ratios (go-control-plane ÷ ${lw.server}; above 1.0: Laneway better)`, '');
    lines.push(table(['against', 'convergence p50', 'convergence p99', 'CPU per push', 'heap per stream', 'cold connect'],
      summaries.filter((s) => s.server.startsWith('gcp')).map((g) => [g.server, ratio(g.convergence.p50, lw.convergence.p50), ratio(g.convergence.p99, lw.convergence.p99), ratio(g.cpuSecondsPerPush, lw.cpuSecondsPerPush), ratio(g.heapPerStreamBytes, lw.heapPerStreamBytes), ratio(g.coldConnectMs, lw.coldConnectMs)])));
  }
  lines.push(...stressSections(runs));
  lines.push('', '## Full rebuild (every sidecar group translated, encoded, cached)', '');
  lines.push(table(['lanes', 'groups', 'publish ms', 'publish ms, warm process', 'translate ms', 'encode ms', 'cache (hash + Any) ms', 'resources', 'bytes', 'unsliced translate ms (est.)', 'one lane added: ms / groups rebuilt'],
    rebuilds.laneway.map((r) => [String(r.lanes), String(r.groups), fmt(r.publishMs, 0), r.warmPublishMs === undefined ? '' : fmt(r.warmPublishMs, 0), fmt(r.translateMs, 0), fmt(r.encodeMs, 0), fmt(r.cacheMs, 0), String(r.resources), `${mb(r.bytes)} MB`, fmt(r.unslicedTranslateMsEstimate, 0), `${fmt(r.incremental.publishMs, 0)} / ${r.incremental.changedGroups}`])));
  if (rebuilds.go.length > 0) {
    lines.push('', 'go-control-plane program, building every group and marshaling each resource once:', '');
    lines.push(table(['lanes', 'ms', 'resources', 'bytes'], rebuilds.go.map((g) => [String(g.lanes), fmt(g.ms, 0), String(g.resources), `${mb(g.bytes)} MB`])));
  }
  if (profiles.length > 0) lines.push('', '## Profile', ...profileSection(profiles));
  lines.push(...baselineSection(info, summaries, rebuilds));
  lines.push('', '## Same configuration served?', '', ...routeCheck(runs));
  lines.push('', '## Goals', '', ...goals(info, summaries, rebuilds));
  const errors = summaries.flatMap((s) => s.errors.map((e) => `- ${s.server}: ${e}`));
  if (errors.length > 0) lines.push('', '## Errors', '', ...errors.slice(0, 20));
  if (info.notes.length > 0) lines.push('', '## Notes', '', ...info.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

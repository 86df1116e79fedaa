// `npm run bench`: Laneway against go-control-plane (LinearCache and SnapshotCache) on the same
// topology, the same lane changes and the same load generator. Each run is a fresh server process
// pinned to one CPU (the load generator has the other); servers alternate in rotating order per
// round; the report gives medians and ratios. Writes test/bench/results/<date>.md and .json.
//
//   --streams N        idle streams per run (default 1000)
//   --lanes L          lanes in the topology (default 1000)
//   --services S       services (default 500); --callees C: each calls the next C (default 10; 0: no
//                      dependsOn, every sidecar sees every service)
//   --rounds R         runs per server (default 3)
//   --lane-creates K   lanes created per run and measured, the steady state (default 20)
//   --first-creates F  lanes created before them, reported apart as "first after start" (default 10)
//   --rebuild-lanes M  lanes for the full-rebuild scenario (default 10000)
//   --servers a,b      laneway, laneway-delta, gcp-linear, gcp-snapshot (default: all), and with
//                      --baseline baseline-laneway, baseline-laneway-delta
//   --baseline DIR     also run the Laneway servers and the rebuild of another checkout (with its
//                      node_modules installed; e.g. today's main in a git worktree), side by side in
//                      the same run and report
//   --profile          CPU-profile Laneway's lane creates (last round) and summarize it in the report
//   --no-stress        skip lane churn at rising rates and the reconnect storm (stress.ts)
//   --no-churn         skip the lane churn only (the reconnect storm still runs)
//   --loadgen go|node  the load generator: the Go program (default) or the Node one (ADR 0009)
//   --laneway-node-options "..."  NODE_OPTIONS for Laneway's server processes only (e.g. GC settings)
//   --keep             keep the work directory (server logs, data, profiles) and print where
//   --tag NAME         write results/<date>-NAME.md/.json (keeps a full run's report of the same day)
//   --budget-s S       stop starting server runs after S seconds (default 840)
//   --quick            200 streams, 200 lanes, 1 round, 3 creates, rebuild 1000, 2 s churn steps: a smoke run
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildGoLoadgen, type LoadgenKind } from './load/driver.js';
import { busyByArea, topSelfTime } from './profile-summary.js';
import { cpuTimes, stealPercent } from './steal.js';
import type { RebuildResult } from './rebuild.js';
import { renderReport, summarize } from './report.js';
import { STRESS_DEFAULTS } from './stress.js';
import { runScenarios, type RunOptions, type RunResult } from './scenarios.js';
import { fmt, percentile } from './stats.js';
import { buildGoServer, checkoutScript, isBaseline, SERVER_CPU, startGo, startLaneway, writeGoTopology, type Server, type ServerKind } from './servers.js';
import { benchState, type TopologyParams } from './topology.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS = join(ROOT, 'test/bench/results');
const ALL: ServerKind[] = ['laneway', 'laneway-delta', 'gcp-linear', 'gcp-snapshot'];
const BASELINE: ServerKind[] = ['baseline-laneway', 'baseline-laneway-delta'];

/** Environment the Laneway servers inherit that changes how they run, so a report says what it measured. */
function lanewayTuning(): Record<string, string> {
  const names = ['LANEWAY_HEAP_GROWING_PERCENT', 'LANEWAY_MAX_CONCURRENT_PUSHES', 'LANEWAY_PUSH_HOLD_OFF_MS', 'LANEWAY_PUSH_MAX_DELAY_MS', 'LANEWAY_BENCH_V8_FLAGS'];
  return Object.fromEntries(names.flatMap((name) => (process.env[name] ? [[name, process.env[name]!]] : [])));
}

function flags(argv: string[]) {
  const get = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const quick = argv.includes('--quick');
  const num = (name: string, normal: number, smoke: number) => Number(get(name) ?? (quick ? smoke : normal));
  return {
    streams: num('streams', 1000, 200),
    lanes: num('lanes', 1000, 200),
    services: num('services', 500, 500),
    callees: num('callees', 10, 10),
    rounds: num('rounds', 3, 1),
    laneCreates: num('lane-creates', 20, 3),
    firstCreates: num('first-creates', 10, 3),
    rebuildLanes: num('rebuild-lanes', 10_000, 1000),
    servers: (get('servers')?.split(',') ?? [...ALL, ...(get('baseline') ? BASELINE : [])]) as ServerKind[],
    baseline: get('baseline'),
    budgetS: Number(get('budget-s') ?? 14 * 60),
    profile: argv.includes('--profile'),
    keep: argv.includes('--keep'),
    stress: argv.includes('--no-stress') ? undefined : { ...STRESS_DEFAULTS, ...(quick && { churnStepS: 2, churnBudgetS: 40 }), ...(argv.includes('--no-churn') && { churnRates: [] }) },
    tag: get('tag'),
    lanewayNodeOptions: get('laneway-node-options'),
    loadgen: get('loadgen') === 'node' ? 'node' as const : 'go' as const,
  };
}

function distribution(values: number[]) {
  const round = (n: number) => Math.round(n * 10) / 10;
  return { count: values.length, p50: round(percentile(values, 50)), p90: round(percentile(values, 90)), p99: round(percentile(values, 99)), max: round(percentile(values, 100)) };
}

function rotate<T>(list: T[], by: number): T[] {
  return list.map((_, i) => list[(i + by) % list.length]!);
}

function rebuildLaneway(params: TopologyParams, lanes: number, root = ROOT): RebuildResult {
  const args = [...checkoutScript(root, 'test/bench/rebuild.ts'), String(params.services), String(lanes), String(params.callees)];
  const out = execFileSync('taskset', ['-c', SERVER_CPU, process.execPath, ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as RebuildResult;
}

function rebuildGo(binary: string, topologyFile: string, lanes: number) {
  const out = execFileSync('taskset', ['-c', SERVER_CPU, binary, '-rebuild', '-topology', topologyFile], { encoding: 'utf8' });
  return { lanes, ...(JSON.parse(out) as { ms: number; bytes: number; resources: number }) };
}

/** The baseline checkout's commit, for the report. */
function baselineDescription(dir: string): string {
  const commit = execFileSync('git', ['-C', dir, 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim();
  return `${dir} at ${commit}`;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg()[0]!;
  const timesBefore = cpuTimes();
  const opts = flags(process.argv.slice(2));
  const params = { services: opts.services, lanes: opts.lanes, callees: opts.callees };
  const notes: string[] = [];
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-bench-'));
  const state = benchState(params);
  const topologyFile = join(workDir, 'topology.json');
  writeGoTopology(topologyFile, state);
  let goBinary: string | undefined;
  if (opts.servers.some((s) => s.startsWith('gcp'))) {
    try {
      goBinary = buildGoServer(join(ROOT, 'node_modules/.cache/laneway-bench'));
    } catch (err) {
      notes.push(`go-control-plane servers skipped: the Go program did not build (${(err as Error).message.split('\n')[0]})`);
      opts.servers = opts.servers.filter((s) => !s.startsWith('gcp'));
    }
  }
  let loadgen: LoadgenKind = { kind: 'node' };
  if (opts.loadgen === 'go') {
    try {
      loadgen = { kind: 'go', binary: buildGoLoadgen(join(ROOT, 'node_modules/.cache/laneway-bench')) };
    } catch (err) {
      notes.push(`the Node load generator ran instead: the Go one did not build (${(err as Error).message.split('\n')[0]})`);
    }
  }
  const runOptions: RunOptions = { loadgen, params, streams: opts.streams, laneCreates: opts.laneCreates, firstCreates: opts.firstCreates, pauseMs: 300, ...(opts.stress && { stress: opts.stress }) };
  const runs: RunResult[] = [];
  for (let round = 0; round < opts.rounds; round++) {
    for (const kind of rotate(opts.servers, round)) {
      if ((performance.now() - started) / 1000 > opts.budgetS) {
        notes.push(`time budget reached: skipped ${kind} in round ${round + 1} and later runs`);
        break;
      }
      console.error(`[bench] round ${round + 1}/${opts.rounds}: ${kind}`);
      const env = opts.lanewayNodeOptions ? { NODE_OPTIONS: opts.lanewayNodeOptions } : {};
      const server: Server = kind.startsWith('gcp') ? await startGo(kind, goBinary!, workDir, topologyFile) : await startLaneway(kind, workDir, state, env, isBaseline(kind) ? opts.baseline : ROOT);
      try {
        const profile = opts.profile && round === opts.rounds - 1;
        runs.push(await runScenarios(server, kind.endsWith('laneway-delta') ? 'delta' : 'sotw', { ...runOptions, profile }));
      } finally {
        await server.stop();
      }
    }
  }
  console.error('[bench] full rebuild');
  const laneway = [rebuildLaneway(params, params.lanes)];
  if (opts.rebuildLanes !== params.lanes) laneway.push(rebuildLaneway(params, opts.rebuildLanes));
  // The baseline's rebuild right after this code's, on the same CPU, for the same sizes.
  const baseline = opts.baseline ? laneway.map((r) => rebuildLaneway(params, r.lanes, opts.baseline)) : [];
  const go: ReturnType<typeof rebuildGo>[] = [];
  if (goBinary) {
    go.push(rebuildGo(goBinary, topologyFile, params.lanes));
    const bigFile = join(workDir, 'topology-rebuild.json');
    writeGoTopology(bigFile, benchState({ ...params, lanes: opts.rebuildLanes }));
    if (opts.rebuildLanes !== params.lanes) go.push(rebuildGo(goBinary, bigFile, opts.rebuildLanes));
  }
  const summaries = opts.servers.map((s) => summarize(s, runs.filter((r) => r.server === s))).filter((s) => s.runs > 0);
  const date = new Date().toISOString().slice(0, 10);
  const file = opts.tag ? `${date}-${opts.tag}` : date;
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const info = {
    date, ...(opts.baseline && { baseline: baselineDescription(opts.baseline) }), machine: `${cpus().length} × ${cpu}, Node ${process.version}, servers on CPU ${SERVER_CPU}, the ${loadgen.kind === 'go' ? 'Go' : 'Node'} load generator on the other; load average ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end, ${fmt(stealPercent(timesBefore, cpuTimes()))} % of CPU time stolen by the hypervisor over the run (other work on the machine skews absolute numbers; ratios from alternating runs less so)`,
    params: { ...params, streams: opts.streams, loadgen: loadgen.kind, rounds: opts.rounds, laneCreates: opts.laneCreates, firstCreates: opts.firstCreates, rebuildLanes: opts.rebuildLanes, stress: opts.stress ?? 'skipped', ...(opts.lanewayNodeOptions && { lanewayNodeOptions: opts.lanewayNodeOptions }), ...lanewayTuning() },
    durationS: (performance.now() - started) / 1000, notes,
  };
  const profiles = runs.filter((r) => r.profile).map((r) => ({ server: r.server, areas: busyByArea(r.profile!), ...topSelfTime(r.profile!, 12) }));
  const report = renderReport(info, summaries, runs, { laneway, baseline, go }, profiles);
  mkdirSync(RESULTS, { recursive: true });
  writeFileSync(join(RESULTS, `${file}.md`), report);
  const compact = (creates: RunResult['laneCreates']) => creates.map(({ convergedMs, ...c }) => ({ ...c, converged: distribution(convergedMs) }));
  const compactRuns = runs.map(({ routeConfig: _, coldSyncedMs, firstLaneCreates, laneCreates, ...r }) => ({
    ...r, coldSynced: distribution(coldSyncedMs), firstLaneCreates: compact(firstLaneCreates), laneCreates: compact(laneCreates),
  }));
  writeFileSync(join(RESULTS, `${file}.json`), `${JSON.stringify({ info, summaries, rebuilds: { laneway, baseline, go }, runs: compactRuns }, null, 1)}\n`);
  // The .cpuprofile files stay for a closer look (Chrome DevTools, or profile-summary.ts).
  if (opts.profile || opts.keep) console.error(`profiles and server logs kept in ${workDir}`);
  else rmSync(workDir, { recursive: true, force: true });
  console.log(report);
}

await main();

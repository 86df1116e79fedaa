// `npm run soak -- --minutes 20`: a bounded soak of the built control plane with real Envoys. Steady
// traffic through the ingress (with and without x-lane, every answer checked), lane churn through
// the REST API, control-plane restarts (SIGTERM and SIGKILL, same data directory) and an ingress
// Envoy restart; reports failed requests (the test's own doing or not), memory slopes and xDS
// versions across reconnects to test/bench/results/soak-<date>.md. Not part of npm test.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Random } from '../support/seeded-random.js';
import { LaneChurn, LaneTimeline } from './soak-lanes.js';
import { sampleMemory, type MemorySample } from './soak-memory.js';
import { SoakMesh, type Restart } from './soak-mesh.js';
import { soakReport, type Disruption, type SoakRun } from './soak-report.js';
import { Traffic, type Window } from './soak-traffic.js';
import { checkVersions, envoyVersions } from './soak-versions.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '2' },
    rate: { type: 'string', default: '20' },
    seed: { type: 'string', default: '29' },
    out: { type: 'string' },
  },
});
const MINUTES = Number(args.minutes);
const RATE = Number(args.rate);
const SEED = Number(args.seed);
const CHURN_EVERY_MS = 2000;
const SAMPLE_EVERY_MS = 5000;
const LIVE_HEAP_EVERY = 6;
/** How long after a lane write's acknowledgement a request may still meet the definition before it. */
const PROPAGATION_WINDOW_MS = 10_000;
const VERSION_TIMEOUT_MS = 30_000;
if (!(MINUTES > 0) || !(RATE > 0) || !(RATE <= 200)) throw new Error('--minutes must be > 0 and --rate in (0, 200]');

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Control-plane restarts in the first 40 % of the run (alternating signals), the ingress restart at 50 %; the rest is one long process. */
function schedule(totalMs: number): Array<{ at: number; what: 'SIGTERM' | 'SIGKILL' | 'envoy' }> {
  return [
    { at: 0.1, what: 'SIGTERM' as const },
    { at: 0.2, what: 'SIGKILL' as const },
    { at: 0.3, what: 'SIGTERM' as const },
    { at: 0.4, what: 'SIGKILL' as const },
    { at: 0.5, what: 'envoy' as const },
  ].map((e) => ({ ...e, at: e.at * totalMs }));
}

class Soak {
  readonly timeline = new LaneTimeline();
  readonly churn: LaneChurn;
  readonly traffic: Traffic;
  readonly samples: MemorySample[] = [];
  readonly disruptions: Disruption[] = [];
  readonly cpDown: Window[] = [];
  readonly ingressDown: Window[] = [];
  /** Control-plane PIDs in start order: a sample's process is its index + 1. */
  private readonly pids: number[] = [];
  private churnPaused = false;
  private churnStep: Promise<void> = Promise.resolve();
  private done = false;

  constructor(readonly sm: SoakMesh) {
    const rng = new Random(SEED);
    this.churn = new LaneChurn(new Random(SEED + 1), (m, p, b) => sm.mesh.api(m, p, b), (i) => sm.endpointsOf(i), this.timeline);
    this.traffic = new Traffic(sm.mesh.ingressUrl, rng, RATE);
  }

  private async churnLoop(): Promise<void> {
    while (!this.done) {
      if (!this.churnPaused) {
        this.churnStep = this.churn.step();
        await this.churnStep;
      }
      await sleep(CHURN_EVERY_MS);
    }
  }

  private async sampleLoop(): Promise<void> {
    while (!this.done) {
      const pid = this.sm.pid();
      if (!this.pids.includes(pid)) this.pids.push(pid);
      // Every LIVE_HEAP_EVERY-th sample also runs a full GC in the control plane (a few ms) for its live heap.
      const gc = this.samples.length % LIVE_HEAP_EVERY === 0 ? this.sm.gcFile : undefined;
      const s = await sampleMemory(this.pids.indexOf(pid) + 1, pid, this.sm.mesh.apiUrl, gc);
      if (s) this.samples.push(s);
      await sleep(SAMPLE_EVERY_MS);
    }
  }

  /** Churn paused (the one in flight finished) so versions hold still while they are compared. */
  private async quiet<T>(action: () => Promise<T>): Promise<T> {
    this.churnPaused = true;
    await this.churnStep;
    try {
      return await action();
    } finally {
      this.churnPaused = false;
    }
  }

  private async disrupt(what: 'SIGTERM' | 'SIGKILL' | 'envoy'): Promise<void> {
    await this.quiet(async () => {
      const before = await checkVersions(this.sm.mesh.apiUrl, this.sm.proxies(), VERSION_TIMEOUT_MS);
      let window: Window;
      let ended = '';
      if (what === 'envoy') {
        const r = await this.sm.restartIngress();
        window = { what: 'ingress Envoy restart', ...r };
        this.ingressDown.push(window);
      } else {
        const r: Restart = await this.sm.restartControlPlane(what);
        window = { what: `control plane ${what}`, start: r.start, end: r.end };
        ended = r.ended;
        this.cpDown.push(window);
      }
      const after = await checkVersions(this.sm.mesh.apiUrl, this.sm.proxies(), VERSION_TIMEOUT_MS);
      const same = before.consistent && after.consistent && JSON.stringify(before.versions) === JSON.stringify(after.versions);
      this.disruptions.push({ what: window.what, ended, at: window.start, downMs: window.end - window.start, before, after, sameAsBefore: same });
      console.log(`soak: ${window.what} (${ended || 'restarted'}), down ${window.end - window.start} ms; versions consistent after: ${after.consistent} in ${after.ms} ms, same as before: ${same}`);
    });
  }

  async run(totalMs: number): Promise<void> {
    const started = Date.now();
    this.traffic.start();
    const loops = [this.churnLoop(), this.sampleLoop()];
    for (const event of schedule(totalMs)) {
      await sleep(Math.max(0, started + event.at - Date.now()));
      await this.disrupt(event.what);
    }
    while (Date.now() - started < totalMs) {
      await sleep(Math.min(30_000, started + totalMs - Date.now()));
      const done = this.traffic.records.length;
      console.log(`soak: ${((Date.now() - started) / 60_000).toFixed(1)} min, ${done} requests`);
    }
    this.done = true;
    await Promise.all(loops);
    await this.traffic.stop();
  }
}

// Upstream failures an Envoy counts per cluster: where an unexpected 5xx came from.
const UPSTREAM_FAILURES = /^cluster\.(.+)\.(upstream_cx_destroy_remote_with_active_rq|upstream_rq_rx_reset|upstream_rq_tx_reset|upstream_cx_connect_fail|upstream_rq_timeout|upstream_rq_5xx)$/;

/** NACKs (every Envoy's *.update_rejected) and the non-zero upstream failure counters of clusters that still exist. */
async function envoyCounters(sm: SoakMesh): Promise<{ rejected: number; upstreamFailures: string[] }> {
  let rejected = 0;
  const upstreamFailures: string[] = [];
  for (const p of sm.proxies()) {
    const stats = (await (await fetch(`http://127.0.0.1:${p.adminPort}/stats?format=json`)).json()) as { stats: Array<{ name?: string; value?: number }> };
    for (const s of stats.stats) {
      if (s.name?.endsWith('.update_rejected')) rejected += s.value ?? 0;
      const m = s.name?.match(UPSTREAM_FAILURES);
      if (m && s.value) upstreamFailures.push(`${p.nodeId} ${m[1]} ${m[2]} ${s.value}`);
    }
  }
  return { rejected, upstreamFailures };
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'laneway-soak-'));
  const sm = new SoakMesh(workDir);
  let failed = true;
  const stopAll = async (code: number) => {
    await sm.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(130));
  process.on('SIGTERM', () => void stopAll(143));
  // A bug in the soak itself must not leave Envoys and a control plane behind.
  process.on('uncaughtException', (err) => {
    console.error('soak: uncaught', err);
    void stopAll(1);
  });
  process.on('unhandledRejection', (err) => {
    console.error('soak: unhandled rejection', err);
    void stopAll(1);
  });
  try {
    await sm.start();
    console.log(`soak: mesh up (${sm.proxies().length} Envoys), running ${MINUTES} min at ${RATE} requests/s; work dir ${workDir}`);
    const soak = new Soak(sm);
    const startedAt = new Date();
    const loadAtStart = loadavg()[0]!;
    await soak.run(MINUTES * 60_000);
    const final = await checkVersions(sm.mesh.apiUrl, sm.proxies(), VERSION_TIMEOUT_MS);
    const counters = await envoyCounters(sm);
    const run: SoakRun = {
      startedAt, minutes: MINUTES, rate: RATE, seed: SEED, envoys: sm.proxies().length, propagationWindowMs: PROPAGATION_WINDOW_MS,
      records: soak.traffic.records, timeline: soak.timeline, churn: soak.churn.tally, cpDown: soak.cpDown, ingressDown: soak.ingressDown,
      disruptions: soak.disruptions, samples: soak.samples, final, rejectedUpdates: counters.rejected, upstreamFailures: counters.upstreamFailures,
      ingressVersions: await envoyVersions(sm.mesh.ingress.adminPort),
      loadAverages: [loadAtStart, loadavg()[0]!],
    };
    const out = resolve(args.out ?? `test/bench/results/soak-${startedAt.toISOString().slice(0, 10)}.md`);
    const report = soakReport(run);
    writeFileSync(out, report.markdown);
    writeFileSync(join(workDir, 'samples.json'), JSON.stringify(soak.samples));
    console.log(`soak: wrote ${out}; ${report.summary}`);
    failed = !report.passed;
  } finally {
    await sm.stop();
    // Heap snapshots someone asked for (soak-gc-probe.cjs) are kept like a failed run's logs.
    const snapshots = readdirSync(sm.snapshotDir).filter((f) => f.endsWith('.heapsnapshot'));
    if (!failed && snapshots.length === 0) rmSync(workDir, { recursive: true, force: true });
    else console.log(`soak: logs kept in ${workDir}/logs, ${snapshots.length} heap snapshot(s) in ${sm.snapshotDir}`);
  }
  process.exit(failed ? 1 : 0);
}

await main();

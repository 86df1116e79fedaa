// The stress scenarios of one benchmark run: lane churn at rising rates until p99 passes 1 s (or the
// time budget ends), and a reconnect storm (every stream drops and reconnects at once).
import type { LoadDriver } from './load/driver.js';
import type { StreamNode } from './load/envoy-stream.js';
import { createdLane, expectedClusters } from './scenarios.js';
import { cpuSeconds, procStatus, type Server } from './servers.js';
import { percentile } from './stats.js';
import type { TopologyParams } from './topology.js';

export interface StressOptions {
  /** Lanes per second, tried in order until p99 passes `p99LimitMs`. */
  churnRates: number[];
  /** Seconds of churn at each rate. */
  churnStepS: number;
  /** Time budget for all churn steps. */
  churnBudgetS: number;
  p99LimitMs: number;
}

export const STRESS_DEFAULTS: StressOptions = { churnRates: [2, 5, 10, 20, 50, 100, 200], churnStepS: 3, churnBudgetS: 90, p99LimitMs: 1000 };

export interface ChurnStep {
  ratePerS: number;
  lanes: number;
  p50: number;
  p99: number;
  max: number;
  samples: number;
  missing: number;
  httpErrors: number;
  /** Server CPU seconds over the step. */
  cpuSeconds: number;
}

export interface StormResult {
  streams: number;
  /** ms from the drop until every stream held its config again (ACKed). */
  allSyncedMs: number;
  syncedP50: number;
  syncedP99: number;
  rssBeforeBytes: number;
  /** Highest RSS sampled (every 10 ms) during the storm. */
  peakRssBytes: number;
  /** Streams that failed while reconnecting and were opened again (Envoy's retry). */
  streamsRetried: number;
  errors: string[];
}

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Lane names of fixed width, so no name is a substring of another (the load generator looks for it in RDS). */
function churnLaneName(step: number, i: number): string {
  return `churn-${String(step).padStart(2, '0')}-${String(i).padStart(5, '0')}`;
}

export async function laneChurn(load: LoadDriver, server: Server, nodes: StreamNode[], params: TopologyParams, opts: StressOptions): Promise<ChurnStep[]> {
  const steps: ChurnStep[] = [];
  const started = performance.now();
  let next = 1000;
  for (const [step, ratePerS] of opts.churnRates.entries()) {
    if ((performance.now() - started) / 1000 > opts.churnBudgetS) break;
    const count = Math.max(1, Math.round(ratePerS * opts.churnStepS));
    const lanes = Array.from({ length: count }, (_, i) => {
      const lane = createdLane(next++, params, churnLaneName(step, i));
      return { name: lane.name, body: lane.body, expect: expectedClusters(lane, nodes, params) };
    });
    const cpuBefore = cpuSeconds(server.pid);
    const r = await load.churn({ apiUrl: server.apiUrl, ratePerS, lanes, timeoutMs: 10_000 });
    // A stream that never converged counts as the slowest sample.
    const samples = [...r.convergedMs, ...Array<number>(r.missing).fill(Infinity)];
    steps.push({
      ratePerS, lanes: count, p50: percentile(samples, 50), p99: percentile(samples, 99), max: percentile(samples, 100),
      samples: samples.length, missing: r.missing, httpErrors: r.httpErrors, cpuSeconds: cpuSeconds(server.pid) - cpuBefore,
    });
    if (steps.at(-1)!.p99 > opts.p99LimitMs) break;
    await settle(1500); // let the debounce window close and the streams go quiet between rates
  }
  return steps;
}

export async function reconnectStorm(load: LoadDriver, server: Server, streams: number): Promise<StormResult> {
  await settle(1000);
  const rssBeforeBytes = procStatus(server.pid).rssBytes;
  let peakRssBytes = rssBeforeBytes;
  const sampler = setInterval(() => {
    try {
      peakRssBytes = Math.max(peakRssBytes, procStatus(server.pid).rssBytes);
    } catch {
      // the server exited; the result will say so through its errors
    }
  }, 10);
  try {
    const r = await load.reconnect({ target: server.xdsTarget, timeoutMs: 180_000 });
    return {
      streams, allSyncedMs: r.ms, syncedP50: percentile(r.syncedMs, 50), syncedP99: percentile(r.syncedMs, 99),
      rssBeforeBytes, peakRssBytes, streamsRetried: r.streamsRetried, errors: r.errors.slice(0, 5),
    };
  } finally {
    clearInterval(sampler);
  }
}

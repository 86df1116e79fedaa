// The soak's traffic: steady, bounded-rate requests through the ingress with and without x-lane,
// each recorded, then judged against the path the lane definitions of the moment give.
import { meshGet } from '../../deploy/local/client.js';
import type { Random } from '../support/seeded-random.js';
import { CHAIN, CHURN_LANES, expectedPath, STEADY_DEF, STEADY_LANE, type LaneDef, type LaneTimeline } from './soak-lanes.js';

export interface RequestRecord {
  /** undefined: sent without x-lane. */
  lane: string | undefined;
  t0: number;
  t1: number;
  status: number;
  path: string;
}

/** A span of the run the test itself caused (an Envoy it restarted, a control plane it stopped). */
export interface Window {
  what: string;
  start: number;
  end: number;
}

export type Verdict = 'ok' | 'expected: ingress Envoy restarting' | 'expected: lane write propagating' | 'unexpected';

/** `concurrency` loops, each pacing itself to rate/concurrency requests a second, until stop(). */
export class Traffic {
  readonly records: RequestRecord[] = [];
  private running = false;
  private loops: Array<Promise<void>> = [];

  constructor(
    private readonly url: string,
    private readonly rng: Random,
    private readonly ratePerSecond: number,
    private readonly concurrency = 4,
  ) {}

  private pickLane(): string | undefined {
    const r = this.rng.next();
    if (r < 0.4) return undefined;
    return r < 0.6 ? STEADY_LANE : this.rng.pick(CHURN_LANES);
  }

  private async loop(): Promise<void> {
    const periodMs = (1000 * this.concurrency) / this.ratePerSecond;
    while (this.running) {
      const lane = this.pickLane();
      const t0 = Date.now();
      const answer = await meshGet(this.url, lane ? { 'x-lane': lane } : {}).catch((err: Error) => ({ status: 0, path: `error: ${err.message}` }));
      const t1 = Date.now();
      // A failed answer keeps the app's error (which callee failed, and what its sidecar said).
      const failure = 'error' in answer && answer.error ? `${answer.path} (error: ${answer.error})` : answer.path;
      this.records.push({ lane, t0, t1, status: answer.status, path: answer.status === 200 ? answer.path : failure.slice(0, 400) });
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, periodMs - (t1 - t0))));
    }
  }

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.concurrency }, () => this.loop());
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }
}

function overlaps(r: RequestRecord, w: Window): boolean {
  return r.t0 <= w.end && r.t1 >= w.start;
}

/**
 * ok: 200 and the path the lane's definition acknowledged last before the request was sent gives.
 * Expected (the test's own doing): any failure of a request in flight while the test had the
 * ingress Envoy stopped (SIGTERM until it answered /ready LIVE again); a 200 each of whose hops is
 * the instance a definition on either side of one of our lane writes names, the write sent before
 * the answer and acknowledged at most `windowMs` before the request. Everything else is unexpected.
 */
export function judge(r: RequestRecord, timeline: LaneTimeline, ingressDown: readonly Window[], windowMs: number): Verdict {
  const defAt = (t: number) => (r.lane === undefined ? null : r.lane === STEADY_LANE ? STEADY_DEF : timeline.at(r.lane, t));
  if (r.status === 200 && r.path === expectedPath(defAt(r.t0))) return 'ok';
  if (ingressDown.some((w) => overlaps(r, w))) return 'expected: ingress Envoy restarting';
  if (r.status === 200 && r.lane !== undefined && r.lane !== STEADY_LANE) {
    if (eachHopFrom(r.path, timeline.propagating(r.lane, r.t0, r.t1, windowMs))) return 'expected: lane write propagating';
  }
  return 'unexpected';
}

/** Whether every hop of `path` is the instance one of `defs` names for that service (proxies on the path take a write at slightly different moments). */
function eachHopFrom(path: string, defs: readonly LaneDef[]): boolean {
  if (defs.length === 0) return false;
  const hops = path.split(' ');
  const options = defs.map((def) => expectedPath(def).split(' '));
  return hops.length === CHAIN.length && hops.every((hop, i) => options.some((o) => o[i] === hop));
}

// `--wait` on lane writes: poll GET /v1/lanes/:name until every fork of the lane runs (CI gates its
// tests on the exit code), failing at once on a reason waiting will not fix. A lane without forks
// is done once it is served. Also the fork rows of `laneway lane get`.
import { parseDuration } from '../model/duration.js';
import { TERMINAL_FORK_REASONS, type ForkStatus } from '../sources/kubernetes/fork-status.js';
import { segment } from './args.js';
import type { ApiAnswer, CliContext } from './command.js';
import { EXIT, reportApiError, UsageError } from './errors.js';

export const DEFAULT_WAIT_TIMEOUT = '5m';
const POLL_MS = 200;

/** The parts of a lane view the wait reads: the spec's forks and what the status says of them. */
interface WaitedLane {
  name: string;
  forks?: unknown[];
  status?: { forks?: ForkStatus[] };
}

/** Where a lane stands: done, failed for good, or still waiting (with what it waits for). */
export type WaitState = { state: 'done'; summary: string } | { state: 'failed'; reason: string } | { state: 'waiting'; pending: string };

/** "Deployment/orders 1/1 (orders=registry.example/orders:pr-42)". */
function forkLine(fork: ForkStatus): string {
  const images = Object.entries(fork.images).map(([c, image]) => `${c}=${image}`).join(',');
  return `${fork.workload} ${fork.readyReplicas}/${fork.replicas}${images ? ` (${images})` : ''}`;
}

/** What one GET of the lane says about waiting for it. Pure. */
export function waitState(name: string, answer: ApiAnswer): WaitState {
  if (answer.status === 404) return { state: 'waiting', pending: `lane ${name} is not served yet` };
  const lane = answer.body as WaitedLane;
  const wanted = Array.isArray(lane.forks) ? lane.forks.length : 0;
  if (wanted === 0) return { state: 'done', summary: `lane/${name} served (no forks)` };
  const forks = lane.status?.forks;
  if (!forks || forks.length !== wanted) return { state: 'waiting', pending: `the status of lane ${name}'s forks is not reported yet` };
  const stuck = forks.find((f) => TERMINAL_FORK_REASONS.includes(f.reason));
  if (stuck) return { state: 'failed', reason: `fork ${stuck.workload}: ${stuck.reason}: ${stuck.message}` };
  const notReady = forks.filter((f) => !f.ready);
  if (notReady.length === 0) return { state: 'done', summary: `lane/${name} ready: ${forks.map(forkLine).join('; ')}` };
  return { state: 'waiting', pending: notReady.map((f) => `${f.workload} (${f.reason}: ${f.message})`).join('; ') };
}

/** `--timeout 5m` in milliseconds. */
export function waitTimeoutMs(value: unknown): number {
  const text = typeof value === 'string' ? value : DEFAULT_WAIT_TIMEOUT;
  const seconds = parseDuration(text);
  if (seconds === undefined) throw new UsageError(`--timeout takes a duration such as "90s" or "5m", got ${JSON.stringify(text)}`);
  return seconds * 1000;
}

/** Polls the lane until it is done (exit 0), a fork fails (exit 8) or `timeoutMs` passes (exit 9). */
export async function waitForLane(ctx: CliContext, name: string, timeoutMs: number, pollMs = POLL_MS): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  // Table output: the summary is for people on stdout; JSON/YAML keep stdout to the API's objects.
  const say = ctx.output === 'table' ? ctx.stdout : ctx.stderr;
  for (;;) {
    const answer = await ctx.api('GET', `/v1/lanes/${segment(name)}`);
    if (answer.status >= 400 && answer.status !== 404) return reportApiError(ctx, answer, `waiting for lane ${name}`);
    const now = waitState(name, answer);
    if (now.state === 'done') {
      say(`${now.summary}\n`);
      return EXIT.ok;
    }
    if (now.state === 'failed') {
      ctx.stderr(`laneway: lane ${name} will not be ready: ${now.reason}\n`);
      return EXIT.forkFailed;
    }
    if (Date.now() >= deadline) {
      ctx.stderr(`laneway: timed out after ${timeoutMs / 1000}s waiting for lane ${name}: ${now.pending}\n`);
      return EXIT.timedOut;
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(pollMs, Math.max(0, deadline - Date.now()))));
  }
}

/** A fork as the lane's spec asks for it (the parts `lane get` shows). */
interface ForkSpecShown { workload?: unknown; containers?: Array<{ name?: unknown; image?: unknown }> }

/**
 * `laneway lane get` rows, one per fork: "fork Deployment/orders" -> "0/1 ready; orders=...;
 * ImagePullError: ..."; a fork the status does not describe yet shows the image(s) it asks for.
 */
export function forkRows(lane: { forks?: unknown; status?: { forks?: ForkStatus[] } }): string[][] {
  const statuses = lane.status?.forks ?? [];
  const rows = statuses.map((f) => {
    const images = Object.entries(f.images).map(([c, image]) => `${c}=${image}`).join(',') || '-';
    const why = f.ready ? f.reason : `${f.reason}: ${f.message}`;
    return [`fork ${f.workload}`, `${f.readyReplicas}/${f.replicas} ready; ${images}; ${why}`];
  });
  const spec = Array.isArray(lane.forks) ? (lane.forks as ForkSpecShown[]) : [];
  for (const fork of spec.filter((f) => !statuses.some((s) => s.workload === f.workload))) {
    const images = (fork.containers ?? []).map((c) => (typeof c.name === 'string' ? `${c.name}=${String(c.image)}` : String(c.image))).join(',');
    rows.push([`fork ${String(fork.workload)}`, `status not reported yet; asks for ${images || 'no image change'}`]);
  }
  return rows;
}

// Lane churn for the load generator: lanes created through the control API at a fixed rate (open
// loop: a slow server does not slow the writes down), each timed until every stream it affects has
// received and ACKed its routes, clusters and endpoints. Many lanes are in flight at once.
import { collectGarbage } from './collect-garbage.js';
import { CDS, EDS, RDS, type EnvoyStream } from './envoy-stream.js';
import type { ScannedResponse } from './proto-scan.js';

export interface ChurnLane {
  name: string;
  body: unknown;
  /** node id -> the lane's clusters that node must get. */
  expect: Record<string, string[]>;
}

export interface ChurnCommand {
  cmd: 'churn';
  apiUrl: string;
  ratePerS: number;
  lanes: ChurnLane[];
  timeoutMs: number;
}

export interface ChurnResult {
  ratePerS: number;
  lanes: number;
  /** Per (lane, affected stream): ms from sending the lane's PUT until that stream ACKed it all. */
  convergedMs: number[];
  missing: number;
  httpErrors: number;
  /** ms from the first PUT until the last lane converged (or the timeout). */
  ms: number;
}

type Listener = (s: EnvoyStream, res: ScannedResponse, at: number) => void;

interface Tracked {
  marker: Buffer;
  sentAt: number;
  pending: Map<EnvoyStream, string[]>;
  routed: Set<EnvoyStream>;
}

export async function churn(c: ChurnCommand, streams: EnvoyStream[], setListener: (l: Listener | undefined) => void): Promise<ChurnResult> {
  const byId = new Map(streams.map((s) => [s.node.id, s]));
  const tracked: Tracked[] = [];
  const convergedMs: number[] = [];
  let httpErrors = 0;
  setListener((s, res, at) => {
    for (const t of tracked) {
      const clusters = t.pending.get(s);
      if (!clusters) continue;
      if (res.typeUrl === RDS && res.resources.some((r) => r.value.includes(t.marker))) t.routed.add(s);
      const held = (type: string) => clusters.every((name) => s.held.get(type)!.has(name));
      if (t.routed.has(s) && held(CDS) && held(EDS)) {
        t.pending.delete(s);
        convergedMs.push(at - t.sentAt);
      }
    }
  });
  await collectGarbage();
  const started = performance.now();
  const puts: Promise<void>[] = [];
  for (const [i, lane] of c.lanes.entries()) {
    const due = started + (i * 1000) / c.ratePerS;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const pending = new Map<EnvoyStream, string[]>();
    for (const [id, clusters] of Object.entries(lane.expect)) {
      const s = byId.get(id);
      if (s) pending.set(s, clusters);
    }
    tracked.push({ marker: Buffer.from(lane.name), sentAt: performance.now(), pending, routed: new Set() });
    puts.push(
      fetch(`${c.apiUrl}/v1/lanes/${lane.name}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(lane.body) })
        .then(async (res) => {
          await res.text();
          if (!res.ok) httpErrors++;
        }, () => void httpErrors++),
    );
  }
  await Promise.all(puts);
  const deadline = performance.now() + c.timeoutMs;
  while (tracked.some((t) => t.pending.size > 0) && performance.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  setListener(undefined);
  const missing = tracked.reduce((n, t) => n + t.pending.size, 0);
  return { ratePerS: c.ratePerS, lanes: c.lanes.length, convergedMs, missing, httpErrors, ms: performance.now() - started };
}

// The soak's lanes: which instances exist, a seeded churn of lane writes through the REST API, and
// the timeline of those writes, from which each request's expected path is computed for the moment
// it was sent.
import type { Random } from '../support/seeded-random.js';

/** frontend -> orders -> payments: the demo chain every request walks. */
export const CHAIN = ['frontend', 'orders', 'payments'] as const;
/** Lane instances (service/instance lane) the lanes point at; each is a demo app with its sidecar. */
export const POOL = ['frontend/pool-a', 'orders/pool-a', 'orders/pool-b', 'payments/pool-b'] as const;
/** A lane written once at the start and never changed. */
export const STEADY_LANE = 'steady';
export const STEADY_DEF: LaneDef = { orders: 'orders/pool-a' };
/** Lanes the churn creates, updates and deletes. */
export const CHURN_LANES = ['soak-0', 'soak-1', 'soak-2', 'soak-3'] as const;

/** A lane as the soak writes it: service -> the instance ("orders/pool-a") serving it; null: no such lane. */
export type LaneDef = Readonly<Record<string, string>> | null;

/** The hops a request for a lane so defined walks: "frontend/stable orders/pool-a payments/stable". */
export function expectedPath(def: LaneDef): string {
  return CHAIN.map((s) => def?.[s] ?? `${s}/stable`).join(' ');
}

interface LaneWrite {
  sentAt: number;
  /** When the API answered 2xx; Infinity while in flight. */
  ackedAt: number;
  before: LaneDef;
  after: LaneDef;
}

/** Every acknowledged lane write, in order, per lane. */
export class LaneTimeline {
  private readonly writes = new Map<string, LaneWrite[]>();
  private readonly now = new Map<string, LaneDef>();

  current(lane: string): LaneDef {
    return this.now.get(lane) ?? null;
  }

  /** Records a write about to be sent; call acked() or failed() with what it returns. */
  begin(lane: string, after: LaneDef, at: number): LaneWrite {
    const write = { sentAt: at, ackedAt: Infinity, before: this.current(lane), after };
    this.writes.set(lane, [...(this.writes.get(lane) ?? []), write]);
    return write;
  }

  acked(lane: string, write: LaneWrite, at: number): void {
    write.ackedAt = at;
    this.now.set(lane, write.after);
  }

  /** A refused write changed nothing (the store is all-or-nothing): forget it. */
  failed(lane: string, write: LaneWrite): void {
    this.writes.set(lane, (this.writes.get(lane) ?? []).filter((w) => w !== write));
  }

  /** The definition acknowledged last before `t`. */
  at(lane: string, t: number): LaneDef {
    let def: LaneDef = null;
    for (const w of this.writes.get(lane) ?? []) if (w.ackedAt <= t) def = w.after;
    return def;
  }

  /** Writes of `lane` sent within `spanMs` of `t` (to explain an unexpected answer). */
  near(lane: string, t: number, spanMs: number): ReadonlyArray<Readonly<LaneWrite>> {
    return (this.writes.get(lane) ?? []).filter((w) => Math.abs(w.sentAt - t) <= spanMs);
  }

  /**
   * Definitions a request sent at t0 and answered at t1 may have met while a write of ours was
   * propagating: both sides of every write sent before t1 and acknowledged after t0 - windowMs.
   */
  propagating(lane: string, t0: number, t1: number, windowMs: number): LaneDef[] {
    const defs: LaneDef[] = [];
    for (const w of this.writes.get(lane) ?? []) if (w.sentAt <= t1 && w.ackedAt >= t0 - windowMs) defs.push(w.before, w.after);
    return defs;
  }
}

export type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; body: unknown }>;

export interface ChurnTally {
  creates: number;
  updates: number;
  deletes: number;
  /** Writes the API refused or that failed to arrive while the control plane was up. */
  failures: string[];
}

function randomDef(rng: Random, unlike: LaneDef): Record<string, string> {
  for (;;) {
    const def: Record<string, string> = {};
    for (const service of CHAIN) {
      const options = POOL.filter((i) => i.startsWith(`${service}/`));
      if (rng.chance(0.5)) def[service] = rng.pick(options);
    }
    if (Object.keys(def).length > 0 && JSON.stringify(def) !== JSON.stringify(unlike)) return def;
  }
}

/** One churn write at a time: create a missing lane, or update or delete an existing one. */
export class LaneChurn {
  readonly tally: ChurnTally = { creates: 0, updates: 0, deletes: 0, failures: [] };

  constructor(
    private readonly rng: Random,
    private readonly api: Api,
    private readonly endpointsOf: (instance: string) => string[],
    readonly timeline: LaneTimeline,
  ) {}

  /** Writes a lane definition (null: deletes it) and records it; true when the API acknowledged it. */
  async write(lane: string, def: LaneDef): Promise<boolean> {
    const write = this.timeline.begin(lane, def, Date.now());
    const services = def && Object.fromEntries(Object.entries(def).map(([s, instance]) => [s, this.endpointsOf(instance)]));
    const res = await (def ? this.api('PUT', `/v1/lanes/${lane}`, { services, description: 'soak churn' }) : this.api('DELETE', `/v1/lanes/${lane}`)).catch((err: Error) => ({ status: 0, body: err.message }));
    if (res.status >= 200 && res.status < 300) {
      this.timeline.acked(lane, write, Date.now());
      return true;
    }
    this.timeline.failed(lane, write);
    this.tally.failures.push(`${def ? 'PUT' : 'DELETE'} ${lane}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
    return false;
  }

  async step(): Promise<void> {
    const lane = this.rng.pick(CHURN_LANES);
    const before = this.timeline.current(lane);
    if (before === null) {
      if (await this.write(lane, randomDef(this.rng, null))) this.tally.creates++;
    } else if (this.rng.chance(0.6)) {
      if (await this.write(lane, randomDef(this.rng, before))) this.tally.updates++;
    } else if (await this.write(lane, null)) {
      this.tally.deletes++;
    }
  }
}

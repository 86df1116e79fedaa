// Removes lanes from the store once their expiresAt has passed. expiresAt is stored, so a restarted
// control plane removes what expired while it was down with its first sweep, before serving.
import { ConflictError, NotFoundError, PreconditionFailedError } from '../model/errors.js';
import { changesBetween } from '../model/state-changes.js';
import type { MeshState } from '../model/types.js';
import type { FileStore } from './store.js';

export interface ExpiryLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

export interface LaneExpiryOptions {
  store: FileStore;
  logger: ExpiryLogger;
  now?: () => number;
}

interface ExpiredLane {
  name: string;
  version: string;
  expiresAt: string;
}

/** setTimeout's ceiling (about 24.8 days); later expiries are re-checked when it fires. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/**
 * A sweep that failed (a store write refused: disk full, data directory gone) is tried again this
 * soon, not only at the next write: on an idle control plane there may be no next write.
 */
export const SWEEP_RETRY_MS = 1000;

export class LaneExpiry {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  /** The last sweep failed: schedule() retries it after SWEEP_RETRY_MS. */
  private failed = false;
  /** "lane@version" already reported as blocked, so a blocked lane is logged once, not every sweep. */
  private readonly reported = new Set<string>();
  /**
   * expiresAt (ms) of every lane that has one, as of `indexed`; carried forward through the names
   * each write touched, so a write does not parse every lane's expiresAt again (10,000 lanes).
   */
  private readonly expiries = new Map<string, number>();
  private indexed: MeshState | undefined;

  constructor(private readonly options: LaneExpiryOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Sweeps once (resolving when done), then keeps sweeping as lanes come due. */
  async start(): Promise<void> {
    await this.sweep();
    this.unsubscribe = this.options.store.onChange(() => this.onStoreChange());
    this.schedule();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.unsubscribe?.();
  }

  /** Removes every expired lane no other lane falls back to; returns the removed names. */
  sweep(): Promise<string[]> {
    const run = this.running.then(() => this.removeExpired());
    this.running = run.then(
      () => {
        this.failed = false;
      },
      (err: Error) => {
        this.failed = true;
        this.options.logger.error({ err }, `lane expiry sweep failed; retrying in ${SWEEP_RETRY_MS} ms`);
        this.schedule();
      },
    );
    return run;
  }

  /** The expired lanes, in the order of the store's lanes record. */
  private expiredLanes(): ExpiredLane[] {
    const state = this.refreshIndex();
    const now = this.now();
    const expired = new Set<string>();
    for (const [name, at] of this.expiries) if (at <= now) expired.add(name);
    if (expired.size === 0) return [];
    const meta = this.options.store.meta();
    const ordered = expired.size === 1 ? [...expired] : Object.keys(state.lanes).filter((name) => expired.has(name));
    return ordered.map((name) => ({ name, version: meta.lanes[name]!.resourceVersion, expiresAt: state.lanes[name]!.expiresAt! }));
  }

  /** Brings `expiries` up to the store's state, from the names written since, or afresh when they are not known. */
  private refreshIndex(): MeshState {
    const state = this.options.store.state();
    if (state === this.indexed) return state;
    const changed = this.indexed && changesBetween(this.indexed, state);
    if (changed) {
      for (const name of changed.lanes) this.indexLane(state, name);
    } else {
      this.expiries.clear();
      for (const name of Object.keys(state.lanes)) this.indexLane(state, name);
    }
    this.indexed = state;
    return state;
  }

  private indexLane(state: MeshState, name: string): void {
    const expiresAt = Object.hasOwn(state.lanes, name) ? state.lanes[name]!.expiresAt : undefined;
    // An unparsable time never comes due, as before (NaN compares false).
    const at = expiresAt === undefined ? NaN : Date.parse(expiresAt);
    if (Number.isNaN(at)) this.expiries.delete(name);
    else this.expiries.set(name, at);
  }

  private async removeExpired(): Promise<string[]> {
    const removed: string[] = [];
    let blocked = new Map<string, { lane: ExpiredLane; conflict: ConflictError }>();
    // Removing a lane can free the lane it fell back to, so repeat until a round removes nothing.
    for (let progress = true; progress && !this.closed; ) {
      progress = false;
      blocked = new Map();
      for (const lane of this.expiredLanes()) {
        const outcome = await this.removeLane(lane);
        if (outcome === 'removed') {
          removed.push(lane.name);
          progress = true;
        } else if (outcome instanceof ConflictError) blocked.set(lane.name, { lane, conflict: outcome });
      }
    }
    for (const { lane, conflict } of blocked.values()) this.reportBlocked(lane, conflict);
    return removed;
  }

  private async removeLane(lane: ExpiredLane): Promise<'removed' | 'skipped' | ConflictError> {
    try {
      // Conditional on the version we saw: a renewal that just landed wins over the sweep.
      const { meta } = await this.options.store.deleteLane(lane.name, { ifMatch: [lane.version] });
      this.options.logger.info({ who: 'expiry', action: 'lane.expire', lane: lane.name, expiresAt: lane.expiresAt, resourceVersion: meta.resourceVersion }, 'lane expired and was removed');
      return 'removed';
    } catch (err) {
      if (err instanceof PreconditionFailedError || err instanceof NotFoundError) return 'skipped';
      if (err instanceof ConflictError) return err;
      throw err;
    }
  }

  private reportBlocked(lane: ExpiredLane, conflict: ConflictError): void {
    const key = `${lane.name}@${lane.version}`;
    if (this.reported.has(key)) return;
    this.reported.add(key);
    this.options.logger.warn({ lane: lane.name, expiresAt: lane.expiresAt, details: conflict.details }, `lane expired but stays: ${conflict.message}`);
  }

  /** A write may have freed a blocked lane, or set an expiresAt already past. */
  private onStoreChange(): void {
    if (this.expiredLanes().length > 0) void this.sweep().catch(() => undefined);
    this.schedule();
  }

  /** One timer, for the earliest expiresAt still ahead. */
  private schedule(): void {
    clearTimeout(this.timer);
    this.refreshIndex();
    const now = this.now();
    let next = Infinity;
    for (const at of this.expiries.values()) if (at > now && at < next) next = at;
    if (this.failed) next = Math.min(next, now + SWEEP_RETRY_MS);
    if (this.closed || next === Infinity) return;
    this.timer = setTimeout(() => {
      this.sweep().then(() => this.schedule(), () => this.schedule());
    }, Math.min(next - now, MAX_TIMER_MS));
    this.timer.unref();
  }
}

// Removes lanes from the store once their expiresAt has passed. expiresAt is stored, so a restarted
// control plane removes what expired while it was down with its first sweep, before serving.
import { ConflictError, NotFoundError, PreconditionFailedError } from '../model/errors.js';
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

export class LaneExpiry {
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private closed = false;
  /** "lane@version" already reported as blocked, so a blocked lane is logged once, not every sweep. */
  private readonly reported = new Set<string>();

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
    this.running = run.catch((err: Error) => this.options.logger.error({ err }, 'lane expiry sweep failed; retrying at the next change'));
    return run;
  }

  private expiredLanes(): ExpiredLane[] {
    const { lanes } = this.options.store.state();
    const meta = this.options.store.meta();
    const now = this.now();
    return Object.values(lanes)
      .filter((lane) => lane.expiresAt !== undefined && Date.parse(lane.expiresAt) <= now)
      .map((lane) => ({ name: lane.name, version: meta.lanes[lane.name]!.resourceVersion, expiresAt: lane.expiresAt! }));
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
    const now = this.now();
    const ahead = Object.values(this.options.store.state().lanes)
      .map((lane) => (lane.expiresAt === undefined ? NaN : Date.parse(lane.expiresAt)))
      .filter((at) => at > now);
    if (this.closed || ahead.length === 0) return;
    this.timer = setTimeout(() => {
      this.sweep().then(() => this.schedule(), () => this.schedule());
    }, Math.min(Math.min(...ahead) - now, MAX_TIMER_MS));
    this.timer.unref();
  }
}

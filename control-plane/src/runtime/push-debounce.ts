// Spaces snapshot rebuilds: the first change after a quiet spell is published at once (a lane
// works the moment it is created); changes that come while publishes are recent are coalesced
// into one publish `holdOffMs` after the last, so a burst of 100 writes in a second costs about
// ten rebuilds, not 100, and no change waits longer than the spacing. The spacing grows with the
// cost of a publish (ten times its duration, at most `maxDelayMs`), so expensive rebuilds (a full
// one at 10,000 lanes) take at most about a tenth of the CPU however fast changes come. See ADR 0008:
// a quiet-time debounce made every change wait the maximum delay while changes kept coming.

export interface PushDebounceSettings {
  /** Shortest time between two publishes. 0 turns spacing off: every change publishes at once. */
  holdOffMs: number;
  /** Longest time between two publishes while changes keep coming, however long a publish takes. */
  maxDelayMs: number;
}

export const DEFAULT_PUSH_DEBOUNCE: PushDebounceSettings = { holdOffMs: 100, maxDelayMs: 1000 };

/** A publish may take at most 1/COST_SHARE of the time while changes keep coming. */
const COST_SHARE = 10;

const ENV = { holdOffMs: 'LANEWAY_PUSH_HOLD_OFF_MS', maxDelayMs: 'LANEWAY_PUSH_MAX_DELAY_MS' } as const;

export class PushDebounceSettingsError extends Error {
  override name = 'PushDebounceSettingsError';
}

function readMs(env: NodeJS.ProcessEnv, key: keyof PushDebounceSettings): number {
  const raw = env[ENV[key]];
  if (raw === undefined || raw === '') return DEFAULT_PUSH_DEBOUNCE[key];
  if (!/^\d+$/.test(raw) || Number(raw) > 60_000) {
    throw new PushDebounceSettingsError(`${ENV[key]}: "${raw}" is not a number of milliseconds (0-60000)`);
  }
  return Number(raw);
}

/** Settings from LANEWAY_PUSH_HOLD_OFF_MS and LANEWAY_PUSH_MAX_DELAY_MS (defaults 100 and 1000). */
export function pushDebounceFromEnv(env: NodeJS.ProcessEnv): PushDebounceSettings {
  const settings = { holdOffMs: readMs(env, 'holdOffMs'), maxDelayMs: readMs(env, 'maxDelayMs') };
  if (settings.maxDelayMs < settings.holdOffMs) {
    throw new PushDebounceSettingsError(`${ENV.maxDelayMs} (${settings.maxDelayMs}) must not be below ${ENV.holdOffMs} (${settings.holdOffMs})`);
  }
  return settings;
}

export class PushDebounce {
  /** Set while the last run is recent: it ends the spacing after that run. */
  private spacingTimer?: NodeJS.Timeout;
  /** A change arrived since the last run. */
  private pending = false;
  private closed = false;

  constructor(
    private readonly settings: PushDebounceSettings,
    private readonly run: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** A change happened. */
  trigger(): void {
    if (this.closed) return;
    if (this.spacingTimer === undefined) this.runNow();
    else this.pending = true;
  }

  /** Runs a pending change now (e.g. before shutdown); no-op when nothing is pending. */
  flush(): void {
    if (this.pending) this.runNow();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.spacingTimer);
    this.spacingTimer = undefined;
  }

  private runNow(): void {
    this.pending = false;
    clearTimeout(this.spacingTimer);
    this.spacingTimer = undefined;
    const started = this.now();
    try {
      this.run();
    } finally {
      const { holdOffMs, maxDelayMs } = this.settings;
      const spacing = holdOffMs === 0 ? 0 : Math.min(maxDelayMs, Math.max(holdOffMs, COST_SHARE * (this.now() - started)));
      if (spacing > 0 && !this.closed) this.spacingTimer = setTimeout(() => this.onSpaced(), spacing);
    }
  }

  private onSpaced(): void {
    this.spacingTimer = undefined;
    if (this.pending) this.runNow();
  }
}

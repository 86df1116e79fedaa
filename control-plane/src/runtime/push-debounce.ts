// Debounces snapshot rebuilds: the first change after a quiet spell is published at once (a lane
// works the moment it is created), later changes wait until `holdOffMs` pass without one, but never
// longer than `maxDelayMs`, so a burst of 100 writes costs a few rebuilds, not 100.

export interface PushDebounceSettings {
  /** Quiet time that ends a burst. 0 turns debouncing off: every change publishes at once. */
  holdOffMs: number;
  /** Longest a change waits while changes keep coming. */
  maxDelayMs: number;
}

export const DEFAULT_PUSH_DEBOUNCE: PushDebounceSettings = { holdOffMs: 100, maxDelayMs: 1000 };

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
  private quietTimer?: NodeJS.Timeout;
  private maxTimer?: NodeJS.Timeout;
  /** A change arrived since the last run. */
  private pending = false;
  /** Within holdOffMs of the last run (or of the last change): the next change waits. */
  private cooling = false;
  private closed = false;
  private count = 0;

  constructor(
    private readonly settings: PushDebounceSettings,
    private readonly run: () => void,
  ) {}

  /** How many times `run` was called. */
  get runs(): number {
    return this.count;
  }

  /** A change happened. */
  trigger(): void {
    if (this.closed) return;
    if (this.settings.holdOffMs === 0 || !this.cooling) {
      this.runNow();
      return;
    }
    this.pending = true;
    this.restartQuietTimer();
    this.maxTimer ??= setTimeout(() => this.runNow(), this.settings.maxDelayMs);
  }

  /** Runs a pending change now (e.g. before shutdown); no-op when nothing is pending. */
  flush(): void {
    if (this.pending) this.runNow();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.quietTimer);
    clearTimeout(this.maxTimer);
  }

  private runNow(): void {
    this.pending = false;
    clearTimeout(this.maxTimer);
    this.maxTimer = undefined;
    this.count++;
    try {
      this.run();
    } finally {
      if (this.settings.holdOffMs > 0 && !this.closed) {
        this.cooling = true;
        this.restartQuietTimer();
      }
    }
  }

  private restartQuietTimer(): void {
    clearTimeout(this.quietTimer);
    this.quietTimer = setTimeout(() => this.onQuiet(), this.settings.holdOffMs);
  }

  private onQuiet(): void {
    this.quietTimer = undefined;
    if (this.pending) this.runNow();
    else this.cooling = false;
  }
}

// Bounds the change pushes in flight across all streams, so a burst of snapshot changes holds at
// most `max` unanswered responses' worth of work and memory at once (Istio does the same with its
// push throttle). A stream takes a slot before flushing a change push and gives it back when every
// response sent under it is ACKed or NACKed, or after `timeoutMs`, so a dead proxy cannot keep it.
// Initial requests and subscription changes do not take a slot: a proxy that just connected or
// asked for a new name is waiting on that answer, and it costs only its own stream's bytes.

export interface PushLimiterSettings {
  /** Concurrent change pushes across all streams; 0 turns the cap off. */
  maxConcurrent: number;
  /** A slot whose responses are not answered within this is taken back. */
  timeoutMs: number;
}

export const DEFAULT_PUSH_LIMITER: PushLimiterSettings = { maxConcurrent: 100, timeoutMs: 5000 };

export class PushLimiter {
  private held = 0;
  private peakHeld = 0;
  private readonly queue: Array<() => void> = [];

  constructor(readonly settings: PushLimiterSettings = DEFAULT_PUSH_LIMITER) {}

  get inFlight(): number {
    return this.held;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Most slots ever held at once. */
  get peak(): number {
    return this.peakHeld;
  }

  /** Calls `granted` when a slot is free (possibly at once); returns a cancel for a waiting request. */
  acquire(granted: () => void): () => void {
    if (this.settings.maxConcurrent <= 0 || this.held < this.settings.maxConcurrent) {
      this.take();
      granted();
      return () => {};
    }
    const entry = () => granted();
    this.queue.push(entry);
    return () => {
      const i = this.queue.indexOf(entry);
      if (i >= 0) this.queue.splice(i, 1);
    };
  }

  release(): void {
    this.held--;
    const next = this.queue.shift();
    if (!next) return;
    this.take();
    next();
  }

  private take(): void {
    this.held++;
    if (this.held > this.peakHeld) this.peakHeld = this.held;
  }
}

/**
 * One stream's use of the limiter. While it waits for a slot the stream keeps coalescing: what it
 * flushes when the slot comes is the newest snapshot. Without a limiter every push may go at once.
 */
export class StreamPushGate {
  private state: 'idle' | 'waiting' | 'holding' = 'idle';
  private cancel?: () => void;
  private timer?: NodeJS.Timeout;
  private readonly outstanding = new Set<string>();

  constructor(
    private readonly limiter: PushLimiter | undefined,
    /** A slot was granted, or went back: flush (a flush with nothing pending gives a granted slot back). */
    private readonly wake: () => void,
  ) {}

  /** true: a change push may be flushed now; false: the gate asked for a slot and calls wake later. */
  tryEnter(): boolean {
    if (!this.limiter) return true;
    if (this.state === 'holding') return this.outstanding.size === 0;
    if (this.state === 'idle') {
      this.state = 'waiting';
      let sync = true;
      let grantedNow = false;
      const cancel = this.limiter.acquire(() => {
        grantedNow = sync;
        this.grant(!sync);
      });
      sync = false;
      if (grantedNow) return true;
      this.cancel = cancel;
      return false;
    }
    return false;
  }

  /** A response went out; under a slot, its answer is awaited before the slot goes back. */
  sent(nonce: string): void {
    if (this.state === 'holding') this.outstanding.add(nonce);
  }

  /** ACK or NACK of `nonce` (stale or not). */
  answered(nonce: string): void {
    if (this.outstanding.delete(nonce) && this.outstanding.size === 0 && this.state === 'holding') this.release(true);
  }

  /** After a flush: a slot under which nothing was sent goes back at once (the flush left nothing to wake for). */
  flushed(): void {
    if (this.state === 'holding' && this.outstanding.size === 0) this.release(false);
  }

  close(): void {
    if (this.state === 'waiting') this.cancel?.();
    if (this.state === 'holding') this.release(false);
    this.state = 'idle';
  }

  private grant(notify: boolean): void {
    this.state = 'holding';
    this.cancel = undefined;
    this.timer = setTimeout(() => this.release(true), this.limiter!.settings.timeoutMs);
    this.timer.unref();
    if (notify) this.wake();
  }

  private release(notify: boolean): void {
    if (this.state !== 'holding') return;
    clearTimeout(this.timer);
    this.outstanding.clear();
    this.state = 'idle';
    this.limiter!.release();
    if (notify) this.wake();
  }
}

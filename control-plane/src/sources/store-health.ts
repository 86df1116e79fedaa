// Whether the store can write its data directory. A write the disk refuses (full, read-only, I/O
// error) is refused with a StorageError naming the directory and the cause; the store stays at the
// last acknowledged write (the journal cuts the failed write off again). Until a write succeeds,
// the problem is reported (/readyz) and a small probe file is written every second, so the report
// clears by itself once the disk has room again, without waiting for a client to retry.
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** A store write the data directory's file system refused; `code` is the errno name (ENOSPC, EIO, ...). */
export class StorageError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface StorageProblem {
  message: string;
  code: string;
  since: string;
}

const PROBE_FILE = '.write-probe';
// About what one journal append of a small lane takes: a probe that fits says a write will too.
const PROBE_BYTES = Buffer.alloc(4096, 0x20);
const PROBE_INTERVAL_MS = 1000;

/** "ENOSPC: no space left on device, write" -> "no space left on device"; the errno name when there is no text. */
function causeOf(err: NodeJS.ErrnoException): string {
  const match = /^[A-Z0-9]+: ([^,]+)/.exec(err.message);
  return match ? match[1]! : err.code!;
}

/** An operating-system error of the data directory (has an errno code), as opposed to a bug. */
export function isFileSystemError(err: unknown): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && typeof (err as NodeJS.ErrnoException).errno === 'number';
}

export class StoreHealth {
  private current?: StorageProblem;
  private probeTimer?: NodeJS.Timeout;
  private probing = false;

  constructor(private readonly dataDir: string) {}

  problem(): StorageProblem | undefined {
    return this.current;
  }

  /** Records a refused write and returns the error to answer it with. */
  failed(err: NodeJS.ErrnoException): StorageError {
    const code = err.code!;
    const message = `data directory ${this.dataDir}: ${causeOf(err)}; the write was not saved, and writes are refused until the disk accepts them again`;
    this.current ??= { message, code, since: new Date().toISOString() };
    if (this.current.code !== code) this.current = { message, code, since: this.current.since };
    this.probeTimer ??= setInterval(() => void this.probe(), PROBE_INTERVAL_MS).unref();
    return new StorageError(message, code);
  }

  succeeded(): void {
    this.current = undefined;
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  close(): void {
    if (this.probeTimer) clearInterval(this.probeTimer);
    this.probeTimer = undefined;
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    const path = join(this.dataDir, PROBE_FILE);
    try {
      const file = await open(path, 'w', 0o600);
      try {
        await file.write(PROBE_BYTES);
        await file.datasync();
      } finally {
        await file.close();
      }
      this.succeeded();
    } catch {
      // Still refused: keep reporting the write's own error.
    } finally {
      await rm(path, { force: true }).catch(() => undefined);
      this.probing = false;
    }
  }
}

// The certificate files of --tls-cert, --tls-key and --client-ca, read at start and again whenever
// one of them changes on disk (a cert-manager renewal, a Kubernetes Secret's symlink swap, a `mv`).
// Only a complete, consistent set replaces the current one: a certificate written before its key
// (a pair that does not match yet) is ignored until the key follows. Servers apply a new set to
// new connections; connections already open, and the xDS streams on them, keep going.
import { watchFile, unwatchFile, readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';

export interface TlsPaths {
  cert: string;
  key: string;
  /** Client certificates must be signed by this CA (xDS only: the API authenticates with tokens). */
  clientCa?: string;
}

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  clientCa?: Buffer;
}

export type TlsListener = (material: TlsMaterial) => void;

/** How often the files' status is polled: fs.watch misses renames of a Secret's symlinked directory. */
const POLL_MS = 500;
/** Waits this long after a change, so a certificate and key written one after the other arrive together. */
const SETTLE_MS = 200;

/** Reads and checks the files; throws naming the file or the mismatch. */
export function readTlsMaterial(paths: TlsPaths): TlsMaterial {
  const read = (path: string, what: string) => {
    try {
      return readFileSync(path);
    } catch (err) {
      throw new Error(`${what} ${path}: ${(err as Error).message}`);
    }
  };
  const material: TlsMaterial = { cert: read(paths.cert, '--tls-cert'), key: read(paths.key, '--tls-key'), ...(paths.clientCa && { clientCa: read(paths.clientCa, '--client-ca') }) };
  try {
    createSecureContext({ cert: material.cert, key: material.key, ...(material.clientCa && { ca: material.clientCa }) });
  } catch (err) {
    throw new Error(`TLS files ${[paths.cert, paths.key, paths.clientCa].filter(Boolean).join(', ')} are not usable: ${(err as Error).message}`);
  }
  return material;
}

const sameBytes = (a: Buffer | undefined, b: Buffer | undefined) => (a === undefined || b === undefined ? a === b : a.equals(b));

export class TlsFiles {
  private material: TlsMaterial;
  private readonly listeners = new Set<TlsListener>();
  private settle?: NodeJS.Timeout;
  private readonly files: string[];

  constructor(
    readonly paths: TlsPaths,
    private readonly logger: Logger,
  ) {
    this.material = readTlsMaterial(paths);
    this.files = [paths.cert, paths.key, ...(paths.clientCa ? [paths.clientCa] : [])];
    for (const file of this.files) watchFile(file, { interval: POLL_MS, persistent: false }, this.changed);
  }

  current(): TlsMaterial {
    return this.material;
  }

  /** Calls `listener` with every new set of files; returns a function that unsubscribes. */
  onChange(listener: TlsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const file of this.files) unwatchFile(file, this.changed);
    if (this.settle) clearTimeout(this.settle);
    this.listeners.clear();
  }

  private readonly changed = () => {
    if (this.settle) clearTimeout(this.settle);
    this.settle = setTimeout(() => this.reload(), SETTLE_MS);
    this.settle.unref();
  };

  private reload(): void {
    let next: TlsMaterial;
    try {
      next = readTlsMaterial(this.paths);
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'TLS files changed but are not usable yet; keeping the certificates in use');
      return;
    }
    const now = this.material;
    if (sameBytes(next.cert, now.cert) && sameBytes(next.key, now.key) && sameBytes(next.clientCa, now.clientCa)) return;
    this.material = next;
    this.logger.info({ cert: this.paths.cert, clientCa: this.paths.clientCa }, 'TLS certificates reloaded; new connections use them');
    for (const listener of this.listeners) listener(next);
  }
}

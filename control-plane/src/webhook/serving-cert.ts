// The webhook's serving certificate, kept current: either files (cert-manager renews them; re-read
// on every check) or issued by this replica from the shared CA, whose bundle it also writes into the
// MutatingWebhookConfiguration on every check (a re-applied manifest may have emptied it).
import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { SharedCaStore } from './ca-store.js';
import { issueServingCert, needsRenewal, notAfter, type KeyPair } from './certificates.js';

export type ServingCertSource =
  | { kind: 'files'; certFile: string; keyFile: string }
  | { kind: 'managed'; store: SharedCaStore; hosts: string[]; configName: string };

export const CHECK_MS = 60_000;

export class ServingCertificates {
  private pair?: KeyPair;
  private caCert = '';
  private timer?: NodeJS.Timeout;
  private readonly listeners: Array<(pair: KeyPair) => void> = [];

  constructor(private readonly source: ServingCertSource, private readonly logger: Logger, private readonly checkMs = CHECK_MS) {}

  /** The first certificate; rejects if there is none (no files, no API access). */
  async start(): Promise<KeyPair> {
    await this.check();
    this.schedule();
    return this.pair!;
  }

  onChange(listener: (pair: KeyPair) => void): void {
    this.listeners.push(listener);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      void this.check()
        .catch((err: Error) => this.logger.warn({ err: err.message }, 'webhook certificate check failed; serving the current one, retrying'))
        .finally(() => { if (this.timer) this.schedule(); });
    }, this.checkMs);
    this.timer.unref();
  }

  private async check(): Promise<void> {
    const next = this.source.kind === 'files' ? await this.fromFiles(this.source) : await this.fromSharedCa(this.source);
    if (next === this.pair) return;
    const first = this.pair === undefined;
    this.pair = next;
    this.logger.info({ source: this.source.kind, notAfter: notAfter(next.cert).toISOString() }, first ? 'webhook serving certificate loaded' : 'webhook serving certificate renewed');
    if (!first) for (const l of this.listeners) l(next);
  }

  private async fromFiles(source: { certFile: string; keyFile: string }): Promise<KeyPair> {
    const [cert, key] = await Promise.all([readFile(source.certFile, 'utf8'), readFile(source.keyFile, 'utf8')]);
    return this.pair && this.pair.cert === cert && this.pair.key === key ? this.pair : { cert, key };
  }

  private async fromSharedCa(source: { store: SharedCaStore; hosts: string[]; configName: string }): Promise<KeyPair> {
    const ca = await source.store.load();
    const written = await source.store.writeCaBundle(source.configName, ca.bundle);
    if (written === 'updated') this.logger.info({ config: source.configName }, 'webhook CA bundle written into the MutatingWebhookConfiguration');
    if (written === 'missing') this.logger.warn({ config: source.configName }, 'MutatingWebhookConfiguration not found: the API server does not call this webhook (apply deploy/kubernetes/webhook.yaml)');
    const renew = !this.pair || this.caCert !== ca.current.cert || needsRenewal(this.pair.cert);
    this.caCert = ca.current.cert;
    return renew ? issueServingCert(ca.current, source.hosts) : this.pair!;
  }
}

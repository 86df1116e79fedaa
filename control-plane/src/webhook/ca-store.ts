// Every replica uses one CA: the first to start creates it in a Secret (create-if-absent: a replica
// that loses the race reads the winner's), and each writes the same CA bundle into the
// MutatingWebhookConfiguration. A CA with less than a third of its life left is replaced (optimistic
// concurrency on the Secret: one replica wins); the old CA stays in the bundle until it expires, so
// serving certificates it signed stay trusted meanwhile.
import { AdmissionregistrationV1Api, CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { createCa, needsRenewal, notAfter, type KeyPair } from './certificates.js';

export const CA_SECRET = 'laneway-webhook-ca';
const CA_CERT = 'ca.crt';
const CA_KEY = 'ca.key';
const PREVIOUS = 'previous-ca.crt';

export interface SharedCa {
  /** Signs this replica's serving certificates. */
  current: KeyPair;
  /** PEM certificates the API server must trust: the current CA and any older one not yet expired. */
  bundle: string;
}

const codeOf = (err: unknown) => (err as { code?: unknown })?.code;
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)?.map((b) => (b.endsWith('\n') ? b : `${b}\n`)) ?? [];
}

function fromSecret(secret: V1Secret, now: Date): SharedCa | undefined {
  const cert = unb64(secret.data?.[CA_CERT]);
  const key = unb64(secret.data?.[CA_KEY]);
  if (!cert.includes('BEGIN CERTIFICATE') || !key.includes('PRIVATE KEY')) return undefined;
  const older = pemBlocks(unb64(secret.data?.[PREVIOUS])).filter((c) => notAfter(c) > now);
  return { current: { cert, key }, bundle: [cert, ...older].join('') };
}

function secretData(ca: KeyPair, previous: string): Record<string, string> {
  return { [CA_CERT]: b64(ca.cert), [CA_KEY]: b64(ca.key), ...(previous && { [PREVIOUS]: b64(previous) }) };
}

export class SharedCaStore {
  private readonly core: CoreV1Api;
  private readonly admission: AdmissionregistrationV1Api;

  constructor(kc: KubeConfig, private readonly namespace: string, private readonly logger: Logger) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.admission = kc.makeApiClient(AdmissionregistrationV1Api);
  }

  /** The shared CA: read, created if absent, replaced when due. */
  async load(now = new Date()): Promise<SharedCa> {
    for (let attempt = 0; attempt < 5; attempt++) {
      const secret = await this.read();
      if (!secret) {
        const created = await this.create(now);
        if (created) return created;
        continue; // another replica created it first: read theirs
      }
      const ca = fromSecret(secret, now);
      if (ca && !needsRenewal(ca.current.cert, now)) return ca;
      const rotated = await this.rotate(secret, ca, now);
      if (rotated) return rotated;
    }
    throw new Error(`Secret ${this.namespace}/${CA_SECRET}: kept changing under five attempts to read or write it`);
  }

  private async read(): Promise<V1Secret | undefined> {
    try {
      return await this.core.readNamespacedSecret({ name: CA_SECRET, namespace: this.namespace });
    } catch (err) {
      if (codeOf(err) === 404) return undefined;
      throw err;
    }
  }

  private async create(now: Date): Promise<SharedCa | undefined> {
    const ca = createCa(now);
    const body: V1Secret = { metadata: { name: CA_SECRET, namespace: this.namespace, labels: { 'app.kubernetes.io/name': 'laneway' } }, type: 'Opaque', data: secretData(ca, '') };
    try {
      await this.core.createNamespacedSecret({ namespace: this.namespace, body });
    } catch (err) {
      if (codeOf(err) === 409) return undefined;
      throw err;
    }
    this.logger.info({ secret: CA_SECRET, notAfter: notAfter(ca.cert).toISOString() }, 'webhook CA created');
    return { current: ca, bundle: ca.cert };
  }

  /** Replaces a CA that is due (or unreadable); undefined when another replica wrote the Secret first. */
  private async rotate(secret: V1Secret, old: SharedCa | undefined, now: Date): Promise<SharedCa | undefined> {
    const ca = createCa(now);
    const previous = old ? old.bundle : '';
    const body: V1Secret = { ...secret, data: secretData(ca, previous) };
    try {
      await this.core.replaceNamespacedSecret({ name: CA_SECRET, namespace: this.namespace, body });
    } catch (err) {
      if (codeOf(err) === 409) return undefined;
      throw err;
    }
    this.logger.warn({ secret: CA_SECRET, notAfter: notAfter(ca.cert).toISOString(), keptPrevious: pemBlocks(previous).length }, 'webhook CA rotated (the old one had less than a third of its life left, or was unreadable)');
    return { current: ca, bundle: [ca.cert, ...pemBlocks(previous)].join('') };
  }

  /**
   * Writes `bundle` as the caBundle of every webhook in the MutatingWebhookConfiguration `name`.
   * Returns what happened; a missing configuration is not an error (the operator may not have applied it yet).
   */
  async writeCaBundle(name: string, bundle: string): Promise<'updated' | 'unchanged' | 'missing' | 'conflict'> {
    let config;
    try {
      config = await this.admission.readMutatingWebhookConfiguration({ name });
    } catch (err) {
      if (codeOf(err) === 404) return 'missing';
      throw err;
    }
    const caBundle = b64(bundle);
    const webhooks = config.webhooks ?? [];
    if (webhooks.every((w) => w.clientConfig.caBundle === caBundle)) return 'unchanged';
    for (const w of webhooks) w.clientConfig.caBundle = caBundle;
    try {
      await this.admission.replaceMutatingWebhookConfiguration({ name, body: config });
    } catch (err) {
      if (codeOf(err) === 409) return 'conflict';
      throw err;
    }
    return 'updated';
  }
}

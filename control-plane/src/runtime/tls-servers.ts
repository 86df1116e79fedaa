// TLS for the two listening ports, from one TlsFiles (tls-files.ts) that reloads on change. xDS:
// grpc-js credentials fed by a certificate provider, so a reload reaches its secure server's
// setSecureContext; with --client-ca every Envoy must present a certificate that CA signed (mTLS),
// and a connection without one, or with another CA's, fails its handshake. The API: an https server
// given the same certificate; API clients authenticate with tokens (api/tokens.ts), not certificates.
import type { SecureContextOptions } from 'node:tls';
import { experimental, type ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ControlPlaneConfig } from './config.js';
import { TlsFiles, type TlsMaterial } from './tls-files.js';

type IdentityListener = experimental.IdentityCertificateUpdateListener;
type CaListener = experimental.CaCertificateUpdateListener;

/** One provider for the server's own certificate and the client CA, both following `files`. */
class TlsFilesCertificateProvider implements experimental.CertificateProvider {
  private readonly identity = new Set<IdentityListener>();
  private readonly ca = new Set<CaListener>();

  constructor(private readonly files: TlsFiles) {
    files.onChange((material) => this.publish(material));
  }

  // The current files go to a new listener on the next tick, as grpc-js's own file watcher does:
  // grpc-js adds its server's watcher only after this call returns, and would miss them otherwise.
  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.add(listener);
    queueMicrotask(() => {
      const { cert, key } = this.files.current();
      if (this.identity.has(listener)) listener({ certificate: cert, privateKey: key });
    });
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identity.delete(listener);
  }

  addCaCertificateListener(listener: CaListener): void {
    this.ca.add(listener);
    queueMicrotask(() => {
      const { clientCa } = this.files.current();
      if (this.ca.has(listener)) listener(clientCa ? { caCertificate: clientCa } : null);
    });
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.ca.delete(listener);
  }

  private publish({ cert, key, clientCa }: TlsMaterial): void {
    for (const listener of this.identity) listener({ certificate: cert, privateKey: key });
    for (const listener of this.ca) listener(clientCa ? { caCertificate: clientCa } : null);
  }
}

/** Server credentials for the xDS port; client certificates are required when --client-ca is set. */
export function xdsServerCredentials(files: TlsFiles): ServerCredentials {
  const provider = new TlsFilesCertificateProvider(files);
  const requireClientCertificate = files.paths.clientCa !== undefined;
  // grpc-js 1.14 passes its first argument on as the identity provider and its second as the CA
  // provider, whatever the declared names say; with a client CA both are this one provider.
  return experimental.createCertificateProviderServerCredentials(provider, requireClientCertificate ? provider : null, requireClientCertificate);
}

/** https options for the API server; `watchApiCertificates` keeps them current. */
export function apiTlsOptions(files: TlsFiles): SecureContextOptions {
  const { cert, key } = files.current();
  return { cert, key };
}

/** Applies every reload to the API's https server (new connections; open ones keep theirs). */
export function watchApiCertificates(files: TlsFiles, server: object): () => void {
  const https = server as { setSecureContext(options: SecureContextOptions): void };
  return files.onChange(({ cert, key }) => https.setSecureContext({ cert, key }));
}

/** The certificate files the configuration names, read and watched; undefined: plain text. */
export function tlsFilesOf(config: ControlPlaneConfig, logger: Logger): TlsFiles | undefined {
  if (!config.tlsCert || !config.tlsKey) {
    // Plain text is the default, meant for loopback; elsewhere say so once.
    if (!/^(127\.|localhost$|::1$|\[::1\]$)/.test(config.host)) logger.warn({ host: config.host }, 'the API and xDS listen in plain text beyond loopback; set --tls-cert and --tls-key (and --client-ca for Envoys) to encrypt them');
    return undefined;
  }
  return new TlsFiles({ cert: config.tlsCert, key: config.tlsKey, ...(config.clientCa && { clientCa: config.clientCa }) }, logger);
}

// The webhook's own small PKI: a CA (shared by every replica through a Secret, see ca-store.ts) and
// a serving certificate per replica signed by it. node:crypto makes the keys; node-forge signs the
// X.509 certificates (node:crypto cannot).
import { generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import forge from 'node-forge';

export interface KeyPair {
  /** PEM certificate. */
  cert: string;
  /** PEM private key (PKCS#8). */
  key: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const CA_VALIDITY_DAYS = 3650;
export const SERVING_VALIDITY_DAYS = 90;

function newKeys(): { privatePem: string; forgePublic: forge.pki.PublicKey; forgePrivate: forge.pki.PrivateKey } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  return {
    privatePem,
    forgePrivate: forge.pki.privateKeyFromPem(privatePem),
    forgePublic: forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString()),
  };
}

/** forge writes CRLF line ends; everything else here (Kubernetes, node:crypto) uses LF. */
const pem = (cert: forge.pki.Certificate) => forge.pki.certificateToPem(cert).replace(/\r\n/g, '\n');

function baseCertificate(publicKey: forge.pki.PublicKey, now: Date, days: number): forge.pki.Certificate {
  const cert = forge.pki.createCertificate();
  cert.publicKey = publicKey;
  // Positive 16-byte serial (first bit clear), random so reissued certificates never collide.
  const serial = randomBytes(16);
  serial[0]! &= 0x7f;
  cert.serialNumber = serial.toString('hex');
  // A minute back: clocks of the API server and this replica may differ slightly.
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
  return cert;
}

export function createCa(now = new Date(), days = CA_VALIDITY_DAYS): KeyPair {
  const keys = newKeys();
  const cert = baseCertificate(keys.forgePublic, now, days);
  const subject = [{ name: 'commonName', value: 'laneway-webhook-ca' }, { name: 'organizationName', value: 'laneway' }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  cert.sign(keys.forgePrivate as forge.pki.rsa.PrivateKey, forge.md.sha256.create());
  return { cert: pem(cert), key: keys.privatePem };
}

/** A serving certificate for `hosts` (DNS names and IP addresses), signed by `ca`. */
export function issueServingCert(ca: KeyPair, hosts: string[], now = new Date(), days = SERVING_VALIDITY_DAYS): KeyPair {
  if (hosts.length === 0) throw new Error('a serving certificate needs at least one host name');
  const caCert = forge.pki.certificateFromPem(ca.cert);
  const caKey = forge.pki.privateKeyFromPem(ca.key);
  const keys = newKeys();
  const cert = baseCertificate(keys.forgePublic, now, days);
  cert.setSubject([{ name: 'commonName', value: hosts[0]! }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
    { name: 'subjectAltName', altNames: hosts.map((h) => (isIP(h) ? { type: 7, ip: h } : { type: 2, value: h })) },
  ]);
  cert.sign(caKey, forge.md.sha256.create());
  return { cert: pem(cert), key: keys.privatePem };
}

/** When `cert` (PEM) stops being valid. */
export function notAfter(cert: string): Date {
  return new Date(new X509Certificate(cert).validTo);
}

/** Renew once less than a third of the lifetime is left (cert-manager's default). */
export function needsRenewal(cert: string, now = new Date()): boolean {
  const x509 = new X509Certificate(cert);
  const from = Date.parse(x509.validFrom);
  const to = Date.parse(x509.validTo);
  return to - now.getTime() < (to - from) / 3;
}

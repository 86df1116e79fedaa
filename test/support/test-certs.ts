// Throwaway certificates for TLS tests, made with the openssl command: CAs, a server certificate
// for 127.0.0.1 and DNS names, client certificates. EC P-256 keys, valid for a day.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const openssl = (args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

export interface CertFiles {
  cert: string;
  key: string;
}

/** A self-signed CA named `name`, in `dir`. */
export function makeCa(dir: string, name: string): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', files.key, '-out', files.cert,
    '-subj', `/CN=${name}`, '-days', '1', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return files;
}

/**
 * A certificate named `name` signed by `ca`: a server's (`dnsNames` and 127.0.0.1 as subject
 * alternative names) or a client's. Written to `<dir>/<name>.crt` and `.key` (replacing them).
 */
export function makeLeaf(dir: string, ca: CertFiles, name: string, usage: 'server' | 'client', dnsNames: string[] = []): CertFiles {
  const files = { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  const csr = join(dir, `${name}.csr`);
  const ext = join(dir, `${name}.ext`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', files.key, '-out', csr, '-subj', `/CN=${name}`]);
  const san = [...dnsNames.map((d) => `DNS:${d}`), ...(usage === 'server' ? ['IP:127.0.0.1'] : [])];
  writeFileSync(ext, [`extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`, ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : [])].join('\n'));
  openssl(['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', files.cert, '-days', '1', '-extfile', ext]);
  return files;
}

// A real etcd + kube-apiserver on loopback for tests: free ports, a test-only static token,
// service-account keys in a temp dir, both processes stopped by PID. The binaries come from
// scripts/ensure-kube-apiserver.sh (built once per machine; built here if missing).
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';

const HOST = '127.0.0.1';
const ENSURE = fileURLToPath(new URL('../../scripts/ensure-kube-apiserver.sh', import.meta.url));

/** Builds (once per machine) or finds the kube binaries; returns their directory. */
export function ensureKubeBinaries(): string {
  // Never skipped: a missing binary is built here, which the first time takes many minutes.
  return execFileSync('bash', [ENSURE], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

export class KubeApiServer {
  readonly token = randomBytes(24).toString('hex');
  etcd?: Managed;
  apiserver?: Managed;
  port = 0;
  private etcdPorts: [number, number] = [0, 0];

  private constructor(readonly dir: string, readonly binDir: string) {}

  get url(): string {
    return `https://${HOST}:${this.port}`;
  }

  /** A kubeconfig for the test token (TLS verification off: the serving cert is self-signed). */
  kubeconfig(namespace = 'default'): string {
    const file = join(this.dir, 'kubeconfig');
    writeFileSync(file, [
      'apiVersion: v1', 'kind: Config', 'current-context: test',
      'clusters:', `- name: test`, `  cluster: { server: "${this.url}", insecure-skip-tls-verify: true }`,
      'users:', `- name: test`, `  user: { token: "${this.token}" }`,
      'contexts:', `- name: test`, `  context: { cluster: test, user: test, namespace: ${namespace} }`, '',
    ].join('\n'));
    return file;
  }

  static async start(): Promise<KubeApiServer> {
    const binDir = ensureKubeBinaries();
    const server = new KubeApiServer(mkdtempSync(join(tmpdir(), 'laneway-kube-')), binDir);
    try {
      await server.startEtcd();
      await server.startApiServer();
    } catch (err) {
      await server.stop();
      throw err;
    }
    return server;
  }

  private async startEtcd(): Promise<void> {
    this.etcdPorts = [await freePort(HOST), await freePort(HOST)];
    const [client, peer] = this.etcdPorts;
    const data = join(this.dir, 'etcd');
    mkdirSync(data, { recursive: true });
    this.etcd = startProcess('etcd', 'etcd', [
      '--data-dir', data, '--name', 'test',
      '--listen-client-urls', `http://${HOST}:${client}`, '--advertise-client-urls', `http://${HOST}:${client}`,
      '--listen-peer-urls', `http://${HOST}:${peer}`, '--initial-advertise-peer-urls', `http://${HOST}:${peer}`,
      '--initial-cluster', `test=http://${HOST}:${peer}`, '--unsafe-no-fsync',
    ], join(this.dir, 'etcd.log'));
    await waitFor('etcd to be healthy', async () => (await fetch(`http://${HOST}:${client}/health`)).ok, 20000, 100);
  }

  /** Starts (or restarts, on the same port) the API server. */
  async startApiServer(): Promise<void> {
    if (!this.port) this.port = await freePort(HOST);
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    writeFileSync(join(this.dir, 'sa.key'), privateKey.export({ type: 'pkcs1', format: 'pem' }));
    writeFileSync(join(this.dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(this.dir, 'tokens.csv'), `${this.token},laneway-test,laneway-test,"system:masters"\n`);
    this.apiserver = startProcess('kube-apiserver', join(this.binDir, 'kube-apiserver'), [
      `--etcd-servers=http://${HOST}:${this.etcdPorts[0]}`,
      `--bind-address=${HOST}`, `--advertise-address=${HOST}`, `--secure-port=${this.port}`,
      `--cert-dir=${join(this.dir, 'certs')}`,
      `--token-auth-file=${join(this.dir, 'tokens.csv')}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=https://kubernetes.default.svc`,
      `--service-account-key-file=${join(this.dir, 'sa.pub')}`,
      `--service-account-signing-key-file=${join(this.dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      // No controller-manager creates "default" service accounts, and pods here never run.
      '--disable-admission-plugins=ServiceAccount',
      '--enable-priority-and-fairness=false',
      '--watch-cache=true',
    ], join(this.dir, 'kube-apiserver.log'));
    await waitFor('kube-apiserver to be ready', async () => {
      const res = await this.request('GET', '/readyz');
      return res.status === 200;
    }, 90000, 250);
  }

  async stopApiServer(): Promise<void> {
    await this.apiserver?.stop(5000);
  }

  async stop(): Promise<void> {
    await this.apiserver?.stop(5000);
    await this.etcd?.stop(5000);
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Raw API call with the test token (self-signed serving cert). */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request({
        host: HOST, port: this.port, path, method, rejectUnauthorized: false,
        headers: { authorization: `Bearer ${this.token}`, ...(payload && { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) }) },
      }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try { parsed = JSON.parse(text); } catch { /* plain text (readyz) */ }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(10000, () => req.destroy(new Error(`${method} ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** kubectl built by the ensure script, against this server. */
  kubectl(args: string[]): string {
    return execFileSync(join(this.binDir, 'kubectl'), ['--kubeconfig', this.kubeconfig(), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }
}

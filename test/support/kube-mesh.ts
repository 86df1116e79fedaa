// The demo mesh in Kubernetes mode against a real API server: Services and Pods are API objects
// (no kubelet: pod status is written through the API, each pod's IP a 127.0.0.x address where a
// demo process listens), control-plane replicas watch them, and real Envoys use both replicas.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { renderBootstrap } from '../../control-plane/src/envoy/bootstrap.js';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { startDemoService, type DemoService } from '../../deploy/demo/service.js';
import { demoSpec, grpcCallees } from '../../deploy/demo/topology.js';
import type { KubeApiServer } from './kube-apiserver.js';

const HOST = '127.0.0.1';
const MAIN = fileURLToPath(new URL('../../control-plane/src/main.ts', import.meta.url));
export const CRD_FILE = fileURLToPath(new URL('../../deploy/kubernetes/crd.yaml', import.meta.url));
export const NS = 'default';

export interface Replica { name: string; apiPort: number; xdsPort: number; process: Managed }
export interface PodInstance { pod: string; service: string; lane: string; ip: string; sidecarPort: number; adminPort: number; app: DemoService; envoy: Managed }

export class KubeMesh {
  readonly replicas: Replica[] = [];
  readonly pods: PodInstance[] = [];
  ingress!: { port: number; adminPort: number; envoy: Managed };
  appPort = 0;

  constructor(readonly kube: KubeApiServer, readonly workDir: string) {
    mkdirSync(join(workDir, 'logs'), { recursive: true });
  }

  get ingressUrl(): string {
    return `http://${HOST}:${this.ingress.port}`;
  }

  async api(method: string, path: string, body?: unknown, contentType?: string): Promise<any> {
    const res = await this.kube.request(method, path, body, contentType);
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  }

  /** A mesh on `kube` with the Lane CRD and the demo's Services (frontend, orders over HTTP; payments over gRPC). */
  static async withDemoServices(kube: KubeApiServer, workDir: string): Promise<KubeMesh> {
    const mesh = new KubeMesh(kube, workDir);
    mesh.appPort = await freePort(HOST);
    await mesh.installCrd();
    await mesh.createService('frontend', { name: 'http' });
    await mesh.createService('orders', { name: 'http' });
    await mesh.createService('payments', { name: 'grpc', appProtocol: 'grpc' });
    return mesh;
  }

  async installCrd(): Promise<void> {
    const crd = parseAllDocuments(readFileSync(CRD_FILE, 'utf8'))[0]!.toJS();
    await this.api('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', crd);
    await waitFor('the Lane CRD to be established', async () => {
      const got = await this.api('GET', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/lanes.laneway.dev');
      return (got.status?.conditions ?? []).some((c: any) => c.type === 'Established' && c.status === 'True');
    }, 20000, 100);
  }

  async createService(name: string, port: { name: string; appProtocol?: string }): Promise<void> {
    await this.api('POST', `/api/v1/namespaces/${NS}/services`, {
      metadata: { name }, spec: { selector: { app: name }, ports: [{ ...port, port: 8080, targetPort: this.appPort }] },
    });
  }

  async putLane(name: string, spec: Record<string, unknown>): Promise<void> {
    await this.api('POST', `/apis/laneway.dev/v1alpha1/namespaces/${NS}/lanes`, { apiVersion: 'laneway.dev/v1alpha1', kind: 'Lane', metadata: { name }, spec });
  }

  async deleteLane(name: string): Promise<void> {
    await this.api('DELETE', `/apis/laneway.dev/v1alpha1/namespaces/${NS}/lanes/${name}`);
  }

  async setPodLaneLabel(pod: string, lane: string | null): Promise<void> {
    await this.api('PATCH', `/api/v1/namespaces/${NS}/pods/${pod}`, { metadata: { labels: { 'laneway.dev/lane': lane } } }, 'application/merge-patch+json');
  }

  /** A Pod object made ready through the status subresource, its app and its sidecar. */
  async addPod(pod: string, service: string, lane: string, ip: string, podLaneLabel: string | undefined = lane === 'stable' ? undefined : lane, meta?: { labels: Record<string, string>; annotations?: Record<string, string> }): Promise<PodInstance> {
    const labels = meta?.labels ?? { app: service, ...(podLaneLabel && { 'laneway.dev/lane': podLaneLabel }) };
    await this.api('POST', `/api/v1/namespaces/${NS}/pods`, {
      metadata: { name: pod, labels, ...(meta?.annotations && { annotations: meta.annotations }) }, spec: { containers: [{ name: 'app', image: 'laneway:dev', ports: [{ containerPort: this.appPort }] }] },
    });
    const sidecarPort = await freePort(HOST);
    const adminPort = await freePort(HOST);
    const spec = demoSpec(service);
    const app = await startDemoService({
      service, lane, host: ip, port: this.appPort, protocol: spec.protocol, calls: spec.calls, grpcCallees: grpcCallees(spec),
      sidecarUrl: `http://${HOST}:${sidecarPort}`, propagate: ['x-lane', 'baggage'],
    });
    const envoy = await this.startEnvoy('sidecar', pod, { NODE_ID: pod, SERVICE: service, LANE: lane, LISTENER_PORT: sidecarPort, ADMIN_PORT: adminPort });
    const current = await this.api('GET', `/api/v1/namespaces/${NS}/pods/${pod}`);
    current.status = { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: 'True' }] };
    await this.api('PUT', `/api/v1/namespaces/${NS}/pods/${pod}/status`, current);
    const instance = { pod, service, lane, ip, sidecarPort, adminPort, app, envoy };
    this.pods.push(instance);
    return instance;
  }

  async startReplica(name: string, settingsDir: string): Promise<Replica> {
    const apiPort = await freePort(HOST);
    const xdsPort = await freePort(HOST);
    const args = ['--import', 'tsx', MAIN, '--kubernetes', '--kubeconfig', this.kube.kubeconfig(), '--kubernetes-namespace', NS,
      '--api-port', String(apiPort), '--xds-port', String(xdsPort), '--host', HOST,
      '--data-dir', join(this.workDir, `data-${name}`), '--config-dir', settingsDir];
    const process_ = startProcess(name, process.execPath, args, join(this.workDir, `logs/${name}.log`));
    await waitFor(`replica ${name} to be ready`, async () => (await fetch(`http://${HOST}:${apiPort}/readyz`)).ok, 30000);
    const replica = { name, apiPort, xdsPort, process: process_ };
    this.replicas.push(replica);
    return replica;
  }

  /** Node ids of the Envoys connected to a replica. */
  async proxiesOn(replica: Replica): Promise<string[]> {
    const res = await fetch(`http://${HOST}:${replica.apiPort}/v1/proxies`);
    const body = (await res.json()) as any;
    const list: any[] = Array.isArray(body) ? body : (body.proxies ?? body.items ?? []);
    return list.map((p) => p.id).sort();
  }

  /** The bootstrap's xDS cluster lists every replica: Envoy fails over to the next one. */
  private async startEnvoy(kind: 'sidecar' | 'ingress', name: string, vars: Record<string, string | number>, replicas = this.replicas): Promise<Managed> {
    const [first, ...rest] = replicas;
    if (!first) throw new Error('start a replica before any Envoy');
    let text = renderBootstrap(kind, { ...vars, XDS_HOST: HOST, XDS_PORT: first.xdsPort, LISTENER_ADDRESS: HOST });
    const endpoint = /( *)- endpoint:\n\s*address:\n\s*socket_address: \{ address: [^,]+, port_value: \d+ \}\n/;
    const block = text.match(endpoint)![0];
    text = text.replace(block, [block, ...rest.map((r) => block.replace(/port_value: \d+/, `port_value: ${r.xdsPort}`))].join(''));
    const file = join(this.workDir, `${name}.envoy.yaml`);
    writeFileSync(file, text);
    const envoy = startProcess(name, process.env.LANEWAY_ENVOY_BIN ?? 'envoy', ['-c', file, '--disable-hot-restart', '--concurrency', '1', '-l', 'warn'], join(this.workDir, `logs/${name}.envoy.log`));
    await waitFor(`envoy ${name} to be live`, async () => (await (await fetch(`http://${HOST}:${vars.ADMIN_PORT}/ready`)).text()).trim() === 'LIVE', 60000);
    return envoy;
  }

  async startIngress(): Promise<void> {
    const port = await freePort(HOST);
    const adminPort = await freePort(HOST);
    this.ingress = { port, adminPort, envoy: await this.startEnvoy('ingress', 'ingress', { NODE_ID: 'ingress', LISTENER_PORT: port, ADMIN_PORT: adminPort }) };
  }

  /** An ingress Envoy using only `replica`, for comparing what replicas serve. */
  async startProbeIngress(name: string, replica: Replica, listenerPort: number): Promise<{ adminPort: number; envoy: Managed }> {
    const adminPort = await freePort(HOST);
    const vars = { NODE_ID: name, LISTENER_PORT: listenerPort, ADMIN_PORT: adminPort };
    return { adminPort, envoy: await this.startEnvoy('ingress', name, vars, [replica]) };
  }

  get adminPorts(): number[] {
    return [this.ingress.adminPort, ...this.pods.map((p) => p.adminPort)];
  }

  async stop(): Promise<void> {
    const envoys = [...this.pods.map((p) => p.envoy), ...(this.ingress ? [this.ingress.envoy] : [])];
    await Promise.all([...envoys.map((e) => e.stop()), ...this.pods.map((p) => p.app.close())]);
    await Promise.all(this.replicas.map((r) => r.process.stop()));
  }
}

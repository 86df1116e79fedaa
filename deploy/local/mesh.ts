// Runs the demo mesh as local processes: the control plane, real Envoys (ingress + one sidecar per
// instance) and the demo services, wired by the control plane's REST API.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { propagatedHeaders, startDemoService, type DemoDrop, type DemoService } from '../demo/service.js';
import { DEMO_LANES, DEMO_SERVICES, demoSpec, ENTRY_SERVICE, grpcCallees, SERVICE_PORT } from '../demo/topology.js';
import { renderBootstrap, type BootstrapKind } from '../../control-plane/src/envoy/bootstrap.js';
import { freePort, startProcess, waitFor, type Managed } from './processes.js';

const HOST = '127.0.0.1';
const MAIN = fileURLToPath(new URL('../../control-plane/src/main.ts', import.meta.url));

export interface MeshOptions {
  workDir: string;
  /** 'fixed' gives the documented ports (npm run mesh); 'free' picks free ones (tests). */
  ports: 'fixed' | 'free';
  envoyBin?: string;
  envoyLogLevel?: string;
  laneHeader?: string;
  /** settings.ingressDomain: "<lane>.<domain>" enters a lane at the ingress. */
  ingressDomain?: string;
  /** settings.hopRecords: proxies stream hop records to the control plane (laneway doctor). */
  hopRecords?: boolean;
  /** A compiled main.js run with plain node, as production runs (the soak); default: the source through tsx. */
  controlPlaneMain?: string;
  /** Node options before the control plane's main (the soak preloads its GC probe). */
  controlPlaneNodeArgs?: string[];
  /** Extra environment for the control plane. */
  controlPlaneEnv?: Record<string, string>;
  /**
   * Envoy's --drain-time-s: how long connections opened before a listener update keep its old
   * config (Envoy's default 600 s, closed gradually). A test that needs a listener change to reach
   * an app's kept-alive connection sets it short.
   */
  envoyDrainSeconds?: number;
}

export interface Instance {
  service: string;
  lane: string;
  appPort: number;
  sidecarPort: number;
  adminPort: number;
  app: DemoService;
  envoy: Managed;
  /** What the app fails to forward, when it is the demo's broken service. */
  drop?: DemoDrop;
}

let fixedNext = 0;
async function port(mode: MeshOptions['ports'], fixed: number): Promise<number> {
  return mode === 'fixed' ? fixed : freePort(HOST);
}

export class LocalMesh {
  readonly instances: Instance[] = [];
  controlPlane!: Managed;
  ingress!: { port: number; adminPort: number; envoy: Managed };
  apiPort = 0;
  xdsPort = 0;

  constructor(readonly opts: MeshOptions) {
    mkdirSync(join(opts.workDir, 'logs'), { recursive: true });
  }

  get apiUrl(): string {
    return `http://${HOST}:${this.apiPort}`;
  }

  get ingressUrl(): string {
    return `http://${HOST}:${this.ingress.port}`;
  }

  async startControlPlane(): Promise<void> {
    if (!this.apiPort) {
      this.apiPort = await port(this.opts.ports, 8080);
      this.xdsPort = await port(this.opts.ports, 18000);
    }
    const main = this.opts.controlPlaneMain ? [this.opts.controlPlaneMain] : ['--import', 'tsx', MAIN];
    const args = [...(this.opts.controlPlaneNodeArgs ?? []), ...main, '--api-port', String(this.apiPort), '--xds-port', String(this.xdsPort)];
    args.push('--host', HOST, '--data-dir', join(this.opts.workDir, 'data'));
    const env = this.opts.controlPlaneEnv && { ...process.env, ...this.opts.controlPlaneEnv };
    this.controlPlane = startProcess('control-plane', process.execPath, args, join(this.opts.workDir, 'logs/control-plane.log'), env);
    await waitFor('the control plane to be ready', async () => (await fetch(`${this.apiUrl}/readyz`)).ok, 60000);
  }

  private async startEnvoy(kind: BootstrapKind, name: string, vars: Record<string, string | number>, lane?: string): Promise<Managed> {
    const file = join(this.opts.workDir, `${name}.envoy.yaml`);
    writeFileSync(file, renderBootstrap(kind, { ...vars, XDS_HOST: HOST, XDS_PORT: this.xdsPort, LISTENER_ADDRESS: HOST }));
    const args = ['-c', file, '--disable-hot-restart', '--concurrency', '1', '-l', this.opts.envoyLogLevel ?? 'warn'];
    if (this.opts.envoyDrainSeconds !== undefined) args.push('--drain-time-s', String(this.opts.envoyDrainSeconds));
    // LANEWAY_LANE: the instance's lane, which spans carry as laneway.proxy_lane (translate/tracing.ts).
    const env = lane === undefined ? undefined : { ...process.env, LANEWAY_LANE: lane };
    return startProcess(name, this.opts.envoyBin ?? process.env.LANEWAY_ENVOY_BIN ?? 'envoy', args, join(this.opts.workDir, `logs/${name}.envoy.log`), env);
  }

  /** Starts a demo service instance and its sidecar; returns once the sidecar is live. */
  async addInstance(service: string, lane: string, drop?: DemoDrop): Promise<Instance> {
    const spec = demoSpec(service);
    const n = fixedNext++;
    const appPort = await port(this.opts.ports, 3000 + n);
    const sidecarPort = await port(this.opts.ports, 15000 + n);
    const adminPort = await port(this.opts.ports, 19100 + n);
    const name = `${service}-${lane}`;
    const envoy = await this.startEnvoy('sidecar', name, { NODE_ID: name, SERVICE: service, LANE: lane, LISTENER_PORT: sidecarPort, ADMIN_PORT: adminPort }, lane);
    const instance: Instance = { service, lane, appPort, sidecarPort, adminPort, app: undefined as unknown as DemoService, envoy, ...(drop && { drop }) };
    instance.app = await this.startApp(instance);
    this.instances.push(instance);
    await waitForEnvoyLive(adminPort, name);
    return instance;
  }

  private startApp(instance: Pick<Instance, 'service' | 'lane' | 'appPort' | 'sidecarPort' | 'drop'>): Promise<DemoService> {
    const spec = demoSpec(instance.service);
    return startDemoService({
      service: spec.name, lane: instance.lane, host: HOST, port: instance.appPort, protocol: spec.protocol,
      calls: spec.calls, grpcCallees: grpcCallees(spec),
      sidecarUrl: `http://${HOST}:${instance.sidecarPort}`, propagate: propagatedHeaders(this.opts.laneHeader ?? 'x-lane', instance.drop),
    });
  }

  /** Stops an instance's app (its port then refuses connections); its sidecar keeps running. */
  async stopApp(instance: Instance): Promise<void> {
    await instance.app.close();
  }

  /** Starts an instance's app again on the same port; `as` restarts it broken (drop) or fixed (no drop). */
  async restartApp(instance: Instance, as?: { drop?: DemoDrop }): Promise<void> {
    if (as?.drop) instance.drop = as.drop;
    else if (as) delete instance.drop;
    instance.app = await this.startApp(instance);
  }

  /** Starts the ingress; again after its Envoy stopped, on the same ports. */
  async startIngress(): Promise<void> {
    const listenPort = this.ingress?.port ?? (await port(this.opts.ports, 10000));
    const adminPort = this.ingress?.adminPort ?? (await port(this.opts.ports, 19000));
    const envoy = await this.startEnvoy('ingress', 'ingress', { NODE_ID: 'ingress', LISTENER_PORT: listenPort, ADMIN_PORT: adminPort });
    this.ingress = { port: listenPort, adminPort, envoy };
    await waitForEnvoyLive(adminPort, 'ingress');
  }

  async api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.apiUrl}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  endpointsOf(service: string, lane: string): string[] {
    return this.instances.filter((i) => i.service === service && i.lane === lane).map((i) => `${HOST}:${i.appPort}`);
  }

  private demoSettings(): MeshState['settings'] {
    const { laneHeader = 'x-lane', ingressDomain, hopRecords } = this.opts;
    return { laneHeader, servedByHeader: 'x-lane-served-by', entryService: ENTRY_SERVICE, ...(ingressDomain && { ingressDomain }), ...(hopRecords && { hopRecords }) };
  }

  /** Defines the demo services, settings and lanes through the REST API. */
  async applyDemoDefinitions(): Promise<void> {
    for (const spec of DEMO_SERVICES) {
      await this.expectOk(await this.api('PUT', `/v1/services/${spec.name}`, { protocol: spec.protocol, port: SERVICE_PORT, endpoints: this.endpointsOf(spec.name, 'stable') }));
    }
    await this.expectOk(await this.api('PUT', '/v1/settings', this.demoSettings()));
    for (const lane of DEMO_LANES) {
      const services = Object.fromEntries(lane.services.map((s) => [s, this.endpointsOf(s, lane.name)]));
      await this.expectOk(await this.api('PUT', `/v1/lanes/${lane.name}`, { services, description: 'demo lane' }));
    }
  }

  private async expectOk(res: { status: number; body: unknown }): Promise<void> {
    if (res.status >= 300) throw new Error(`control plane answered ${res.status}: ${JSON.stringify(res.body)}`);
  }

  /** Everything, in order: control plane, stable and lane instances, ingress, definitions. */
  async startDemo(): Promise<void> {
    await this.startControlPlane();
    for (const spec of DEMO_SERVICES) await this.addInstance(spec.name, 'stable');
    for (const lane of DEMO_LANES) for (const s of lane.services) await this.addInstance(s, lane.name);
    await this.applyDemoDefinitions();
    await this.startIngress();
  }

  async stop(): Promise<void> {
    const envoys = [...this.instances.map((i) => i.envoy), ...(this.ingress ? [this.ingress.envoy] : [])];
    await Promise.all([...envoys.map((e) => e.stop()), ...this.instances.map((i) => i.app.close())]);
    if (this.controlPlane) await this.controlPlane.stop();
  }
}

async function waitForEnvoyLive(adminPort: number, name: string): Promise<void> {
  await waitFor(`envoy ${name} to be live`, async () => {
    const res = await fetch(`http://${HOST}:${adminPort}/ready`);
    return res.ok && (await res.text()).trim() === 'LIVE';
    // Generous: on a loaded 2-core machine (the test suite runs files in parallel) an Envoy's first
    // start-up and initial xDS fetch took over 20 s once.
  }, 60000);
}

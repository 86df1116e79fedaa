// The soak's mesh: the local mesh (deploy/local) with the control plane from dist/, stable and pool
// instances of the demo chain, a steady lane, and the disruptions the soak causes (control-plane
// restarts by SIGTERM and SIGKILL on the same data directory, an ingress Envoy restart).
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { LocalMesh } from '../../deploy/local/mesh.js';
import { SERVICE_PORT, demoSpec } from '../../deploy/demo/topology.js';
import { waitForAnswer } from '../../deploy/local/client.js';
import { CHAIN, POOL, STEADY_DEF, STEADY_LANE, expectedPath } from './soak-lanes.js';
import type { Proxy } from './soak-versions.js';

const GC_PROBE = resolve(import.meta.dirname, 'soak-gc-probe.cjs');
export const COMPILED_MAIN = resolve(import.meta.dirname, '../../dist/control-plane/src/main.js');

export interface Restart {
  signal: 'SIGTERM' | 'SIGKILL';
  /** How the old process ended: "exit 0", or "SIGKILL". */
  ended: string;
  start: number;
  /** When the new control plane answered /readyz. */
  end: number;
}

async function ok(res: Promise<{ status: number; body: unknown }>, what: string): Promise<void> {
  const { status, body } = await res;
  if (status >= 300) throw new Error(`${what}: control plane answered ${status}: ${JSON.stringify(body)}`);
}

export class SoakMesh {
  readonly mesh: LocalMesh;
  /** Where the control plane's GC probe (soak-gc-probe.cjs) appends the heap in use after a full GC. */
  readonly gcFile: string;
  /** Where the GC probe writes a heap snapshot when a file named `take` appears (soak-gc-probe.cjs). */
  readonly snapshotDir: string;

  constructor(workDir: string) {
    if (!existsSync(COMPILED_MAIN)) throw new Error(`${COMPILED_MAIN} is missing: run npm run build first (npm run soak does)`);
    this.gcFile = join(workDir, 'gc-samples.jsonl');
    this.snapshotDir = join(workDir, 'heap-snapshots');
    mkdirSync(this.snapshotDir, { recursive: true });
    this.mesh = new LocalMesh({
      workDir, ports: 'free', controlPlaneMain: COMPILED_MAIN,
      controlPlaneNodeArgs: ['--expose-gc', '--require', GC_PROBE], controlPlaneEnv: { LANEWAY_SOAK_GC_FILE: this.gcFile, LANEWAY_SOAK_SNAPSHOT_DIR: this.snapshotDir },
    });
  }

  /** Control plane, stable and pool instances with sidecars, services, settings, the steady lane, the ingress. */
  async start(): Promise<void> {
    const m = this.mesh;
    await m.startControlPlane();
    for (const service of CHAIN) await m.addInstance(service, 'stable');
    for (const instance of POOL) {
      const [service, lane] = instance.split('/') as [string, string];
      await m.addInstance(service, lane);
    }
    for (const service of CHAIN) {
      await ok(m.api('PUT', `/v1/services/${service}`, { protocol: demoSpec(service).protocol, port: SERVICE_PORT, endpoints: m.endpointsOf(service, 'stable') }), `service ${service}`);
    }
    await ok(m.api('PUT', '/v1/settings', { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'frontend' }), 'settings');
    const steady = Object.fromEntries(Object.entries(STEADY_DEF!).map(([s, instance]) => [s, this.endpointsOf(instance)]));
    await ok(m.api('PUT', `/v1/lanes/${STEADY_LANE}`, { services: steady, description: 'soak: never changes' }), 'steady lane');
    await m.startIngress();
    await waitForAnswer(m.ingressUrl, { 'x-lane': STEADY_LANE }, (a) => a.status === 200 && a.path === expectedPath(STEADY_DEF), 30_000);
  }

  /** Endpoints of a pool instance ("orders/pool-a"). */
  endpointsOf(instance: string): string[] {
    const [service, lane] = instance.split('/') as [string, string];
    return this.mesh.endpointsOf(service, lane);
  }

  proxies(): Proxy[] {
    return [{ nodeId: 'ingress', adminPort: this.mesh.ingress.adminPort }, ...this.mesh.instances.map((i) => ({ nodeId: `${i.service}-${i.lane}`, adminPort: i.adminPort }))];
  }

  pid(): number {
    return this.mesh.controlPlane.child.pid!;
  }

  /** Stops the control plane with `signal` and starts it again on the same ports and data directory. */
  async restartControlPlane(signal: Restart['signal']): Promise<Restart> {
    const cp = this.mesh.controlPlane;
    const start = Date.now();
    // SIGTERM: a clean shutdown (it folds its journal); the 10 s grace ends in SIGKILL only if it hangs.
    await (signal === 'SIGTERM' ? cp.stop(10_000) : cp.kill());
    const ended = cp.child.signalCode ?? `exit ${cp.child.exitCode}`;
    await this.mesh.startControlPlane();
    return { signal, ended, start, end: Date.now() };
  }

  /** SIGTERM to the ingress Envoy, and the same bootstrap and ports again; resolves once it is LIVE. */
  async restartIngress(): Promise<{ start: number; end: number }> {
    const start = Date.now();
    await this.mesh.ingress.envoy.stop();
    await this.mesh.startIngress();
    return { start, end: Date.now() };
  }

  stop(): Promise<void> {
    return this.mesh.stop();
  }
}

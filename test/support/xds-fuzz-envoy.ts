// A real Envoy (an ingress) on the xDS fuzzer's server, beside the hostile streams: lanes published
// through the production SnapshotPublisher, two small HTTP apps (stable and lane instance of "web"),
// steady requests through the Envoy, and what it says about itself (connected, NACKs, versions).
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { freePort, startProcess, waitFor, type Managed } from '../../deploy/local/processes.js';
import { meshGet } from '../../deploy/local/client.js';
import { renderBootstrap } from '../../control-plane/src/envoy/bootstrap.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { proxyTargetFromNode, type NodeInfo } from '../../control-plane/src/runtime/node-target.js';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import type { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { TypeUrl } from '../../control-plane/src/xds/type-urls.js';
import { adminJson } from './envoy-admin.js';

const HOST = '127.0.0.1';
export const ENVOY_NODE_ID = 'fuzz-ingress';
/** A lane that exists for the whole run: requests with it must reach the lane instance throughout. */
export const STEADY_LANE = 'steady';

/** An HTTP app that answers every request with its own name. */
async function startNamedApp(name: string): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end(name));
  const port = await freePort(HOST);
  await new Promise<void>((resolve) => server.listen(port, HOST, resolve));
  return { port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** One service "web", entered by the ingress; each lane overrides it with the lane instance. */
export function fuzzMeshState(lanes: readonly string[], stablePort: number, lanePort: number): MeshState {
  const laneEndpoints = [`${HOST}:${lanePort}`];
  return {
    settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by', entryService: 'web' },
    services: { web: { name: 'web', protocol: 'http', port: 8080, endpoints: [`${HOST}:${stablePort}`] } },
    lanes: Object.fromEntries([STEADY_LANE, ...lanes].map((name) => [name, { name, services: { web: laneEndpoints } }])),
  };
}

export interface TrafficTally {
  sent: number;
  /** "x-lane=<lane or none>: <what came back>", one per failed request. */
  failures: string[];
}

export class FuzzEnvoy {
  private publisher: SnapshotPublisher;
  private apps: Array<Awaited<ReturnType<typeof startNamedApp>>> = [];
  private envoy: Managed | undefined;
  private readonly workDir = mkdtempSync(join(tmpdir(), 'laneway-xds-fuzz-'));
  private trafficLoop: Promise<void> | undefined;
  private trafficOn = false;
  readonly traffic: TrafficTally = { sent: 0, failures: [] };
  listenPort = 0;
  adminPort = 0;

  constructor(cache: SnapshotCache) {
    // Warnings and errors (a failed translation) to stderr, where the test run shows them.
    this.publisher = new SnapshotPublisher(cache, pino({ level: 'warn' }, pino.destination(2)));
  }

  /** The group of a node that says it is a Laneway proxy (metadata laneway.kind); undefined for others. */
  groupFor(node: NodeInfo): { group: string } | { error: string } | undefined {
    if (node.metadata['laneway.kind'] === undefined) return undefined;
    const target = proxyTargetFromNode(node);
    return 'error' in target ? target : { group: this.publisher.register(target) };
  }

  publish(lanes: readonly string[]): void {
    this.publisher.publish(fuzzMeshState(lanes, this.apps[0]!.port, this.apps[1]!.port));
  }

  async start(xdsPort: number): Promise<void> {
    this.apps = [await startNamedApp('stable-instance'), await startNamedApp('lane-instance')];
    this.publish([]);
    this.listenPort = await freePort(HOST);
    this.adminPort = await freePort(HOST);
    const file = join(this.workDir, 'ingress.envoy.yaml');
    const vars = { NODE_ID: ENVOY_NODE_ID, LISTENER_PORT: this.listenPort, ADMIN_PORT: this.adminPort, XDS_HOST: HOST, XDS_PORT: xdsPort, LISTENER_ADDRESS: HOST };
    writeFileSync(file, renderBootstrap('ingress', vars));
    const args = ['-c', file, '--disable-hot-restart', '--concurrency', '1', '-l', 'warn'];
    this.envoy = startProcess('fuzz-ingress', process.env.LANEWAY_ENVOY_BIN ?? 'envoy', args, join(this.workDir, 'envoy.log'));
    await waitFor('the fuzz ingress Envoy to route', async () => (await this.route(STEADY_LANE)) === 'web/steady lane-instance', 60_000, 100);
  }

  /** "<served-by header> <body>" of a GET through the Envoy, with x-lane when a lane is given. */
  async route(lane?: string): Promise<string> {
    const answer = await meshGet(`http://${HOST}:${this.listenPort}/`, lane ? { 'x-lane': lane } : {});
    return answer.status === 200 ? `${answer.servedBy} ${answer.path}` : `status ${answer.status}: ${answer.path.slice(0, 200)}`;
  }

  /** Requests without a lane and with the steady lane, one at a time, each checked, until stopTraffic(). */
  startTraffic(): void {
    this.trafficOn = true;
    const expected: Array<[string | undefined, string]> = [[undefined, 'web/stable stable-instance'], [STEADY_LANE, 'web/steady lane-instance']];
    this.trafficLoop = (async () => {
      for (let i = 0; this.trafficOn; i++) {
        const [lane, want] = expected[i % 2]!;
        this.traffic.sent++;
        const got = await this.route(lane).catch((err: Error) => `error ${err.message}`);
        if (got !== want) this.traffic.failures.push(`x-lane=${lane ?? 'none'}: ${got}`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    })();
  }

  async stopTraffic(): Promise<TrafficTally> {
    this.trafficOn = false;
    await this.trafficLoop;
    return this.traffic;
  }

  /** Envoy's control_plane.connected_state (1: its ADS stream is up) and the sum of its *update_rejected counters (NACKs). */
  async health(): Promise<{ connected: number; rejected: number }> {
    const stats = (await adminJson(this.adminPort, '/stats?format=json')).stats as Array<{ name?: string; value?: number }>;
    let connected = -1;
    let rejected = 0;
    for (const s of stats) {
      if (s.name === 'control_plane.connected_state') connected = s.value ?? -1;
      if (s.name?.endsWith('.update_rejected')) rejected += s.value ?? 0;
    }
    return { connected, rejected };
  }

  /** The last version Envoy applied of CDS and LDS (their dumps' version_info), and of each route config, by xDS type. */
  async runningVersions(): Promise<Record<string, string[]>> {
    const dump = await adminJson(this.adminPort, '/config_dump');
    const out: Record<string, string[]> = {};
    for (const config of dump.configs as any[]) {
      if (config['@type'].endsWith('.ClustersConfigDump')) out[TypeUrl.Cluster] = [config.version_info];
      if (config['@type'].endsWith('.ListenersConfigDump')) out[TypeUrl.Listener] = [config.version_info];
      const routes = (config.dynamic_route_configs ?? []) as Array<{ version_info: string }>;
      if (routes.length > 0) out[TypeUrl.RouteConfiguration] = [...new Set(routes.map((r) => r.version_info))].sort();
    }
    return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
  }

  async close(): Promise<void> {
    this.trafficOn = false;
    await this.trafficLoop;
    await this.envoy?.stop();
    await Promise.all(this.apps.map((a) => a.close()));
    rmSync(this.workDir, { recursive: true, force: true });
  }
}

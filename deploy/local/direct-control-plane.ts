// The control plane's xDS half in this process, serving a MeshState given directly rather than one
// written through the REST API. Same node mapping, translator, snapshot cache and ADS server as
// `laneway serve`; only the store and the API (and their validation) are left out. Tests use it for
// model fields the API does not accept yet.
import { pino } from 'pino';
import { proxyTargetFromNode } from '../../control-plane/src/runtime/node-target.js';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { startXdsServer, type RunningXdsServer } from '../../control-plane/src/xds/server.js';

export class DirectControlPlane {
  private constructor(
    private readonly publisher: SnapshotPublisher,
    private readonly xds: RunningXdsServer,
  ) {}

  get xdsPort(): number {
    return this.xds.port;
  }

  static async start(host: string, port: number, state: MeshState): Promise<DirectControlPlane> {
    const logger = pino({ level: process.env.LANEWAY_LOG_LEVEL ?? 'silent' });
    const cache = new SnapshotCache();
    const publisher = new SnapshotPublisher(cache, logger);
    publisher.publish(state);
    const xds = await startXdsServer(
      {
        cache,
        logger,
        groupForNode: (node) => {
          const target = proxyTargetFromNode(node);
          return 'error' in target ? target : { group: publisher.register(target) };
        },
      },
      host,
      port,
    );
    cache.setReady(true);
    return new DirectControlPlane(publisher, xds);
  }

  publish(state: MeshState): void {
    this.publisher.publish(structuredClone(state));
  }

  close(): Promise<void> {
    return this.xds.close();
  }
}

// Wires sources -> model -> translator -> cache -> xDS server, and the REST API beside them.
import type { Logger } from 'pino';
import { buildApi } from '../api/server.js';
import type { MeshState } from '../model/types.js';
import { mergeSources } from '../sources/merge.js';
import { FileStore } from '../sources/store.js';
import { watchYamlDir, type YamlDefinitions } from '../sources/yaml-dir.js';
import { SnapshotCache } from '../xds/cache.js';
import { startXdsServer } from '../xds/server.js';
import type { ControlPlaneConfig } from './config.js';
import { proxyTargetFromNode } from './node-target.js';
import { SnapshotPublisher } from './snapshot-publisher.js';

export interface RunningControlPlane {
  apiPort: number;
  xdsPort: number;
  close(): Promise<void>;
}

export async function startControlPlane(config: ControlPlaneConfig, logger: Logger): Promise<RunningControlPlane> {
  const store = await FileStore.open(config.dataDir);
  const cache = new SnapshotCache();
  const publisher = new SnapshotPublisher(cache, logger);
  let yamlDefs: YamlDefinitions = { services: {}, lanes: {} };
  let current: MeshState = store.state();

  const recompute = (why: string) => {
    const { state, errors } = mergeSources(store.state(), yamlDefs);
    if (errors.length > 0) {
      logger.error({ why, errors }, 'definitions are inconsistent; keeping the last good state');
      return;
    }
    current = state;
    const ms = publisher.publish(state);
    logger.info({ why, ms: Math.round(ms * 100) / 100, lanes: Object.keys(state.lanes).length }, 'snapshots rebuilt');
  };

  const yamlWatch = config.configDir
    ? await watchYamlDir(
        config.configDir,
        (defs) => {
          yamlDefs = defs;
          recompute('config-dir changed');
        },
        (file, message) => logger.error({ file, message }, 'invalid definition file; keeping its last good content'),
      )
    : undefined;
  store.onChange(() => recompute('store changed'));
  recompute('startup');

  const xds = await startXdsServer(
    {
      cache,
      logger,
      groupForNode: (node) => {
        const target = proxyTargetFromNode(node);
        return 'error' in target ? target : { group: publisher.register(target) };
      },
    },
    config.host,
    config.xdsPort,
  );
  const api = buildApi({ store, getState: () => current, ready: () => true, logger });
  await api.listen({ host: config.host, port: config.apiPort });
  const apiPort = (api.server.address() as { port: number }).port;
  cache.setReady(true);
  logger.info({ apiPort, xdsPort: xds.port, host: config.host, dataDir: config.dataDir, configDir: config.configDir }, 'laneway control plane ready');

  return {
    apiPort,
    xdsPort: xds.port,
    async close() {
      cache.setReady(false);
      yamlWatch?.close();
      await api.close();
      await xds.close();
    },
  };
}

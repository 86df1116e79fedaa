// Starts a real xDS server on 127.0.0.1:0 with a log-capturing pino logger, and connects AdsClients.
import { pino } from 'pino';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { startXdsServer, type RunningXdsServer, type XdsServerOptions } from '../../control-plane/src/xds/server.js';
import { AdsClient, type AdsClientNode } from './ads-client.js';

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface TestXds {
  cache: SnapshotCache;
  server: RunningXdsServer;
  logs: LogLine[];
  /** null: the first request carries no node. */
  connect(node?: AdsClientNode | null): AdsClient;
  close(): Promise<void>;
}

export interface TestXdsOptions {
  ready?: boolean;
  /** Default: the group named by metadata.group, else "g". */
  groupForNode?: XdsServerOptions['groupForNode'];
  replicaId?: string;
  maxConcurrentPushes?: number;
  pushTimeoutMs?: number;
}

export async function startTestXds(opts: TestXdsOptions = {}): Promise<TestXds> {
  const cache = new SnapshotCache();
  cache.setReady(opts.ready ?? true);
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logs.push(JSON.parse(line) as LogLine) });
  const server = await startXdsServer(
    {
      cache,
      logger,
      groupForNode: opts.groupForNode ?? ((node) => ({ group: typeof node.metadata.group === 'string' ? node.metadata.group : 'g' })),
      ...(opts.replicaId ? { replicaId: opts.replicaId } : {}),
      ...(opts.maxConcurrentPushes !== undefined ? { maxConcurrentPushes: opts.maxConcurrentPushes } : {}),
      ...(opts.pushTimeoutMs !== undefined ? { pushTimeoutMs: opts.pushTimeoutMs } : {}),
    },
    '127.0.0.1',
    0,
  );
  const clients: AdsClient[] = [];
  return {
    cache,
    server,
    logs,
    connect(node: AdsClientNode | null = { id: 'proxy-1', cluster: 'orders' }) {
      const client = new AdsClient(server.port, node ?? undefined);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) c.close();
      await server.close();
    },
  };
}

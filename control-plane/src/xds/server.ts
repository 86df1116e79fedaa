// Starts and stops the ADS gRPC server.
import { Server, type ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { ConfigWatcher } from './config-watcher.js';
import { listenForXds } from './listen.js';
import { ProxyStatusRegistry } from './proxy-status.js';
import { DEFAULT_PUSH_LIMITER, PushLimiter } from './push-limiter.js';
import { AdsService, adsServiceDefinition } from './ads-service.js';
import { accessLogServiceDefinition, accessLogServiceImplementation, type AccessLogSink } from './access-log-service.js';
import type { GroupForNode } from './stream-core.js';

export { TypeUrl } from './type-urls.js';
export type { NodeInfo, GroupForNode } from './stream-core.js';
export type { ProxyStatus, TypeStatus } from './proxy-status.js';
export { ProxyStatusRegistry, syncState } from './proxy-status.js';

export interface XdsServerOptions {
  /** Snapshots per proxy group (a SnapshotCache). */
  cache: ConfigWatcher;
  /**
   * Maps the node of a stream's first request to a snapshot group; may create the group's snapshot
   * synchronously. Return {error} to refuse the stream with INVALID_ARGUMENT and that message.
   */
  groupForNode: GroupForNode;
  logger: Logger;
  /** Sent as DiscoveryResponse.control_plane.identifier. */
  replicaId?: string;
  /** Change pushes in flight across all streams (0: no cap); default DEFAULT_PUSH_LIMITER. */
  maxConcurrentPushes?: number;
  /** How long an unanswered change push holds its slot. */
  pushTimeoutMs?: number;
  /** TLS for the xDS port (runtime/tls-servers.ts); absent: plain text. */
  credentials?: ServerCredentials;
  /** Where hop records (AccessLogService streams on the same port) go; absent: the service is not offered. */
  accessLogs?: AccessLogSink;
}

export interface RunningXdsServer {
  port: number;
  status: ProxyStatusRegistry;
  pushLimiter: PushLimiter;
  close(): Promise<void>;
}

const MiB = 1024 * 1024;
const SHUTDOWN_GRACE_MS = 1000;

export const XDS_SERVER_CHANNEL_OPTIONS = {
  // Notice proxies that vanished without closing their connection.
  'grpc.keepalive_time_ms': 30_000,
  'grpc.keepalive_timeout_ms': 10_000,
  // A reconnecting Envoy may send thousands of resource names / initial versions in one request.
  'grpc.max_receive_message_length': 64 * MiB,
  // On by default in grpc-js, used by nothing here, and about 0.6 KB of heap per connection.
  'grpc.enable_channelz': 0,
} as const;

function shutdown(server: Server): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, SHUTDOWN_GRACE_MS);
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

export async function startXdsServer(opts: XdsServerOptions, host: string, port: number): Promise<RunningXdsServer> {
  const logger = opts.logger.child({ component: 'xds' });
  const status = new ProxyStatusRegistry();
  let nextStreamId = 1;
  const pushLimiter = new PushLimiter({
    maxConcurrent: opts.maxConcurrentPushes ?? DEFAULT_PUSH_LIMITER.maxConcurrent,
    timeoutMs: opts.pushTimeoutMs ?? DEFAULT_PUSH_LIMITER.timeoutMs,
  });
  const ads = new AdsService(
    (peer) => ({
      streamId: nextStreamId++,
      cache: opts.cache,
      registry: status,
      groupForNode: opts.groupForNode,
      logger,
      peer,
      pushLimiter,
      ...(opts.replicaId ? { replicaId: opts.replicaId } : {}),
    }),
    () => opts.cache.isReady(),
    logger,
  );
  const server = new Server(XDS_SERVER_CHANNEL_OPTIONS);
  server.addService(adsServiceDefinition, ads.implementation());
  if (opts.accessLogs) server.addService(accessLogServiceDefinition, accessLogServiceImplementation(opts.accessLogs));
  const listener = await listenForXds(server, host, port, opts.credentials);
  logger.info({ host, port: listener.port, tls: opts.credentials !== undefined }, 'xDS server listening');

  let closing: Promise<void> | undefined;
  return {
    port: listener.port,
    status,
    pushLimiter,
    close() {
      closing ??= (async () => {
        ads.endAll('control plane shutting down');
        listener.stopAccepting();
        await shutdown(server);
        logger.info('xDS server stopped');
      })();
      return closing;
    },
  };
}

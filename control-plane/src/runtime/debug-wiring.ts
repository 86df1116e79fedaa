// Builds the debugging context from the running control plane's parts: proxy status, sources,
// metrics, and the test-only fault injector (LANEWAY_TEST_FAULTS=1). One call from control-plane.ts.
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { registerDebugRoutes, type DebugContext } from '../api/debug-routes.js';
import { latestStream } from '../debug/proxy-view.js';
import { faultResource, faultsEnabled, FAULTS_ENV, type FaultInjector } from '../debug/faults.js';
import { definitionSources } from '../debug/sources.js';
import type { MeshState } from '../model/types.js';
import type { YamlDefinitions } from '../sources/yaml-dir.js';
import type { ProxyStatusRegistry } from '../xds/proxy-status.js';
import type { PushLimiter } from '../xds/push-limiter.js';
import { xdsMetrics, type PublishMetrics } from './metrics.js';
import type { RegistrationView } from './registrations.js';
import type { SnapshotPublisher } from './snapshot-publisher.js';

export interface DebugWiringOptions {
  status: ProxyStatusRegistry;
  /** The xDS server's push limiter, for its gauges. */
  pushLimiter?: PushLimiter;
  publisher: SnapshotPublisher;
  /** The served (merged) model. */
  getState: () => MeshState;
  /** The store's own model, before merging. */
  storeState: () => MeshState;
  /** The config directory's definitions, before merging. */
  yamlDefinitions?: () => YamlDefinitions;
  configDir?: string;
  logger: Logger;
  /** Default: LANEWAY_REPLICA_ID, else the host name (a pod's name in Kubernetes). */
  replicaId?: string;
  env?: NodeJS.ProcessEnv;
  /** Served on /metrics beside the xDS counters. */
  publishes?: PublishMetrics;
  /** The endpoint a stream registered, shown in the proxy views. */
  registrationOf?: (streamId: number) => RegistrationView | undefined;
}

export interface DebugWiring {
  context: DebugContext;
  /** Registers the debugging routes: pass it in buildApi's plugins. */
  plugin: (app: FastifyInstance) => void;
  close(): void;
}

function faultInjector(status: ProxyStatusRegistry, publisher: SnapshotPublisher, logger: Logger): FaultInjector {
  return {
    inject(nodeId, kind) {
      const proxy = latestStream(status, nodeId);
      if (!proxy || !publisher.setExtraResources(proxy.group, [faultResource(kind)])) return { error: `no proxy with node id "${nodeId}" is connected` };
      logger.warn({ nodeId, group: proxy.group, kind }, 'TEST FAULT injected: the group now has a resource Envoy rejects');
      return { group: proxy.group };
    },
    clear(nodeId) {
      const group = nodeId === undefined ? undefined : latestStream(status, nodeId)?.group;
      const groups = nodeId === undefined ? publisher.groupsWithExtraResources() : group ? [group] : [];
      for (const g of groups) publisher.setExtraResources(g, []);
      if (groups.length > 0) logger.warn({ groups }, 'TEST FAULT removed');
      return groups;
    },
  };
}

export function wireDebugging(opts: DebugWiringOptions): DebugWiring {
  const env = opts.env ?? process.env;
  const metrics = xdsMetrics(opts.status, opts.pushLimiter);
  if (opts.publishes) metrics.registry.registerMetric(opts.publishes.histogram);
  const faults = faultsEnabled(env) ? faultInjector(opts.status, opts.publisher, opts.logger) : undefined;
  if (faults) opts.logger.warn(`${FAULTS_ENV}=1: test fault injection is ON (POST /v1/debug/faults); never set it outside tests`);
  const context: DebugContext = {
    status: opts.status,
    getState: opts.getState,
    sourceOf: definitionSources({
      storeState: opts.storeState,
      ...(opts.yamlDefinitions && { yamlDefinitions: opts.yamlDefinitions }),
      ...(opts.configDir !== undefined && { configDir: opts.configDir }),
    }),
    replicaId: opts.replicaId ?? (env.LANEWAY_REPLICA_ID || hostname()),
    metrics: metrics.registry,
    ...(faults && { faults }),
    ...(opts.registrationOf && { registrationOf: opts.registrationOf }),
  };
  return { context, plugin: (app) => registerDebugRoutes(app, context), close: () => metrics.detach() };
}

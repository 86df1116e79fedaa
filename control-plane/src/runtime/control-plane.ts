// Wires sources -> model -> translator -> cache -> xDS server, and the REST API beside them.
import type { Logger } from 'pino';
import { kubernetesLaneBackend } from '../api/lane-backend-kubernetes.js';
import { registerDashboard } from '../api/dashboard.js';
import { registerInjectionRoutes } from '../api/injection.js';
import { buildApi, type ApiOptions, type ApiPlugin } from '../api/server.js';
import { loadApiTokens, TokenRegistry } from '../api/tokens.js';
import type { MeshState } from '../model/types.js';
import { LaneExpiry } from '../sources/expiry.js';
import { mergeSources } from '../sources/merge.js';
import { registeredEndpoints, withRegistrations } from '../sources/registered.js';
import { registerRegistrationRoutes } from '../api/registrations.js';
import { startKubernetesMode, withKubernetes } from '../sources/kubernetes/index.js';
import { KubeLaneWriter } from '../sources/kubernetes/lane-writer.js';
import { loadKubeConfig } from '../sources/kubernetes/watch.js';
import { FileStore } from '../sources/store.js';
import { lockDataDir } from '../sources/data-dir-lock.js';
import { watchYamlDir, type YamlDefinitions } from '../sources/yaml-dir.js';
import { SnapshotCache } from '../xds/cache.js';
import type { AccessLogSink } from '../xds/access-log-service.js';
import { startXdsServer } from '../xds/server.js';
import type { ControlPlaneConfig } from './config.js';
import { proxyTargetFromNode } from './node-target.js';
import { publishMetrics, type PublishMetrics } from './metrics.js';
import { DEFAULT_PUSH_DEBOUNCE, PushDebounce, pushDebounceFromEnv } from './push-debounce.js';
import { DEFAULT_REGISTRATION_GRACE_MS, Registrations } from './registrations.js';
import { SnapshotPublisher } from './snapshot-publisher.js';
import { wireDebugging } from './debug-wiring.js';
import { wirePropagation } from './propagation-wiring.js';
import { startInjection } from './webhook-wiring.js';
import type { TlsFiles } from './tls-files.js';
import { apiTlsOptions, tlsFilesOf, watchApiCertificates, xdsServerCredentials } from './tls-servers.js';

export interface RunningControlPlane {
  apiPort: number;
  xdsPort: number;
  /** The sidecar injection webhook's port once it serves (--webhook-port). */
  webhookPort(): number | undefined;
  close(): Promise<void>;
}

async function loadTokens(config: ControlPlaneConfig, logger: Logger): Promise<TokenRegistry> {
  const tokens = await loadApiTokens(config.tokensFile, config.apiTokens);
  if (tokens.length === 0) {
    logger.warn({ host: config.host }, 'no API tokens configured: the REST API answers only clients on this host (loopback), with admin rights; set --tokens-file or LANEWAY_API_TOKENS to open it to others');
  } else {
    const roles = { admin: tokens.filter((t) => t.role === 'admin').length, viewer: tokens.filter((t) => t.role === 'viewer').length };
    logger.info({ tokens: tokens.length, ...roles }, 'REST API requires a bearer token');
  }
  return new TokenRegistry(tokens);
}

/** The merged definitions (store, config directory, Kubernetes) and registered endpoints, kept current and published, spaced. */
interface Definitions {
  /** What is served: the definitions with the registered endpoints. */
  current(): MeshState;
  /** The definitions alone: what the REST API shows and writes against. */
  defined(): MeshState;
  registrations: Registrations;
  yaml(): YamlDefinitions;
  kube: Awaited<ReturnType<typeof startKubernetesMode>>;
  close(): Promise<void>;
}

// Bursts of writes are coalesced into spaced rebuilds (--push-hold-off-ms / --push-max-delay-ms). A config built
// in code without them still honours the environment, as before they were flags.
function debounceSettings(config: ControlPlaneConfig) {
  return config.pushHoldOffMs === undefined && config.pushMaxDelayMs === undefined
    ? pushDebounceFromEnv(process.env)
    : { holdOffMs: config.pushHoldOffMs ?? DEFAULT_PUSH_DEBOUNCE.holdOffMs, maxDelayMs: config.pushMaxDelayMs ?? DEFAULT_PUSH_DEBOUNCE.maxDelayMs };
}

async function startDefinitions(config: ControlPlaneConfig, logger: Logger, store: FileStore, publisher: SnapshotPublisher, publishes: PublishMetrics): Promise<Definitions> {
  let yamlDefs: YamlDefinitions = { services: {}, lanes: {} };
  let defined: MeshState = store.state();
  let current: MeshState = defined;
  let kube: Awaited<ReturnType<typeof startKubernetesMode>>;
  let reasons = new Set<string>();
  const push = new PushDebounce(debounceSettings(config), () => {
    const ms = publisher.publish(current);
    publishes.observe(ms);
    logger.info({ why: [...reasons].join(', '), ms: Math.round(ms * 100) / 100, lanes: Object.keys(current.lanes).length }, 'snapshots rebuilt');
    reasons = new Set();
  });
  const recompute = (why: string) => {
    const { state, errors } = mergeSources(store.state(), withKubernetes(yamlDefs, kube?.definitions()));
    if (errors.length > 0) {
      logger.error({ why, errors }, 'definitions are inconsistent; keeping the last good state');
      return;
    }
    defined = state;
    const served = withRegistrations(state, registrations.endpoints());
    registrations.setOutcomes(served.outcomes);
    current = served.state;
    reasons.add(why);
    push.trigger();
  };
  const registrations = new Registrations({
    graceMs: config.registrationGraceMs ?? DEFAULT_REGISTRATION_GRACE_MS,
    ...(config.kubernetes && { refusal: 'Kubernetes mode: pods are the registry (a pod labelled with its lane); --register is refused' }),
    logger,
    onChange: () => recompute('registrations changed'),
  });

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
  kube = await startKubernetesMode(config, logger, () => recompute('kubernetes changed'));
  recompute('startup');
  return {
    current: () => current,
    defined: () => defined,
    registrations,
    yaml: () => yamlDefs,
    kube,
    async close() {
      registrations.close();
      push.close();
      yamlWatch?.close();
      await kube?.close();
    },
  };
}

/** The REST API over the definitions (registered endpoints show beside them, never in them). */
function definitionsApi(config: ControlPlaneConfig, definitions: Definitions, opts: Pick<ApiOptions, 'store' | 'logger' | 'tokens' | 'plugins'>, tls: TlsFiles | undefined) {
  const { kube, registrations } = definitions;
  const yamlDefs = definitions.yaml;
  // In Kubernetes mode lanes and services are cluster objects: a store write would reach one replica only.
  const definedElsewhere = (kind: 'services' | 'lanes' | 'settings', name: string) =>
    kind === 'settings' ? yamlDefs().settings !== undefined : kube !== undefined || Object.hasOwn(yamlDefs()[kind], name);
  // ...but lanes are written as Lane objects, which every replica watches.
  const lanes = kube && kubernetesLaneBackend({ writer: new KubeLaneWriter(loadKubeConfig(config.kubeconfig), kube.namespace), laneObject: kube.laneObject, getState: definitions.defined });
  const registered = () => registeredEndpoints(registrations.endpoints(), registrations.outcomes());
  const api = buildApi({ ...opts, getState: definitions.defined, registered, ready: () => true, definedElsewhere, kubernetes: kube !== undefined, ...(lanes && { lanes }), ...(tls && { https: apiTlsOptions(tls) }) });
  if (tls) watchApiCertificates(tls, api.server);
  return api;
}

/** The ADS server: each node's group from its metadata; TLS when the configuration names certificates. */
function startXds(config: ControlPlaneConfig, logger: Logger, cache: SnapshotCache, publisher: SnapshotPublisher, tls: TlsFiles | undefined, accessLogs: AccessLogSink) {
  return startXdsServer(
    {
      cache,
      logger,
      accessLogs,
      ...(tls && { credentials: xdsServerCredentials(tls) }),
      ...(config.maxConcurrentPushes !== undefined ? { maxConcurrentPushes: config.maxConcurrentPushes } : {}),
      groupForNode: (node) => {
        const target = proxyTargetFromNode(node);
        return 'error' in target ? target : { group: publisher.register(target) };
      },
    },
    config.host,
    config.xdsPort,
  );
}

/** One writer per data directory, for as long as this process runs: a second control plane stops here. */
async function openLockedStore(dataDir: string) {
  const lock = await lockDataDir(dataDir);
  const store = await FileStore.open(dataDir).catch((err: Error) => {
    lock.release();
    throw err;
  });
  return { store, lock };
}

export async function startControlPlane(config: ControlPlaneConfig, logger: Logger): Promise<RunningControlPlane> {
  const tokens = await loadTokens(config, logger);
  const { store, lock } = await openLockedStore(config.dataDir);
  // Before the first snapshot: lanes that expired while the control plane was down are never served.
  const expiry = new LaneExpiry({ store, logger });
  await expiry.start();
  const cache = new SnapshotCache();
  const publisher = new SnapshotPublisher(cache, logger);
  const publishes = publishMetrics();
  const definitions = await startDefinitions(config, logger, store, publisher, publishes);
  const { kube, current: getState, yaml: yamlDefs } = definitions;
  const tls = tlsFilesOf(config, logger);
  const propagation = wirePropagation(getState);
  const xds = await startXds(config, logger, cache, publisher, tls, propagation.intake);
  // More REST route groups (e.g. debugging: registerDebugRoutes) are added to this list.
  const { registrations } = definitions;
  const detachRegistrations = registrations.attach(xds.status);
  const registrationOf = (streamId: number) => registrations.forStream(streamId);
  const debug = wireDebugging({ status: xds.status, pushLimiter: xds.pushLimiter, publisher, getState, storeState: () => store.state(), yamlDefinitions: yamlDefs, configDir: config.configDir, logger, publishes, registrationOf });
  propagation.attach(debug.context);
  const apiPlugins: ApiPlugin[] = [debug.plugin, propagation.plugin, (app) => registerDashboard(app, { getState, status: xds.status }), (app) => registerRegistrationRoutes(app, () => registrations.views())];
  const injection = await startInjection(config, logger, kube, debug.context.metrics);
  apiPlugins.push((app) => registerInjectionRoutes(app, { ...(kube && { namespace: kube.namespace }), webhookServing: () => injection.webhookPort() !== undefined, uninjected: injection.uninjected }));
  const api = definitionsApi(config, definitions, { store, logger, tokens, plugins: apiPlugins }, tls);
  await api.listen({ host: config.host, port: config.apiPort });
  const apiPort = (api.server.address() as { port: number }).port;
  cache.setReady(true);
  logger.info({ apiPort, xdsPort: xds.port, webhookPort: injection.webhookPort(), host: config.host, dataDir: config.dataDir, configDir: config.configDir, tls: tls !== undefined, mtls: config.clientCa !== undefined }, 'laneway control plane ready');

  return {
    apiPort,
    xdsPort: xds.port,
    webhookPort: injection.webhookPort,
    async close() {
      cache.setReady(false);
      detachRegistrations();
      expiry.close();
      await injection.close();
      await definitions.close();
      await api.close();
      await xds.close();
      debug.close();
      // Last: nothing above can write any more; folds the journal into state.json.
      await store.close();
      lock.release();
      tls?.close();
    },
  };
}

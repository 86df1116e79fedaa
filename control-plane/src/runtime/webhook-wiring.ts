// Sidecar injection in the running control plane: the HTTPS webhook (--webhook-port) with its
// certificates, and in Kubernetes mode the count of opted-in pods running without the sidecar
// (laneway_pods_uninjected, and a log line per such pod). One call from control-plane.ts.
import { CoreV1Api } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { KubernetesSource } from '../sources/kubernetes/watch.js';
import { loadKubeConfig } from '../sources/kubernetes/watch.js';
import { SharedCaStore } from '../webhook/ca-store.js';
import { injectionMetrics, type InjectionMetrics } from '../webhook/metrics.js';
import { ServingCertificates, type ServingCertSource } from '../webhook/serving-cert.js';
import { startWebhookServer, type RunningWebhook } from '../webhook/server.js';
import { DEFAULT_INJECTION_SETTINGS, type InjectionSettings } from '../webhook/settings.js';
import { uninjectedPods, type UninjectedPod } from '../webhook/uninjected.js';
import type { ControlPlaneConfig } from './config.js';

export const DEFAULT_WEBHOOK_CONFIG = 'laneway-sidecar-injector';
const UNINJECTED_CHECK_MS = 2000;
const NAMESPACE_READ_MS = 60_000;

export interface InjectionWiring {
  /** The webhook's port once it serves; undefined without --webhook-port or while it cannot start. */
  webhookPort(): number | undefined;
  /** Opted-in pods of the watched namespace without the sidecar (Kubernetes mode), sorted. */
  uninjected(): UninjectedPod[];
  close(): Promise<void>;
}

export function injectionSettings(config: ControlPlaneConfig, namespace: string | undefined): InjectionSettings {
  const d = DEFAULT_INJECTION_SETTINGS;
  return {
    proxyImage: config.injectProxyImage ?? d.proxyImage,
    captureImage: config.injectCaptureImage ?? d.captureImage,
    // Pods of other namespaces resolve the control plane's Service only by its qualified name.
    xdsHost: config.injectXdsHost ?? (namespace ? `${d.xdsHost}.${namespace}.svc` : d.xdsHost),
    xdsPort: config.injectXdsPort ?? d.xdsPort,
    proxyCpuRequest: config.injectProxyCpu ?? d.proxyCpuRequest,
    proxyMemoryRequest: config.injectProxyMemory ?? d.proxyMemoryRequest,
    proxyMemoryLimit: config.injectProxyMemoryLimit ?? d.proxyMemoryLimit,
  };
}

function certificateSource(config: ControlPlaneConfig, kube: KubernetesSource | undefined, logger: Logger): ServingCertSource {
  if (config.webhookCert && config.webhookKey) return { kind: 'files', certFile: config.webhookCert, keyFile: config.webhookKey };
  if (!kube) throw new Error('the webhook needs Kubernetes mode or certificate files');
  const ns = kube.namespace;
  const hosts = config.webhookHosts?.split(',').map((h) => h.trim()).filter(Boolean) ?? [`laneway-webhook.${ns}.svc`, `laneway-webhook.${ns}.svc.cluster.local`, '127.0.0.1'];
  const store = new SharedCaStore(loadKubeConfig(config.kubeconfig), ns, logger);
  return { kind: 'managed', store, hosts, configName: config.webhookConfigName ?? DEFAULT_WEBHOOK_CONFIG };
}

/** Recounts the watched namespace's uninjected pods every few seconds; logs each pod once. */
function watchUninjected(config: ControlPlaneConfig, kube: KubernetesSource, metrics: InjectionMetrics, logger: Logger) {
  const core = loadKubeConfig(config.kubeconfig).makeApiClient(CoreV1Api);
  let labels: Record<string, string> = {};
  let labelsReadAt = -Infinity;
  let current: UninjectedPod[] = [];
  let logged = new Set<string>();
  const readLabels = async () => {
    if (Date.now() - labelsReadAt < NAMESPACE_READ_MS) return;
    labelsReadAt = Date.now();
    try {
      labels = (await core.readNamespace({ name: kube.namespace })).metadata?.labels ?? {};
    } catch (err) {
      logger.warn({ namespace: kube.namespace, err: (err as Error).message }, 'cannot read the namespace\'s labels (RBAC: get namespaces); counting only pods that opt in by annotation');
    }
  };
  // The watch holds whole Pod objects; mapping.ts's KubePod types only the fields it reads.
  const compute = () => uninjectedPods(kube.pods() as unknown as Parameters<typeof uninjectedPods>[0], { name: kube.namespace, labels });
  const recount = async () => {
    const first = labelsReadAt === -Infinity;
    await readLabels();
    // Computed when the status writer asks, so a Lane's status follows its pods' events at once.
    if (first) kube.setPodsWithoutSidecar((lane) => compute().filter((p) => p.lane === lane).map((p) => `${p.pod} (${p.reason})`));
    current = compute();
    metrics.uninjected.reset();
    metrics.uninjected.set({ reason: 'webhook-not-called' }, 0);
    for (const p of current) metrics.uninjected.inc({ reason: p.reason });
    const now = new Set(current.map((p) => `${p.pod} ${p.reason}`));
    for (const p of current) if (!logged.has(`${p.pod} ${p.reason}`)) logger.warn({ namespace: kube.namespace, ...p }, `pod runs without the sidecar: ${p.reason}`);
    logged = now;
  };
  let timer: NodeJS.Timeout | undefined = setTimeout(function tick() {
    void recount().catch(() => {}).finally(() => { if (timer) timer = setTimeout(tick, UNINJECTED_CHECK_MS).unref(); });
  }, 0).unref();
  return { list: () => current, close: () => { clearTimeout(timer); timer = undefined; } };
}

const WEBHOOK_RETRY_MS = 30_000;

/**
 * Starts the webhook; when it cannot (no certificate yet: RBAC, API server, files), logs why and
 * retries, so xDS keeps being served meanwhile (failurePolicy Ignore admits pods as they are).
 */
function keepStartingWebhook(start: () => Promise<RunningWebhook>, logger: Logger) {
  let running: RunningWebhook | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const attempt = async (): Promise<void> => {
    try {
      running = await start();
      if (closed) await running.close();
    } catch (err) {
      logger.error({ err: (err as Error).message, retryInMs: WEBHOOK_RETRY_MS }, 'sidecar injection webhook not started; pods are created without the sidecar until it is');
      if (!closed) timer = setTimeout(() => void attempt(), WEBHOOK_RETRY_MS).unref();
    }
  };
  return {
    first: attempt(),
    port: () => running?.port,
    async close() {
      closed = true;
      clearTimeout(timer);
      await running?.close();
    },
  };
}

export async function startInjection(config: ControlPlaneConfig, logger: Logger, kube: KubernetesSource | undefined, registry: Registry | undefined): Promise<InjectionWiring> {
  if (!kube && config.webhookPort === undefined) return { webhookPort: () => undefined, uninjected: () => [], close: async () => {} };
  const log = logger.child({ component: 'injection' });
  const metrics = injectionMetrics();
  registry?.registerMetric(metrics.admissions);
  registry?.registerMetric(metrics.uninjected);
  const watch = kube && watchUninjected(config, kube, metrics, log);
  const webhookPort = config.webhookPort;
  const webhook = webhookPort === undefined ? undefined : keepStartingWebhook(() => {
    const certificates = new ServingCertificates(certificateSource(config, kube, log), log);
    return startWebhookServer({ host: config.host, port: webhookPort, settings: injectionSettings(config, kube?.namespace), certificates, metrics, logger: log });
  }, log);
  await webhook?.first;
  return {
    webhookPort: () => webhook?.port(),
    uninjected: () => watch?.list() ?? [],
    async close() {
      watch?.close();
      await webhook?.close();
    },
  };
}

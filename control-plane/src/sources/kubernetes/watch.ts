// Informers on Services, Pods, Deployments and Lanes in one namespace, mapped to the model on every change.
// A dropped watch resumes from its last resourceVersion (the informer relists on 410 Gone and
// diffs, so unchanged objects cause no change); the model is never emptied while disconnected.
import { existsSync, readFileSync } from 'node:fs';
import { CoreV1Api, CustomObjectsApi, KubeConfig, makeInformer, type Informer, type KubernetesObject, type ObjectCache, type V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LANE_GROUP, LANE_PLURAL, LANE_VERSION, laneExpiry, mapKubeObjects, type KubeDefinitions, type KubeLane, type KubePod, type KubeService } from './mapping.js';
import type { KubeDeployment } from './fork-deployment.js';
import { ForkReconciler } from './forks.js';
import { LaneStatusWriter } from './status.js';

const SA_NAMESPACE = '/var/run/secrets/kubernetes.io/serviceaccount/namespace';
const RETRY_MS = 1000;

export interface KubernetesSourceOptions {
  /** Kubeconfig file; absent: $KUBECONFIG / ~/.kube/config, or the in-cluster service account. */
  kubeconfig?: string;
  /** Namespace watched; absent: the pod's own (in cluster), the context's, or "default". */
  namespace?: string;
  logger: Logger;
  onChange(defs: KubeDefinitions): void;
}

export interface KubernetesSource {
  namespace: string;
  definitions(): KubeDefinitions;
  /** The Lane object as the watch last saw it (with its metadata.resourceVersion). */
  laneObject(name: string): KubeLane | undefined;
  /** The namespace's pods as the watch last saw them (the webhook counts uninjected ones). */
  pods(): KubePod[];
  /** The namespace's Deployments (apps/v1) as the watch last saw them, as the API server sends them (no client-side model). */
  deployments(): KubeDeployment[];
  /** Each Lane's status names its pods that `list(lane)` gives ("pod (reason)"): opted in, running without the sidecar. */
  setPodsWithoutSidecar(list: (lane: string) => string[]): void;
  close(): Promise<void>;
}

export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  return kc;
}

function namespaceOf(kc: KubeConfig, explicit: string | undefined): string {
  if (explicit) return explicit;
  if (existsSync(SA_NAMESPACE) && kc.getCurrentContext() === 'inClusterContext') return readFileSync(SA_NAMESPACE, 'utf8').trim();
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

type Cache<T extends KubernetesObject> = Informer<T> & ObjectCache<T>;

type Informers = Record<'services' | 'pods' | 'deployments' | 'lanes', Cache<KubernetesObject>>;

/** The namespace's four informers (not started), and a promise that resolves once each has listed. */
function makeInformers(kc: KubeConfig, namespace: string, logger: Logger): { informers: Informers; firstSync: Promise<void> } {
  const core = kc.makeApiClient(CoreV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const base = `/api/v1/namespaces/${namespace}`;
  const lanePath = `/apis/${LANE_GROUP}/${LANE_VERSION}/namespaces/${namespace}/${LANE_PLURAL}`;
  const listed = new Set<string>();
  let allListed: () => void = () => {};
  const firstSync = new Promise<void>((resolve) => (allListed = resolve));
  // The informer fills its cache right after the list resolves; count it listed a turn later.
  const listing = <T>(kind: string, list: () => Promise<T>) => async () => {
    const result = await list();
    // After the first list, the informer lists again only when its resourceVersion expired (410).
    if (listed.has(kind)) logger.info({ kind, namespace }, 'kubernetes watch expired (410 Gone): relisted');
    setImmediate(() => {
      listed.add(kind);
      if (listed.size === 4) allListed();
    });
    return result;
  };
  const informers = {
    services: makeInformer(kc, `${base}/services`, listing('services', () => core.listNamespacedService({ namespace }))) as Cache<KubernetesObject>,
    pods: makeInformer(kc, `${base}/pods`, listing('pods', () => core.listNamespacedPod({ namespace }))) as Cache<KubernetesObject>,
    // Listed as raw JSON (like Lanes): forks copy pod templates, which must not pass through the client's typed model.
    deployments: makeInformer(kc, `/apis/apps/v1/namespaces/${namespace}/deployments`, listing('deployments', () => custom.listNamespacedCustomObject({ group: 'apps', version: 'v1', namespace, plural: 'deployments' }))) as Cache<KubernetesObject>,
    lanes: makeInformer(kc, lanePath, listing('lanes', () => custom.listNamespacedCustomObject({ group: LANE_GROUP, version: LANE_VERSION, namespace, plural: LANE_PLURAL }))) as Cache<KubernetesObject>,
  };
  return { informers, firstSync };
}

/** Starts the informers, calling `remap` on every event. */
function runInformers(informers: Informers, remap: () => void, logger: Logger, namespace: string, closed: () => boolean): void {
  for (const [kind, informer] of Object.entries(informers)) {
    informer.on('add', remap);
    informer.on('update', remap);
    informer.on('delete', remap);
    // The informer stops on any error but 410 (list or watch); restart it, resuming from its resourceVersion.
    informer.on('error', (err: unknown) => {
      if (closed()) return;
      logger.warn({ kind, namespace, err: (err as Error)?.message ?? String(err) }, 'kubernetes watch failed; retrying');
      setTimeout(() => { if (!closed()) void informer.start().catch(() => {}); }, RETRY_MS).unref();
    });
    void informer.start().catch(() => {});
  }
}

/** The Lease holder's writers: Lane status, then the fork reconciler, serialized. */
function leaderWriters(kc: KubeConfig, namespace: string, logger: Logger, informers: Informers, defs: () => KubeDefinitions, podsWithoutSidecar: () => ((lane: string) => string[]) | undefined): LaneStatusWriter {
  const lanes = () => informers.lanes.list() as KubeLane[];
  const deployments = () => informers.deployments.list() as KubeDeployment[];
  const status = new LaneStatusWriter(kc, namespace, logger, () => {
    const pods = podsWithoutSidecar();
    return { lanes: lanes(), defs: defs(), deployments: deployments(), pods: informers.pods.list() as V1Pod[], ...(pods && { podsWithoutSidecar: pods }) };
  });
  const forks = new ForkReconciler(kc, namespace, logger.child({ component: 'forks' }), () => ({ lanes: lanes(), deployments: deployments(), services: informers.services.list() as KubeService[] }));
  status.whileLeading(() => forks.reconcile());
  return status;
}

/** Starts the informers; resolves once each has listed, so the first model is complete. */
export async function startKubernetesSource(opts: KubernetesSourceOptions): Promise<KubernetesSource> {
  const kc = loadKubeConfig(opts.kubeconfig);
  const namespace = namespaceOf(kc, opts.namespace);
  const { informers, firstSync } = makeInformers(kc, namespace, opts.logger);
  let closed = false;
  let synced = false;
  let current: KubeDefinitions = { services: {}, lanes: {}, errors: [] };
  let lastKey = '';
  let expiryTimer: NodeJS.Timeout | undefined;
  let podsWithoutSidecar: ((lane: string) => string[]) | undefined;
  const status = leaderWriters(kc, namespace, opts.logger, informers, () => current, () => podsWithoutSidecar);
  // A lane leaves the model when it expires, with no event to say so: remap at the next expiry.
  const scheduleExpiry = (lanes: KubeLane[]) => {
    clearTimeout(expiryTimer);
    const next = Math.min(...lanes.map((l) => Date.parse(laneExpiry(l) ?? '')).filter((t) => t > Date.now()));
    if (Number.isFinite(next)) expiryTimer = setTimeout(() => remap(), Math.min(next - Date.now() + 10, 2 ** 31 - 1)).unref();
  };
  const remap = () => {
    if (!synced) return;
    const lanes = informers.lanes.list() as KubeLane[];
    const next = mapKubeObjects({ services: informers.services.list() as KubeService[], pods: informers.pods.list() as KubePod[], lanes }, namespace);
    scheduleExpiry(lanes);
    // Pod status heartbeats and other unrelated updates map to the same model: no push.
    const key = JSON.stringify(next);
    if (key !== lastKey) {
      lastKey = key;
      current = next;
      if (next.errors.length > 0) opts.logger.warn({ errors: next.errors }, 'some Kubernetes objects are not served');
      opts.onChange(next);
    }
    // Also when only a Lane's status changed (e.g. edited by hand): the leader puts it back.
    status.sync();
  };

  runInformers(informers, remap, opts.logger, namespace, () => closed);
  await firstSync;
  synced = true;
  remap();
  status.start();
  opts.logger.info({ namespace, services: Object.keys(current.services).length, lanes: Object.keys(current.lanes).length }, 'kubernetes source synced');

  return {
    namespace,
    definitions: () => current,
    laneObject: (name) => informers.lanes.get(name, namespace) as KubeLane | undefined,
    pods: () => informers.pods.list() as KubePod[],
    deployments: () => informers.deployments.list() as KubeDeployment[],
    setPodsWithoutSidecar(list) { podsWithoutSidecar = list; status.sync(); },
    async close() {
      closed = true;
      clearTimeout(expiryTimer);
      status.close();
      await Promise.all(Object.values(informers).map((i) => i.stop()));
    },
  };
}

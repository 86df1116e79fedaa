// Kubernetes objects -> model: pure, so the mapping is unit-tested without a cluster.
//
//   Service `orders` in the watched namespace       -> service "orders" (other namespaces: ignored;
//                                                      model names are DNS labels, so no "orders.ns"),
//                                                      with its namespace and ClusterIPs (capture
//                                                      routes orders.ns.svc... and <clusterIP>:<port>)
//   ready Pod with an IP selected by the Service    -> endpoint "<podIP>:<targetPort>"
//   ...labelled laneway.dev/lane=<lane>             -> endpoint of lane <lane>, never of stable
//      (a lane pod is matched with its labels plus those in its laneway.dev/selector-labels
//      annotation: a fork's pods carry the stable selector labels there, not as labels)
//   Lane custom resource `<lane>`                   -> lane <lane> (fallback, owner, expiry, ...);
//                                                      not once deleted (while its finalizer waits)
import type { FieldError } from '../../model/errors.js';
import { parseDuration } from '../../model/duration.js';
import type { Lane, LaneFork, Protocol, Service } from '../../model/types.js';
import { STABLE } from '../../model/types.js';
import { validateLane, validateService } from '../../model/validate.js';

export const LANE_LABEL = 'laneway.dev/lane';
/** Where Lane objects are (deploy/kubernetes/crd.yaml): /apis/<group>/<version>/namespaces/<ns>/<plural>. */
export const LANE_GROUP = 'laneway.dev';
export const LANE_VERSION = 'v1alpha1';
export const LANE_PLURAL = 'lanes';
/** A Service with this label set to "true" is not part of the mesh (e.g. the control plane's own). */
export const EXCLUDE_LABEL = 'laneway.dev/exclude';

export interface KubeMeta {
  name?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  creationTimestamp?: Date | string;
  deletionTimestamp?: Date | string;
  resourceVersion?: string;
  finalizers?: string[];
  ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }>;
  generation?: number;
}

export interface KubeServicePort {
  name?: string;
  port: number;
  targetPort?: number | string;
  appProtocol?: string;
  protocol?: string;
}

export interface KubeService {
  metadata?: KubeMeta;
  spec?: { selector?: Record<string, string>; ports?: KubeServicePort[]; clusterIP?: string; clusterIPs?: string[] };
}

export interface KubePod {
  metadata?: KubeMeta;
  spec?: { containers?: Array<{ ports?: Array<{ name?: string; containerPort: number }> }> };
  status?: { phase?: string; podIP?: string; conditions?: Array<{ type: string; status: string }> };
}

export interface LaneSpec {
  fallback?: string;
  ttl?: string;
  expiresAt?: string;
  owner?: string;
  description?: string;
  fallbackOnUnhealthy?: boolean;
  /** Stable Deployments copied into the lane (model/forks.ts); kept by forks.ts. */
  forks?: LaneFork[];
}

export interface LaneCondition { type: string; status: 'True' | 'False' | 'Unknown'; reason: string; message: string; lastTransitionTime?: string }

/** What the status writer (status.ts) puts on a Lane. */
export interface LaneStatus {
  /** The Lane's metadata.generation this status describes (absent when written by an older Laneway). */
  observedGeneration?: number;
  services: string[];
  servicesSummary: string;
  expiresAt?: string;
  message?: string;
  conditions: LaneCondition[];
  /** One per spec.forks entry, in its order; absent when the lane has no forks. */
  forks?: ForkStatus[];
  /** "1/2 ready", for `kubectl get lanes`; absent when the lane has no forks. */
  forksSummary?: string;
}

export type ForkReason = 'Ready' | 'WorkloadNotFound' | 'Pending' | 'ImagePullError' | 'CrashLoop' | 'QuotaRefused' | 'NotReady';

/** What a Lane's status says about one fork (fork-status.ts). */
export interface ForkStatus {
  /** As in the spec: "Deployment/orders". */
  workload: string;
  /** The fork Deployment's name, once it exists. */
  deployment?: string;
  ready: boolean;
  replicas: number;
  readyReplicas: number;
  /** Container name to the image it runs (the pod's, else the fork Deployment's template). */
  images: Record<string, string>;
  reason: ForkReason;
  message: string;
}

export interface KubeLane {
  metadata?: KubeMeta;
  spec?: LaneSpec;
  /** As found on the object: written by a replica, or by hand. */
  status?: Partial<LaneStatus>;
}

export interface KubeObjects {
  services: KubeService[];
  pods: KubePod[];
  lanes: KubeLane[];
}

export interface KubeDefinitions {
  services: Record<string, Service>;
  lanes: Record<string, Lane>;
  /** Objects that could not be mapped; the rest is served. Path like "kubernetes/default/lanes/x". */
  errors: FieldError[];
}

/** grpc when appProtocol or the port name says so (grpc, grpc-web, kubernetes.io/h2c), else http. */
export function protocolOf(port: KubeServicePort): Protocol {
  const hint = (port.appProtocol ?? port.name ?? '').toLowerCase();
  return /^grpc\b|^grpc-|kubernetes\.io\/h2c|^h2c/.test(hint) ? 'grpc' : 'http';
}

/** The port the mesh uses: the one named/appProtocol'd for http or grpc, else the first TCP port. */
function meshPort(service: KubeService): KubeServicePort | undefined {
  const ports = (service.spec?.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  return ports.find((p) => /^(http|grpc|h2c)/.test((p.appProtocol ?? p.name ?? '').toLowerCase())) ?? ports[0];
}

/** The Service's ClusterIPs; none for a headless Service ("None"). */
function clusterIPsOf(service: KubeService): string[] {
  const spec = service.spec ?? {};
  const ips = spec.clusterIPs ?? (spec.clusterIP === undefined ? [] : [spec.clusterIP]);
  return [...new Set(ips.filter((ip) => ip !== '' && ip !== 'None'))].sort();
}

/** Ready, with an IP, not terminating: the pods the mesh routes to. */
export function isReady(pod: KubePod): boolean {
  if (pod.metadata?.deletionTimestamp || !pod.status?.podIP || pod.status.phase !== 'Running') return false;
  return (pod.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** Where a lane pod (a fork's) keeps the stable selector labels it must not carry (fork-deployment.ts). */
const SELECTOR_LABELS_ANNOTATION = 'laneway.dev/selector-labels';

/** The labels Services are matched against: a lane pod's own plus those its annotation records. */
function selectableLabels(pod: KubePod): Record<string, string> {
  const labels = pod.metadata?.labels ?? {};
  const recorded = labels[LANE_LABEL] === undefined ? undefined : pod.metadata?.annotations?.[SELECTOR_LABELS_ANNOTATION];
  if (recorded === undefined) return labels;
  try {
    const parsed: unknown = JSON.parse(recorded);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return labels;
    const strings = Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string');
    return { ...Object.fromEntries(strings), ...labels };
  } catch {
    return labels;
  }
}

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function targetPortOf(port: KubeServicePort, pod: KubePod): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const c of pod.spec?.containers ?? []) for (const p of c.ports ?? []) if (p.name === target) return p.containerPort;
  return undefined;
}

function endpointOf(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

function isoOf(value: Date | string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** expiresAt wins; else creation time + ttl. */
export function laneExpiry(lane: KubeLane): string | undefined {
  const explicit = isoOf(lane.spec?.expiresAt);
  if (explicit) return explicit;
  const ttl = lane.spec?.ttl === undefined ? undefined : parseDuration(lane.spec.ttl);
  const created = isoOf(lane.metadata?.creationTimestamp);
  return ttl !== undefined && created ? new Date(Date.parse(created) + ttl * 1000).toISOString() : undefined;
}

function sortedRecord<T>(record: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.keys(record).sort().map((k) => [k, record[k]!]));
}

/** Lanes defined by custom resources, without services yet; expired lanes are left out. */
function lanesFrom(objects: KubeLane[], now: number, errors: FieldError[]): Map<string, Omit<Lane, 'services'>> {
  const lanes = new Map<string, Omit<Lane, 'services'>>();
  for (const obj of objects) {
    const name = obj.metadata?.name ?? '';
    const spec = obj.spec ?? {};
    const expiresAt = laneExpiry(obj);
    if (spec.ttl !== undefined && parseDuration(spec.ttl) === undefined) {
      errors.push({ path: `kubernetes/lanes/${name}/spec/ttl`, reason: `"${spec.ttl}" is not a duration such as "2h"` });
      continue;
    }
    if (expiresAt && Date.parse(expiresAt) <= now) continue;
    // Deleted, waiting only for its forks to be removed (finalizer): no longer served.
    if (obj.metadata?.deletionTimestamp) continue;
    lanes.set(name, {
      name,
      ...(spec.fallback !== undefined && spec.fallback !== STABLE && { fallback: spec.fallback }),
      ...(spec.owner !== undefined && { owner: spec.owner }),
      ...(spec.description !== undefined && { description: spec.description }),
      ...(expiresAt !== undefined && { expiresAt }),
      ...(spec.fallbackOnUnhealthy === true && { fallbackOnUnhealthy: true }),
    });
  }
  return lanes;
}

/** A dangling fallback would invalidate the whole state; drop just that lane (and its dependants) and say why. */
function dropDanglingFallbacks(lanes: Record<string, Lane>, errors: FieldError[]): void {
  for (let changed = true; changed; ) {
    changed = false;
    for (const lane of Object.values(lanes)) {
      if (lane.fallback === undefined || lanes[lane.fallback]) continue;
      errors.push({ path: `kubernetes/lanes/${lane.name}/spec/fallback`, reason: `lane "${lane.fallback}" does not exist or is invalid` });
      delete lanes[lane.name];
      changed = true;
    }
  }
}

/** The model for the given objects; deterministic (sorted) so every replica serves the same bytes. */
export function mapKubeObjects(objects: KubeObjects, homeNamespace: string, now = Date.now()): KubeDefinitions {
  const errors: FieldError[] = [];
  const laneDefs = lanesFrom(objects.lanes, now, errors);
  const services: Record<string, Service> = {};
  const laneServices = new Map<string, Record<string, string[]>>();
  const readyPods = objects.pods.filter(isReady);
  const podLabels = new Map(readyPods.map((pod) => [pod, selectableLabels(pod)]));

  for (const svc of objects.services) {
    const selector = svc.spec?.selector;
    const ns = svc.metadata?.namespace ?? homeNamespace;
    const port = meshPort(svc);
    if (ns !== homeNamespace || !selector || Object.keys(selector).length === 0 || !port || svc.metadata?.labels?.[EXCLUDE_LABEL] === 'true') continue;
    const name = svc.metadata?.name ?? '';
    const stable = new Set<string>();
    for (const pod of readyPods) {
      if ((pod.metadata?.namespace ?? homeNamespace) !== ns || !selects(selector, podLabels.get(pod)!)) continue;
      const target = targetPortOf(port, pod);
      if (target === undefined) continue;
      const endpoint = endpointOf(pod.status!.podIP!, target);
      const lane = pod.metadata?.labels?.[LANE_LABEL];
      // A pod of a lane without a Lane resource serves nobody: its code is not stable's.
      if (lane === undefined || lane === STABLE) stable.add(endpoint);
      else if (laneDefs.has(lane)) {
        const overrides = laneServices.get(lane) ?? {};
        (overrides[name] ??= []).push(endpoint);
        laneServices.set(lane, overrides);
      }
    }
    const addresses = clusterIPsOf(svc);
    const service = { name, protocol: protocolOf(port), port: port.port, endpoints: [...stable].sort(), namespace: ns, ...(addresses.length > 0 && { addresses }) };
    const checked = validateService(service, `kubernetes/services/${name}`);
    if (checked.ok) services[name] = checked.value;
    else errors.push(...checked.errors);
  }

  const lanes: Record<string, Lane> = {};
  for (const [name, def] of laneDefs) {
    const overrides = laneServices.get(name) ?? {};
    const svcs = Object.fromEntries(Object.keys(overrides).sort().map((s) => [s, [...new Set(overrides[s])].sort()]));
    const { fallbackOnUnhealthy, ...fields } = def;
    const checked = validateLane({ ...fields, services: svcs }, `kubernetes/lanes/${name}`);
    if (!checked.ok) {
      errors.push(...checked.errors);
      continue;
    }
    lanes[name] = { ...checked.value, ...(fallbackOnUnhealthy && { fallbackOnUnhealthy: true }) };
  }
  dropDanglingFallbacks(lanes, errors);
  return { services: sortedRecord(services), lanes: sortedRecord(lanes), errors };
}

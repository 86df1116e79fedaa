// A lane's fork of a stable Deployment, rendered as the Deployment the reconciler (forks.ts) keeps.
// Pure: the same lane, fork, stable Deployment and Services give the same object, byte for byte.
//
// Traffic isolation: the fork's pods must be the lane's instance of the service for Laneway, yet
// invisible to the stable Service (kube-proxy clients that bypass the mesh) and to the stable
// Deployment's ReplicaSets. So the labels that the stable Deployment's selector and the selectors of
// Services selecting the stable template use are taken off the fork's pod template and recorded in
// the annotation laneway.dev/selector-labels; mapping.ts matches Services against a lane pod's labels
// plus that annotation. The fork selects its own pods by laneway.dev/lane + laneway.dev/fork-of.
import { createHash } from 'node:crypto';
import type { LaneFork } from '../../model/forks.js';
import { workloadName } from '../../model/forks.js';
import { SERVICE_ANNOTATION, serviceOf } from '../../webhook/decision.js';
import { LANE_GROUP, LANE_LABEL, LANE_VERSION, type KubeMeta, type KubeService } from './mapping.js';

export const FORK_OF_LABEL = 'laneway.dev/fork-of';
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';
export const MANAGED_BY = 'laneway';
/** On a fork's pods: the selector labels taken off them, as JSON {key: value}. */
export const SELECTOR_LABELS_ANNOTATION = 'laneway.dev/selector-labels';
/** On a fork Deployment: the hash of what the reconciler rendered, so it writes only on a change. */
export const FORK_HASH_ANNOTATION = 'laneway.dev/fork-hash';
/** On a Lane with forks: deletion waits until the reconciler has deleted them (no garbage collector needed). */
export const FORKS_FINALIZER = 'laneway.dev/forks';
/** Fork names stay short enough that ReplicaSet (+11) and pod (+6) names need no truncation. */
export const MAX_FORK_NAME = 47;

export interface KubeEnvVar { name: string; value?: string; valueFrom?: unknown }
export interface KubeContainer { name: string; image?: string; env?: KubeEnvVar[]; [field: string]: unknown }
export interface KubePodTemplate {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; [field: string]: unknown };
  spec?: { containers?: KubeContainer[]; [field: string]: unknown };
}
export interface KubeLabelSelector { matchLabels?: Record<string, string>; matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> }
export interface KubeDeployment {
  apiVersion?: string;
  kind?: string;
  metadata?: KubeMeta;
  spec?: { replicas?: number; selector?: KubeLabelSelector; template?: KubePodTemplate; [field: string]: unknown };
  status?: Record<string, unknown>;
}

/** The lane a fork belongs to: its name and uid (for the owner reference). */
export interface ForkOwner { name: string; uid: string }

/** "<workload>-<lane>", or when longer than MAX_FORK_NAME a prefix of it and 8 hex digits of its hash. */
export function forkDeploymentName(workload: string, lane: string): string {
  const full = `${workload}-${lane}`;
  if (full.length <= MAX_FORK_NAME) return full;
  const hash = createHash('sha256').update(`${workload}/${lane}`).digest('hex').slice(0, 8);
  return `${full.slice(0, MAX_FORK_NAME - 9).replace(/[-.]+$/, '')}-${hash}`;
}

/** The label set that marks a lane's fork of a stable Deployment, on the fork Deployment and its pods. */
export function forkLabels(lane: string, stableName: string): Record<string, string> {
  return { [LANE_LABEL]: lane, [FORK_OF_LABEL]: stableName, [MANAGED_BY_LABEL]: MANAGED_BY };
}

/** A Deployment the reconciler made for some lane (not a stable workload). */
export function isForkDeployment(deployment: KubeDeployment): boolean {
  const labels = deployment.metadata?.labels ?? {};
  return labels[MANAGED_BY_LABEL] === MANAGED_BY && labels[LANE_LABEL] !== undefined && labels[FORK_OF_LABEL] !== undefined;
}

function selectorKeys(selector: KubeLabelSelector | undefined): string[] {
  return [...Object.keys(selector?.matchLabels ?? {}), ...(selector?.matchExpressions ?? []).map((e) => e.key)];
}

/** The template's labels that select it: the Deployment's selector and every Service's whose selector matches it. Sorted. */
export function selectorLabelsOf(stable: KubeDeployment, services: readonly KubeService[]): Record<string, string> {
  const labels = stable.spec?.template?.metadata?.labels ?? {};
  const keys = new Set(selectorKeys(stable.spec?.selector));
  for (const svc of services) {
    const selector = svc.spec?.selector ?? {};
    const entries = Object.entries(selector);
    if (entries.length > 0 && entries.every(([k, v]) => labels[k] === v)) for (const [k] of entries) keys.add(k);
  }
  return Object.fromEntries([...keys].filter((k) => Object.hasOwn(labels, k)).sort().map((k) => [k, labels[k]!]));
}

function withEnv(env: KubeEnvVar[] | undefined, set: Record<string, string>, remove: readonly string[]): KubeEnvVar[] | undefined {
  const gone = new Set([...remove, ...Object.keys(set)]);
  const kept = (env ?? []).filter((e) => !gone.has(e.name) || Object.hasOwn(set, e.name));
  // A variable set where the template has it keeps its place ($(VAR) references depend on order).
  const placed = new Set<string>();
  const out = kept.flatMap((e) => {
    if (!Object.hasOwn(set, e.name)) return [e];
    if (placed.has(e.name)) return [];
    placed.add(e.name);
    return [{ name: e.name, value: set[e.name]! }];
  });
  for (const [name, value] of Object.entries(set)) if (!placed.has(name)) out.push({ name, value });
  return out.length > 0 ? out : undefined;
}

/** The template's containers with the fork's changes; or why they cannot be applied. */
export function forkedContainers(containers: readonly KubeContainer[], fork: LaneFork): { containers: KubeContainer[] } | { problem: string } {
  const out = containers.map((c) => ({ ...c }));
  for (const change of fork.containers) {
    const index = change.name === undefined ? (out.length === 1 ? 0 : -1) : out.findIndex((c) => c.name === change.name);
    if (index < 0) {
      const names = out.map((c) => c.name).join(', ');
      return { problem: change.name === undefined ? `${fork.workload} has ${out.length} containers (${names}): name the one to change` : `${fork.workload} has no container "${change.name}" (it has: ${names})` };
    }
    const container = out[index]!;
    if (change.image !== undefined) container.image = change.image;
    if (change.env !== undefined || change.removeEnv !== undefined) {
      const env = withEnv(container.env, change.env ?? {}, change.removeEnv ?? []);
      if (env) container.env = env;
      else delete container.env;
    }
  }
  return { containers: out };
}

function podTemplate(stable: KubeDeployment, lane: string, workload: string, moved: Record<string, string>, containers: KubeContainer[]): KubePodTemplate {
  const template = stable.spec?.template ?? {};
  const { labels = {}, annotations = {}, creationTimestamp: _none, ...meta } = template.metadata ?? {};
  const kept = Object.fromEntries(Object.entries(labels).filter(([k]) => !Object.hasOwn(moved, k)));
  // Injection names the sidecar's service from app.kubernetes.io/name or app; if those moved, say it outright.
  const service = annotations[SERVICE_ANNOTATION] ? undefined : serviceOf(template);
  return {
    metadata: {
      ...meta,
      labels: { ...kept, ...forkLabels(lane, workload) },
      annotations: { ...annotations, [SELECTOR_LABELS_ANNOTATION]: JSON.stringify(moved), ...(service && { [SERVICE_ANNOTATION]: service }) },
    },
    spec: { ...template.spec, containers },
  };
}

export interface ForkRenderInput {
  lane: ForkOwner;
  namespace: string;
  fork: LaneFork;
  stable: KubeDeployment;
  /** The namespace's Services: those selecting the stable template must not select the fork. */
  services: readonly KubeService[];
}

/** The fork Deployment (with its hash annotation), or why it cannot be made from this stable Deployment. */
export function renderForkDeployment({ lane, namespace, fork, stable, services }: ForkRenderInput): { deployment: KubeDeployment } | { problem: string } {
  const workload = workloadName(fork.workload);
  if ('problem' in workload) return { problem: workload.problem };
  const forked = forkedContainers(stable.spec?.template?.spec?.containers ?? [], fork);
  if ('problem' in forked) return forked;
  const labels = forkLabels(lane.name, workload.name);
  const deployment: KubeDeployment = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: forkDeploymentName(workload.name, lane.name),
      namespace,
      labels,
      ownerReferences: [{ apiVersion: `${LANE_GROUP}/${LANE_VERSION}`, kind: 'Lane', name: lane.name, uid: lane.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec: {
      replicas: fork.replicas,
      selector: { matchLabels: { [LANE_LABEL]: lane.name, [FORK_OF_LABEL]: workload.name } },
      template: podTemplate(stable, lane.name, workload.name, selectorLabelsOf(stable, services), forked.containers),
    },
  };
  const hash = createHash('sha256').update(JSON.stringify(deployment)).digest('hex').slice(0, 16);
  deployment.metadata!.annotations = { [FORK_HASH_ANNOTATION]: hash };
  return { deployment };
}

// Whether each fork of a lane runs, and why not, from the Deployments and pods the watch sees.
// Pure, so each reason is unit-tested with the objects Kubernetes writes. Fork Deployments and
// their pods are found by labels (lane, fork-of, managed-by), never by name. Only pods whose spec
// runs the images the fork asks for count: after an image change, the previous pods (still
// ready while a rollout runs) do not make the fork Ready.
import type { V1Container, V1ContainerStatus, V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { LaneFork } from '../../model/forks.js';
import { DEFAULT_FORK_REPLICAS, workloadName } from '../../model/forks.js';
import { forkLabels } from './fork-deployment.js';
import { isReady, LANE_LABEL, type ForkReason, type ForkStatus } from './mapping.js';

export type { ForkReason, ForkStatus };


/** Reasons that will not go away by waiting: `laneway lane create --wait` fails at once on them. */
export const TERMINAL_FORK_REASONS: readonly ForkReason[] = ['WorkloadNotFound', 'ImagePullError', 'CrashLoop', 'QuotaRefused'];

/** The part of a fork's spec (Lane spec.forks[]) the status reads; a Lane applied with kubectl may leave out replicas. */
export type ForkSpecInput = Pick<LaneFork, 'workload'> & { replicas?: number; containers?: Array<{ name?: string; image?: string }> };

const PULL_ERRORS = new Set(['ErrImagePull', 'ImagePullBackOff', 'InvalidImageName', 'ErrImageNeverPull']);

function carries(labels: Record<string, string> | undefined, wanted: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels?.[k] === v);
}

const byName = (a: { metadata?: { name?: string } }, b: { metadata?: { name?: string } }) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? '');

/** Container name to the image the fork asks for; a nameless entry means the workload's only container. */
function wantedImages(fork: ForkSpecInput, template: V1Container[]): Record<string, string> {
  const wanted: Record<string, string> = {};
  for (const c of fork.containers ?? []) {
    const name = c.name ?? (template.length === 1 ? template[0]!.name : undefined);
    if (name !== undefined && c.image !== undefined) wanted[name] = c.image;
  }
  return wanted;
}

function runsWanted(pod: V1Pod, wanted: Record<string, string>): boolean {
  const containers = pod.spec?.containers ?? [];
  return Object.entries(wanted).every(([name, image]) => containers.find((c) => c.name === name)?.image === image);
}

/** What runs: the pod's container statuses, else its spec, else the fork Deployment's template; app containers only. */
function imagesOf(pod: V1Pod | undefined, template: V1Container[]): Record<string, string> {
  const names = template.map((c) => c.name);
  const images: Record<string, string> = {};
  for (const c of template) images[c.name] = c.image ?? '';
  if (pod) {
    for (const c of pod.spec?.containers ?? []) if (names.length === 0 || names.includes(c.name)) images[c.name] = c.image ?? '';
    for (const s of pod.status?.containerStatuses ?? []) if (s.image && Object.hasOwn(images, s.name)) images[s.name] = s.image;
  }
  return Object.fromEntries(Object.keys(images).sort().map((k) => [k, images[k]!]));
}

function containerStatuses(pod: V1Pod): V1ContainerStatus[] {
  return [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
}

/** The first pull error or crash loop among the pods, as a reason and a message naming pod, container and image. */
function containerProblem(pods: V1Pod[]): { reason: ForkReason; message: string } | undefined {
  for (const pod of pods) {
    for (const s of containerStatuses(pod)) {
      const waiting = s.state?.waiting;
      if (waiting?.reason && PULL_ERRORS.has(waiting.reason)) {
        const detail = waiting.message ? `: ${waiting.message}` : '';
        return { reason: 'ImagePullError', message: `pod ${pod.metadata?.name} container ${s.name} cannot pull image "${s.image}" (${waiting.reason}${detail})` };
      }
    }
  }
  for (const pod of pods) {
    for (const s of containerStatuses(pod)) {
      if (s.state?.waiting?.reason !== 'CrashLoopBackOff') continue;
      const last = s.lastState?.terminated;
      const exit = last ? `; last exit: ${last.reason ?? 'terminated'}, code ${last.exitCode}` : '';
      return { reason: 'CrashLoop', message: `pod ${pod.metadata?.name} container ${s.name} is crash-looping (restarted ${s.restartCount} times${exit})` };
    }
  }
  return undefined;
}

/** Why a pod is not ready, in a few words: its Ready condition's reason and message, else its phase. */
function notReadyDetail(pod: V1Pod): string {
  if (pod.metadata?.deletionTimestamp) return `${pod.metadata.name} (terminating)`;
  const cond = pod.status?.conditions?.find((c) => c.type === 'Ready' && c.status !== 'True') ?? pod.status?.conditions?.find((c) => c.type === 'PodScheduled' && c.status === 'False');
  const why = cond?.reason ? `${cond.reason}${cond.message ? `: ${cond.message}` : ''}` : `phase ${pod.status?.phase ?? 'unknown'}`;
  return `${pod.metadata?.name} (${why})`;
}

/** Why a fork that has its Deployment is not ready yet. */
function notReadyReason(deployment: V1Deployment, current: V1Pod[], previous: V1Pod[], counts: string): { reason: ForkReason; message: string } {
  const refused = deployment.status?.conditions?.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (refused) return { reason: 'QuotaRefused', message: refused.message ?? `${refused.reason ?? 'ReplicaFailure'}: pods not created` };
  const problem = containerProblem(current);
  if (problem) return problem;
  if (current.length === 0) {
    const rolling = previous.length > 0 ? `; ${previous.length} pod(s) still run the previous image(s): ${previous.map((p) => p.metadata?.name).join(', ')}` : '';
    return { reason: 'Pending', message: `${counts} ready: no pod with the fork's image(s) yet${rolling}` };
  }
  const notReady = current.filter((p) => !isReady(p));
  return { reason: 'NotReady', message: `${counts} ready; not ready: ${notReady.map(notReadyDetail).join(', ')}` };
}

/** The status of one fork. */
function forkStatus(lane: string, fork: ForkSpecInput, stable: readonly V1Deployment[], forkDeployments: readonly V1Deployment[], pods: readonly V1Pod[]): ForkStatus {
  const replicas = fork.replicas ?? DEFAULT_FORK_REPLICAS;
  const base = { workload: fork.workload, ready: false, replicas, readyReplicas: 0, images: {} };
  const named = workloadName(fork.workload);
  const stableName = 'name' in named ? named.name : undefined;
  const original = stable.find((d) => d.metadata?.name === stableName && d.metadata?.labels?.[LANE_LABEL] === undefined);
  if (stableName === undefined || !original) {
    return { ...base, reason: 'WorkloadNotFound', message: stableName === undefined ? `${fork.workload}: only Deployments can be forked ("Deployment/<name>")` : `no Deployment "${stableName}" to fork` };
  }
  const labels = forkLabels(lane, stableName);
  const deployment = forkDeployments.find((d) => carries(d.metadata?.labels, labels));
  if (!deployment) return { ...base, reason: 'Pending', message: 'fork Deployment not created yet' };
  const template = deployment.spec?.template?.spec?.containers ?? [];
  const wanted = wantedImages(fork, template);
  const own = pods.filter((p) => carries(p.metadata?.labels, labels) && !p.metadata?.deletionTimestamp).sort(byName);
  const current = own.filter((p) => runsWanted(p, wanted));
  const readyPods = current.filter(isReady);
  const counts = `${readyPods.length}/${replicas}`;
  const status = { ...base, deployment: deployment.metadata?.name ?? '', readyReplicas: readyPods.length, images: imagesOf(readyPods[0] ?? current[0], template) };
  if (readyPods.length >= replicas) return { ...status, ready: true, reason: 'Ready', message: `${counts} ready` };
  return { ...status, ...notReadyReason(deployment, current, own.filter((p) => !current.includes(p)), counts) };
}

/**
 * Each fork of `lane` in spec order. `stableDeployments`: the namespace's Deployments (fork
 * Deployments among them are ignored as originals); `forkDeployments`: those Laneway manages
 * (found by label); `pods`: the namespace's pods.
 */
export function forkStatuses(lane: string, forks: readonly ForkSpecInput[], stableDeployments: readonly V1Deployment[], forkDeployments: readonly V1Deployment[], pods: readonly V1Pod[]): ForkStatus[] {
  return forks.map((fork) => forkStatus(lane, fork, stableDeployments, forkDeployments, pods));
}

/** "1/2 ready" for `kubectl get lanes`; empty when the lane has no forks. */
export function forksSummary(statuses: readonly ForkStatus[]): string {
  return statuses.length === 0 ? '' : `${statuses.filter((s) => s.ready).length}/${statuses.length} ready`;
}

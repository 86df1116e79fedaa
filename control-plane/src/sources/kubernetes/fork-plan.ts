// What the fork reconciler (forks.ts) must do to make the cluster match the Lanes' forks: pure, from
// the watch's objects and the time. A lane that is active (not expired, not being deleted) gets its
// finalizer and one Deployment per fork, written only when the rendered hash differs; every fork
// Deployment no active lane wants is deleted; a Lane being deleted loses its finalizer once none of
// its forks remain.
import type { FieldError } from '../../model/errors.js';
import { checkLaneForks, workloadName } from '../../model/forks.js';
import {
  FORK_HASH_ANNOTATION,
  FORKS_FINALIZER,
  FORK_OF_LABEL,
  forkDeploymentName,
  isForkDeployment,
  renderForkDeployment,
  type KubeDeployment,
} from './fork-deployment.js';
import { LANE_LABEL, laneExpiry, type KubeLane, type KubeService } from './mapping.js';

export interface ForkObjects {
  lanes: readonly KubeLane[];
  deployments: readonly KubeDeployment[];
  services: readonly KubeService[];
}

export type ForkAction =
  | { kind: 'add-finalizer'; lane: KubeLane }
  | { kind: 'create'; deployment: KubeDeployment }
  | { kind: 'update'; deployment: KubeDeployment; resourceVersion: string }
  | { kind: 'delete'; name: string; lane: string }
  | { kind: 'remove-finalizer'; lane: KubeLane };

export interface ForkPlan {
  /** In order: finalizers, writes, deletes, then finalizer removals. */
  actions: ForkAction[];
  /** Forks that cannot be made now, path like "kubernetes/lanes/pr-42/forks/0" (logged; the lane status says more). */
  problems: FieldError[];
}

function isActive(lane: KubeLane, now: number): boolean {
  const expiresAt = laneExpiry(lane);
  return !lane.metadata?.deletionTimestamp && !(expiresAt !== undefined && Date.parse(expiresAt) <= now);
}

interface LanePlan { wanted: Set<string>; actions: ForkAction[]; problems: FieldError[] }

/** The writes one active lane needs; `wanted` gets the names of its fork Deployments (kept, even when they cannot be updated now). */
function planLane(lane: KubeLane, namespace: string, objects: ForkObjects, byName: ReadonlyMap<string, KubeDeployment>, out: LanePlan): void {
  const name = lane.metadata?.name ?? '';
  const path = `kubernetes/lanes/${name}`;
  const errors: FieldError[] = [];
  // kubectl writes skip the API's validation; a spec the model refuses makes no Deployment.
  const { forks = [] } = checkLaneForks({ forks: lane.spec?.forks ?? [] }, path, errors);
  if (errors.length > 0) {
    // An invalid edit changes nothing: the lane's forks stay as they are until the spec is fixed.
    for (const d of objects.deployments) if (isForkDeployment(d) && d.metadata?.labels?.[LANE_LABEL] === name) out.wanted.add(d.metadata?.name ?? '');
    return void out.problems.push(...errors);
  }
  if (forks.length > 0 && !(lane.metadata?.finalizers ?? []).includes(FORKS_FINALIZER)) out.actions.push({ kind: 'add-finalizer', lane });
  forks.forEach((fork, i) => {
    const at = `${path}/forks/${i}`;
    const parsed = workloadName(fork.workload);
    const workload = 'name' in parsed ? parsed.name : '';
    // A fork that cannot be rendered now (its stable Deployment gone or changed) keeps running as it is.
    const forkName = forkDeploymentName(workload, name);
    out.wanted.add(forkName);
    const stable = byName.get(workload);
    if (!stable || isForkDeployment(stable)) return void out.problems.push({ path: `${at}/workload`, reason: `${fork.workload} does not exist in namespace ${namespace}` });
    const rendered = renderForkDeployment({ lane: { name, uid: lane.metadata?.uid ?? '' }, namespace, fork, stable, services: objects.services });
    if ('problem' in rendered) return void out.problems.push({ path: at, reason: rendered.problem });
    const { deployment } = rendered;
    const existing = byName.get(forkName);
    const labels = existing?.metadata?.labels ?? {};
    if (!existing) return void out.actions.push({ kind: 'create', deployment });
    if (labels[LANE_LABEL] !== name || labels[FORK_OF_LABEL] !== workload) return void out.problems.push({ path: at, reason: `a Deployment named ${forkName} exists and is not this fork; rename or delete it` });
    if (existing.metadata?.annotations?.[FORK_HASH_ANNOTATION] !== deployment.metadata!.annotations![FORK_HASH_ANNOTATION]) {
      out.actions.push({ kind: 'update', deployment, resourceVersion: existing.metadata?.resourceVersion ?? '' });
    }
  });
}

/** The actions that make fork Deployments and Lane finalizers match the Lanes; deterministic (sorted by lane, then fork). */
export function planForks(objects: ForkObjects, namespace: string, now = Date.now()): ForkPlan {
  const byName = new Map(objects.deployments.map((d) => [d.metadata?.name ?? '', d]));
  const lanes = [...objects.lanes].sort((a, b) => ((a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1));
  const plan: LanePlan = { wanted: new Set(), actions: [], problems: [] };
  for (const lane of lanes) if (isActive(lane, now)) planLane(lane, namespace, objects, byName, plan);
  const unwanted = objects.deployments.filter((d) => isForkDeployment(d) && !plan.wanted.has(d.metadata?.name ?? ''));
  const deletes: ForkAction[] = unwanted.map((d) => ({ kind: 'delete' as const, name: d.metadata!.name!, lane: d.metadata!.labels![LANE_LABEL]! })).sort((a, b) => (a.name < b.name ? -1 : 1));
  const remaining = new Set(objects.deployments.filter((d) => isForkDeployment(d) && plan.wanted.has(d.metadata?.name ?? '')).map((d) => d.metadata!.labels![LANE_LABEL]!));
  // A finalizer goes once nothing of the lane remains: being deleted (or expired), or with no forks left.
  const releases: ForkAction[] = lanes
    .filter((l) => (l.metadata?.finalizers ?? []).includes(FORKS_FINALIZER))
    .filter((l) => !remaining.has(l.metadata?.name ?? '') && (!isActive(l, now) || !(l.spec?.forks?.length ?? 0)))
    .map((lane) => ({ kind: 'remove-finalizer', lane }));
  return { actions: [...plan.actions, ...deletes, ...releases], problems: plan.problems };
}

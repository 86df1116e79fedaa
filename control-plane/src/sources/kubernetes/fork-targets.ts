// Write-time checks of a lane's forks against the cluster (the REST API in Kubernetes mode): the
// workload exists, is not itself a fork, and has every container a fork names. Pure over the
// Deployments read; checkForkTargets reads them.
import type { FieldError } from '../../model/errors.js';
import { ValidationError } from '../../model/errors.js';
import { workloadName, type LaneFork } from '../../model/forks.js';
import { FORK_OF_LABEL, forkedContainers, isForkDeployment, type KubeDeployment } from './fork-deployment.js';

/** Why each fork cannot be made from the Deployments found (undefined: no such Deployment). */
export function forkTargetErrors(path: string, namespace: string, forks: readonly LaneFork[], found: ReadonlyMap<string, KubeDeployment | undefined>, checked: ReadonlySet<number>): FieldError[] {
  const errors: FieldError[] = [];
  forks.forEach((fork, i) => {
    const at = `${path}/forks/${i}`;
    const workload = workloadName(fork.workload);
    if (!checked.has(i) || 'problem' in workload) return;
    const deployment = found.get(workload.name);
    if (!deployment) return void errors.push({ path: `${at}/workload`, reason: `Deployment "${workload.name}" does not exist in namespace ${namespace}` });
    if (isForkDeployment(deployment)) return void errors.push({ path: `${at}/workload`, reason: `Deployment "${workload.name}" is a lane's fork; fork its stable workload Deployment/${deployment.metadata?.labels?.[FORK_OF_LABEL]} instead` });
    const containers = deployment.spec?.template?.spec?.containers ?? [];
    fork.containers.forEach((change, j) => {
      const alone = forkedContainers(containers, { ...fork, containers: [change] });
      if ('problem' in alone) errors.push({ path: `${at}/containers/${j}/name`, reason: alone.problem });
    });
  });
  return errors;
}

/** Indexes of the forks that are new or differ from the current spec's (unchanged ones are not re-checked). */
export function changedForks(next: readonly LaneFork[], current: readonly LaneFork[] | undefined): Set<number> {
  const before = new Set((current ?? []).map((f) => JSON.stringify(f)));
  return new Set(next.flatMap((f, i) => (before.has(JSON.stringify(f)) ? [] : [i])));
}

/** Refuses (ValidationError naming each field) forks of Deployments or containers that do not exist. */
export async function checkForkTargets(
  path: string,
  namespace: string,
  forks: readonly LaneFork[] | undefined,
  current: readonly LaneFork[] | undefined,
  read: (name: string) => Promise<KubeDeployment | undefined>,
): Promise<void> {
  if (!forks || forks.length === 0) return;
  const checked = changedForks(forks, current);
  const names = [...new Set(forks.filter((_, i) => checked.has(i)).map((f) => workloadName(f.workload)).flatMap((w) => ('name' in w ? [w.name] : [])))];
  const found = new Map(await Promise.all(names.map(async (name) => [name, await read(name)] as const)));
  const errors = forkTargetErrors(path, namespace, forks, found, checked);
  if (errors.length > 0) throw new ValidationError(errors);
}

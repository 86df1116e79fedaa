// The fork reconciler: keeps one Deployment per lane fork (fork-plan.ts decides, this writes). Run by
// the replica holding the status Lease only (status.ts), serialized after its status writes, on every
// watch event and lease renewal. Deletes are explicit (the Lane's finalizer waits for them), so forks
// go away also where no garbage collector runs; a failed write stops the pass and the next one retries.
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { FORKS_FINALIZER, type KubeDeployment } from './fork-deployment.js';
import { planForks, type ForkAction, type ForkObjects } from './fork-plan.js';
import { LANE_GROUP, LANE_PLURAL, LANE_VERSION, laneExpiry, type KubeLane } from './mapping.js';

function codeOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'number' ? code : undefined;
}

/** Which versions of the objects a plan reads (the watch gives each change a new resourceVersion). */
function inputKey({ lanes, deployments, services }: ForkObjects): string {
  return [lanes, deployments, services].map((list) => list.map((o) => `${o.metadata?.name}@${o.metadata?.resourceVersion}`).join(',')).join('|');
}

/** Whether a lane expired after `since`, up to `now`: its forks must go although no object changed. */
function expiredBetween(lanes: readonly KubeLane[], since: number, now: number): boolean {
  return lanes.some((lane) => {
    const at = Date.parse(laneExpiry(lane) ?? '');
    return at > since && at <= now;
  });
}

export class ForkReconciler {
  private readonly custom: CustomObjectsApi;
  private readonly deployments: { group: string; version: string; namespace: string; plural: string };
  private readonly lanes: { group: string; version: string; namespace: string; plural: string };
  /** Problems already logged, so a lasting one is logged once, not on every pass. */
  private logged = new Set<string>();
  /** The inputs of the last pass that found nothing to do, and when it ran. */
  private quiet?: { key: string; at: number };

  constructor(kc: KubeConfig, private readonly namespace: string, private readonly logger: Logger, private readonly snapshot: () => ForkObjects) {
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.deployments = { group: 'apps', version: 'v1', namespace, plural: 'deployments' };
    this.lanes = { group: LANE_GROUP, version: LANE_VERSION, namespace, plural: LANE_PLURAL };
  }

  /** One pass: plan from the watch's objects, then write in order; throws at the first failed write. */
  async reconcile(now = Date.now()): Promise<void> {
    const objects = this.snapshot();
    // Most events (pod heartbeats) change none of the objects a plan reads: skip the renders.
    const key = inputKey(objects);
    if (this.quiet?.key === key && !expiredBetween(objects.lanes, this.quiet.at, now)) return;
    this.quiet = undefined;
    const plan = planForks(objects, this.namespace, now);
    const problems = new Set(plan.problems.map((p) => `${p.path}: ${p.reason}`));
    for (const problem of problems) if (!this.logged.has(problem)) this.logger.warn({ problem }, 'lane fork not deployed');
    this.logged = problems;
    for (const action of plan.actions) await this.apply(action);
    if (plan.actions.length === 0) this.quiet = { key, at: now };
  }

  private async apply(action: ForkAction): Promise<void> {
    switch (action.kind) {
      case 'add-finalizer':
        return this.setFinalizers(action.lane, [...(action.lane.metadata?.finalizers ?? []), FORKS_FINALIZER]);
      case 'remove-finalizer':
        return this.setFinalizers(action.lane, (action.lane.metadata?.finalizers ?? []).filter((f) => f !== FORKS_FINALIZER));
      case 'create':
        this.logger.info({ deployment: action.deployment.metadata?.name }, 'creating lane fork');
        await this.custom.createNamespacedCustomObject({ ...this.deployments, body: action.deployment });
        return;
      case 'update':
        this.logger.info({ deployment: action.deployment.metadata?.name }, 'updating lane fork');
        await this.custom.replaceNamespacedCustomObject({ ...this.deployments, name: action.deployment.metadata!.name!, body: this.withVersion(action.deployment, action.resourceVersion) });
        return;
      case 'delete':
        return this.deleteFork(action.name, action.lane);
    }
  }

  private withVersion(deployment: KubeDeployment, resourceVersion: string): KubeDeployment {
    return { ...deployment, metadata: { ...deployment.metadata, resourceVersion } };
  }

  private async deleteFork(name: string, lane: string): Promise<void> {
    this.logger.info({ deployment: name, lane }, 'deleting lane fork');
    try {
      // Background: the Deployment goes now; its ReplicaSets and pods follow by garbage collection where it runs.
      await this.custom.deleteNamespacedCustomObject({ ...this.deployments, name, propagationPolicy: 'Background' });
    } catch (err) {
      if (codeOf(err) !== 404) throw err;
    }
  }

  /** Replaces the Lane's finalizers at the resourceVersion the watch saw (a stale one: 409, retried on the next pass). */
  private async setFinalizers(lane: KubeLane, finalizers: string[]): Promise<void> {
    const name = lane.metadata!.name!;
    const body = { ...lane, apiVersion: `${LANE_GROUP}/${LANE_VERSION}`, kind: 'Lane', metadata: { ...lane.metadata, finalizers } };
    try {
      await this.custom.replaceNamespacedCustomObject({ ...this.lanes, name, body });
    } catch (err) {
      if (codeOf(err) !== 404) throw err;
    }
  }
}

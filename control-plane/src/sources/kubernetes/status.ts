// Writes each Lane's status (Ready condition, services found, message on error, expiry) back to
// the cluster and deletes expired Lanes. Replicas all compute the same, but only the holder of a
// Lease writes.
import { hostname } from 'node:os';
import { CoordinationV1Api, CustomObjectsApi, V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { MANAGED_BY, MANAGED_BY_LABEL } from './fork-deployment.js';
import { forkStatuses, forksSummary, type ForkSpecInput } from './fork-status.js';
import { LANE_GROUP, LANE_PLURAL, LANE_VERSION, laneExpiry, type ForkStatus, type KubeDefinitions, type KubeLane, type LaneCondition, type LaneStatus } from './mapping.js';

export const LEASE_NAME = 'laneway-status-writer';
const LEASE_SECONDS = 15;
const RENEW_MS = 5000;

/** Condition added when pods of the lane opted into sidecar injection but run without the sidecar. */
function withoutSidecarCondition(pods: readonly string[]): LaneCondition {
  return { type: 'SidecarsInjected', status: 'False', reason: 'PodsWithoutSidecar', message: `${pods.length} pod(s) of this lane run without the Laneway sidecar: ${pods.join(', ')} (GET /v1/injection says why)` };
}

/** "Deployment/orders (ImagePullError: ...)" for each fork that is not ready. */
function forksNotReadyCondition(forks: readonly ForkStatus[]): LaneCondition | undefined {
  const waiting = forks.filter((f) => !f.ready);
  if (waiting.length === 0) return undefined;
  return { type: 'Ready', status: 'False', reason: 'ForksNotReady', message: `${waiting.length} of ${forks.length} fork(s) not ready: ${waiting.map((f) => `${f.workload} (${f.reason}: ${f.message})`).join('; ')}` };
}

/** The Ready condition: why not served, else whether its forks run, else what it serves. */
function readyCondition(lane: KubeLane, defs: KubeDefinitions, now: number, forks: readonly ForkStatus[]): LaneCondition {
  const name = lane.metadata?.name ?? '';
  const served = defs.lanes[name];
  const expiresAt = laneExpiry(lane);
  const errors = defs.errors.filter((e) => e.path.startsWith(`kubernetes/lanes/${name}/`));
  const services = served ? Object.keys(served.services) : [];
  if (errors.length > 0) return { type: 'Ready', status: 'False', reason: 'Invalid', message: errors.map((e) => `${e.path.replace(`kubernetes/lanes/${name}/`, '')}: ${e.reason}`).join('; ') };
  if (expiresAt && Date.parse(expiresAt) <= now) return { type: 'Ready', status: 'False', reason: 'Expired', message: `expired at ${expiresAt}` };
  if (!served) return { type: 'Ready', status: 'False', reason: 'NotServed', message: 'not served (see the control plane log)' };
  const forksWaiting = forksNotReadyCondition(forks);
  if (forksWaiting) return forksWaiting;
  if (services.length === 0) return { type: 'Ready', status: 'True', reason: 'NoPods', message: 'served; no ready pod carries this lane yet, so every request falls back' };
  return { type: 'Ready', status: 'True', reason: 'Served', message: `served with its own ${services.join(', ')}` };
}

/**
 * What a Lane's status should say, given what the mapping made of it, the lane's opted-in pods
 * without the sidecar ("pod (reason)") and its forks' statuses (fork-status.ts). Pure.
 */
export function desiredLaneStatus(lane: KubeLane, defs: KubeDefinitions, now = Date.now(), podsWithoutSidecar: readonly string[] = [], forks: readonly ForkStatus[] = []): LaneStatus {
  const name = lane.metadata?.name ?? '';
  const services = defs.lanes[name] ? Object.keys(defs.lanes[name].services) : [];
  const expiresAt = laneExpiry(lane);
  const ready = readyCondition(lane, defs, now, forks);
  const generation = lane.metadata?.generation;
  return {
    ...(generation !== undefined && { observedGeneration: generation }),
    services,
    servicesSummary: services.join(','),
    ...(expiresAt && { expiresAt }),
    ...(ready.status === 'False' && { message: ready.message }),
    conditions: podsWithoutSidecar.length > 0 ? [ready, withoutSidecarCondition(podsWithoutSidecar)] : [ready],
    ...(forks.length > 0 && { forks: [...forks], forksSummary: forksSummary(forks) }),
  };
}

/** The forks a Lane's spec asks for (spec.forks). */
function forksOf(lane: KubeLane): ForkSpecInput[] {
  const forks = (lane.spec as { forks?: unknown } | undefined)?.forks;
  return Array.isArray(forks) ? (forks as ForkSpecInput[]) : [];
}

/** What the writer reads on each pass; a caller that watches no Deployments leaves them out (every fork then reads WorkloadNotFound). */
export interface LaneStatusSnapshot {
  lanes: KubeLane[];
  defs: KubeDefinitions;
  podsWithoutSidecar?: (lane: string) => string[];
  /** Every Deployment in the namespace (stable ones and Laneway's fork Deployments), as the watch keeps them (apps/v1 JSON). */
  deployments?: readonly unknown[];
  /** Every pod in the namespace. */
  pods?: V1Pod[];
}

/** Each fork's status for a lane, from the snapshot's Deployments and pods. */
export function forkStatusesOf(lane: KubeLane, snapshot: LaneStatusSnapshot): ForkStatus[] {
  const forks = forksOf(lane);
  if (forks.length === 0) return [];
  // The watch may keep raw JSON rather than client-node's classes: the same shape, dates as strings (not read here).
  const deployments = (snapshot.deployments ?? []) as V1Deployment[];
  const managed = deployments.filter((d) => d.metadata?.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
  return forkStatuses(lane.metadata?.name ?? '', forks, deployments, managed, snapshot.pods ?? []);
}

/** JSON with every object's keys sorted: the API server returns custom objects' fields sorted, not in the order written. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v));
}

/** Same status except for transition times: nothing to write. */
export function sameStatus(current: Partial<LaneStatus> | undefined, next: LaneStatus): boolean {
  const strip = (s: Partial<LaneStatus> | undefined) => canonicalJson({ ...s, conditions: (s?.conditions ?? []).map(({ lastTransitionTime: _t, ...c }) => c) });
  return current !== undefined && strip(current) === strip(next);
}

export class LaneStatusWriter {
  private readonly identity = `${hostname()}-${process.pid}`;
  private readonly leases: CoordinationV1Api;
  private readonly custom: CustomObjectsApi;
  private leader = false;
  private timer?: NodeJS.Timeout;
  private writing = Promise.resolve();
  private readonly lanes: { group: string; version: string; namespace: string; plural: string };
  /** Run after each status pass by the Lease holder only (the fork reconciler). */
  private readonly leaderTasks: Array<() => Promise<void>> = [];

  constructor(kc: KubeConfig, private readonly namespace: string, private readonly logger: Logger, private readonly snapshot: () => LaneStatusSnapshot) {
    this.leases = kc.makeApiClient(CoordinationV1Api);
    this.custom = kc.makeApiClient(CustomObjectsApi);
    this.lanes = { group: LANE_GROUP, version: LANE_VERSION, namespace, plural: LANE_PLURAL };
  }

  start(): void {
    const tick = () => void this.renew().finally(() => { if (this.timer) this.timer = setTimeout(tick, RENEW_MS); });
    this.timer = setTimeout(tick, 0);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Also runs `task` while this replica holds the Lease, serialized after each status pass. */
  whileLeading(task: () => Promise<void>): void {
    this.leaderTasks.push(task);
  }

  /** Writes every Lane whose status differs (leader only); serialized, never concurrent. */
  sync(): void {
    if (!this.leader) return;
    this.writing = this.writing.then(() => this.writeAll()).catch((err) => this.logger.warn({ err: (err as Error).message }, 'lane status write failed; retried on the next change or lease renewal'));
    for (const task of this.leaderTasks) this.writing = this.writing.then(task).catch((err) => this.logger.warn({ err: (err as Error).message }, 'lane fork write failed; retried on the next change or lease renewal'));
  }

  private async writeAll(): Promise<void> {
    const snapshot = this.snapshot();
    const { lanes, defs, podsWithoutSidecar } = snapshot;
    for (const lane of lanes) {
      const name = lane.metadata!.name!;
      // Deleted already, waiting for its finalizer (forks.ts): nothing to delete or report.
      if (lane.metadata?.deletionTimestamp) continue;
      const expiresAt = laneExpiry(lane);
      if (expiresAt && Date.parse(expiresAt) <= Date.now()) {
        this.logger.info({ lane: name, expiresAt }, 'deleting expired lane');
        await this.custom.deleteNamespacedCustomObject({ ...this.lanes, name });
        continue;
      }
      const next = desiredLaneStatus(lane, defs, Date.now(), podsWithoutSidecar?.(name), forkStatusesOf(lane, snapshot));
      const current = lane.status;
      if (sameStatus(current, next)) continue;
      const old = current?.conditions ?? [];
      const stamped = next.conditions.map((c) => {
        const was = old.find((o) => o.type === c.type);
        return { ...c, lastTransitionTime: was && was.status === c.status && was.lastTransitionTime ? was.lastTransitionTime : new Date().toISOString().replace(/\.\d+Z$/, 'Z') };
      });
      await this.custom.replaceNamespacedCustomObjectStatus({
        ...this.lanes, name,
        body: { ...lane, status: { ...next, conditions: stamped } },
      });
    }
  }

  private async renew(): Promise<void> {
    const now = new V1MicroTime(Date.now());
    const spec = { holderIdentity: this.identity, leaseDurationSeconds: LEASE_SECONDS, renewTime: now };
    let lease: V1Lease | undefined;
    try {
      lease = await this.leases.readNamespacedLease({ name: LEASE_NAME, namespace: this.namespace });
    } catch (err) {
      if ((err as { code?: number }).code !== 404) return this.setLeader(false, err);
    }
    try {
      if (!lease) {
        await this.leases.createNamespacedLease({ namespace: this.namespace, body: { metadata: { name: LEASE_NAME }, spec: { ...spec, acquireTime: now } } });
      } else {
        const held = lease.spec?.holderIdentity;
        const renewed = lease.spec?.renewTime ? new Date(lease.spec.renewTime).getTime() : 0;
        const expired = renewed + (lease.spec?.leaseDurationSeconds ?? LEASE_SECONDS) * 1000 < Date.now();
        if (held && held !== this.identity && !expired) return this.setLeader(false);
        // resourceVersion in the body: two replicas taking an expired lease at once, one gets 409.
        await this.leases.replaceNamespacedLease({ name: LEASE_NAME, namespace: this.namespace, body: { ...lease, spec: { ...lease.spec, ...spec, ...(held !== this.identity && { acquireTime: now }) } } });
      }
      this.setLeader(true);
    } catch (err) {
      this.setLeader(false, err);
    }
  }

  private setLeader(leader: boolean, err?: unknown): void {
    if (leader !== this.leader) this.logger.info({ identity: this.identity, leader }, leader ? 'writing lane status (lease acquired)' : 'not writing lane status (lease held elsewhere)');
    if (err) this.logger.debug({ err: (err as Error).message }, 'lease renewal failed');
    this.leader = leader;
    if (leader) this.sync();
  }
}

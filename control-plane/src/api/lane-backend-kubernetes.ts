// The lane backend of Kubernetes mode: lanes are Lane objects, written through the API server
// (sources/kubernetes/lane-writer.ts) so every replica sees them through its watch; the Lane's
// metadata.resourceVersion is the lane's. A lane's endpoints are its pods (labelled
// laneway.dev/lane), so a write may list no services other than the ones its pods give it.
import { isDeepStrictEqual } from 'node:util';
import { fallbackConflict, NotFoundError, PreconditionFailedError, ValidationError } from '../model/errors.js';
import { STABLE, type Lane, type MeshState } from '../model/types.js';
import { validateLane, validateMeshState } from '../model/validate.js';
import { isValidAfter } from '../model/validate-change.js';
import { checkForkTargets } from '../sources/kubernetes/fork-targets.js';
import type { KubeLaneWriter } from '../sources/kubernetes/lane-writer.js';
import { laneExpiry, LANE_LABEL, type KubeLane, type LaneSpec } from '../sources/kubernetes/mapping.js';
import { checkPreconditions } from '../sources/store.js';
import { invalidDefinition } from './errors.js';
import type { HeldLane, LaneBackend } from './lane-backend.js';
import { contentVersion } from './views.js';

export interface KubeLaneAccess {
  writer: KubeLaneWriter;
  /** The Lane object as the watch last saw it. */
  laneObject(name: string): KubeLane | undefined;
  /** The served state: the lanes' endpoints (from their pods) and what a new fallback must exist in. */
  getState(): MeshState;
}

const SPEC_FIELDS = ['fallback', 'owner', 'description', 'fallbackOnUnhealthy', 'forks'] as const;

/** The Lane's expiry as written (expiresAt), else creation time + ttl. */
function expiryOf(obj: KubeLane): string | undefined {
  return typeof obj.spec?.expiresAt === 'string' ? obj.spec.expiresAt : laneExpiry(obj);
}

/** The forks' status, once the status writer has described this generation of the spec (a stale one could say Ready for a previous image). */
function statusField(obj: KubeLane): Pick<HeldLane, 'status'> {
  const status = obj.status;
  if (!status?.forks || status.observedGeneration !== obj.metadata?.generation) return {};
  return { status: { forks: status.forks } };
}

/** The lane a Lane object stands for, with the endpoints its pods give it. */
function heldFromObject(obj: KubeLane, services: Lane['services']): HeldLane {
  const spec = obj.spec ?? {};
  const expiresAt = expiryOf(obj);
  const created = obj.metadata?.creationTimestamp;
  const lane: Lane = {
    name: obj.metadata?.name ?? '',
    ...(spec.fallback !== undefined && spec.fallback !== STABLE && { fallback: spec.fallback }),
    services,
    ...(spec.owner !== undefined && { owner: spec.owner }),
    ...(spec.description !== undefined && { description: spec.description }),
    ...(expiresAt && { expiresAt }),
    ...(spec.fallbackOnUnhealthy === true && { fallbackOnUnhealthy: true }),
    ...(spec.forks !== undefined && spec.forks.length > 0 && { forks: spec.forks }),
  };
  return { lane, ...(spec.ttl && { ttl: spec.ttl }), resourceVersion: obj.metadata?.resourceVersion ?? '', ...(created && { createdAt: new Date(created).toISOString() }), ...statusField(obj) };
}

function versionOf(obj: KubeLane | undefined): { resourceVersion: string } | undefined {
  return obj && { resourceVersion: obj.metadata?.resourceVersion ?? '' };
}

/** Refuses what a Lane object cannot hold: services other than its pods', and labels. */
function assertStorable(name: string, lane: Record<string, unknown>, served: Lane['services']): void {
  const path = `lanes/${name}`;
  const { services, labels } = lane;
  const listed = services !== undefined && services !== null && !isDeepStrictEqual(services, {});
  if (listed && !isDeepStrictEqual(services, served)) {
    throw invalidDefinition([{ path: `${path}/services`, reason: `in Kubernetes mode a lane's endpoints are its pods: label them ${LANE_LABEL}=${name} instead of listing services here` }]);
  }
  if (labels !== undefined && labels !== null) {
    throw invalidDefinition([{ path: `${path}/labels`, reason: 'labels are not stored on Lane objects in Kubernetes mode; use kubectl label lane' }]);
  }
}

/** The Lane spec for a requested lane, checked like a store write: the lane, then the served state with it. */
function specFor(state: MeshState, name: string, next: { lane: Record<string, unknown>; ttl?: string }): LaneSpec {
  const served = state.lanes[name]?.services ?? {};
  assertStorable(name, next.lane, served);
  const { labels: _none, ...definition } = next.lane;
  const checked = validateLane({ ...definition, services: served }, `lanes/${name}`);
  if (!checked.ok) throw new ValidationError(checked.errors);
  const lane = checked.value;
  const after = { ...state, lanes: { ...state.lanes, [name]: lane } };
  if (!isValidAfter(after, { lanes: [name] })) {
    const errors = validateMeshState(after);
    if (errors.length > 0) throw new ValidationError(errors);
  }
  const spec: LaneSpec = {};
  for (const field of SPEC_FIELDS) if (lane[field] !== undefined) (spec as Record<string, unknown>)[field] = lane[field];
  if (spec.forks?.length === 0) delete spec.forks;
  if (next.ttl) spec.ttl = next.ttl;
  if (lane.expiresAt) spec.expiresAt = lane.expiresAt;
  return spec;
}

function sameSpec(a: LaneSpec | undefined, b: LaneSpec): boolean {
  const norm = (s: LaneSpec | undefined) => JSON.stringify(Object.fromEntries(Object.entries(s ?? {}).filter(([k, v]) => !(k === 'fallbackOnUnhealthy' && v === false)).sort()));
  return norm(a) === norm(b);
}

export function kubernetesLaneBackend(kube: KubeLaneAccess): LaneBackend {
  const { writer } = kube;
  const servicesOf = (name: string) => kube.getState().lanes[name]?.services ?? {};
  return {
    shown(lane) {
      const obj = kube.laneObject(lane.name);
      // A lane from the config directory has no Lane object: versioned by content, as in store mode.
      return obj ? heldFromObject(obj, lane.services) : { lane, resourceVersion: contentVersion(lane) };
    },

    // Read, check, write; a lost race is retried only when the caller gave no precondition.
    async update(name, change, preconditions) {
      const unconditional = !preconditions.ifMatch && !preconditions.ifNoneMatch;
      for (let attempt = 1; ; attempt++) {
        const current = await writer.get(name);
        checkPreconditions(`lanes/${name}`, versionOf(current), preconditions);
        const spec = specFor(kube.getState(), name, change(current && heldFromObject(current, servicesOf(name))));
        await checkForkTargets(`lanes/${name}`, writer.namespace, spec.forks, current?.spec?.forks, (workload) => writer.deployment(workload));
        try {
          const unchanged = current !== undefined && sameSpec(current.spec, spec);
          const written = unchanged ? current : current ? await writer.replace(current, spec, versionOf(current)!.resourceVersion) : await writer.create(name, spec);
          return { held: heldFromObject(written, servicesOf(name)), created: !current, changed: !unchanged };
        } catch (err) {
          if (!(err instanceof PreconditionFailedError) || !unconditional || attempt >= 3) throw err;
        }
      }
    },

    async delete(name, preconditions) {
      const current = await writer.get(name);
      if (!current) throw new NotFoundError('lane', name);
      checkPreconditions(`lanes/${name}`, versionOf(current), preconditions);
      const dependants = Object.values(kube.getState().lanes).filter((l) => l.fallback === name).map((l) => l.name).sort();
      if (dependants.length > 0) throw fallbackConflict(name, dependants);
      const held = heldFromObject(current, servicesOf(name));
      await writer.delete(name, held.resourceVersion);
      return held;
    },
  };
}

// Where /v1/lanes keeps lanes: the embedded store (here) or Lane objects in Kubernetes
// (lane-backend-kubernetes.ts). The routes (lanes.ts, lane-services.ts) decide what a request
// asks for, including its expiry; a backend checks preconditions, validates, writes, and says
// what it holds. Errors are the model's (model/errors.ts), worded once for both.
import type { FieldError } from '../model/errors.js';
import { checkLaneForks } from '../model/forks.js';
import type { Lane } from '../model/types.js';
import type { ForkStatus } from '../sources/kubernetes/mapping.js';
import type { LaneMeta } from '../sources/store-contents.js';
import type { Preconditions, Stored } from '../sources/store.js';
import { unprocessableDefinition } from './errors.js';
import { assertWritable, contentVersion, type ApiContext } from './views.js';

/** A lane as its backend holds it: the definition (services as served), its ttl and version. */
export interface HeldLane {
  lane: Lane;
  ttl?: string;
  resourceVersion: string;
  createdAt?: string;
  updatedAt?: string;
  /** Kubernetes mode: what the Lane's status says of its forks, when it describes the current spec. */
  status?: { forks: ForkStatus[] };
}

/** What a write makes of the lane as it is (undefined: absent): the lane to check and hold, and its ttl. */
export type LaneChange = (current: HeldLane | undefined) => { lane: Record<string, unknown>; ttl?: string };

export interface LaneWrite {
  held: HeldLane;
  created: boolean;
  /** False when the write asked for what was already there: nothing was written, the version stays. */
  changed: boolean;
}

export interface LaneBackend {
  /** A served lane with this backend's version, ttl and times for it. */
  shown(lane: Lane): HeldLane;
  /** Read-modify-write of one lane; `change` sees the lane as the backend has it now. */
  update(name: string, change: LaneChange, preconditions: Preconditions): Promise<LaneWrite>;
  /** Deletes the lane (404 if absent, 409 while another lane falls back to it); returns what it was. */
  delete(name: string, preconditions: Preconditions): Promise<HeldLane>;
}

function heldFromStore({ value, meta }: Stored<Lane, LaneMeta>): HeldLane {
  return { lane: value, ...(meta.ttl && { ttl: meta.ttl }), resourceVersion: meta.resourceVersion, createdAt: meta.createdAt, updatedAt: meta.updatedAt };
}

/** Forks need a cluster to deploy into: the store refuses them, naming the field (an empty list is no fork), and any fork field that is wrong besides. */
function withoutForks(name: string, next: ReturnType<LaneChange>): ReturnType<LaneChange> {
  const { forks, ...lane } = next.lane;
  if (forks === undefined || forks === null || (Array.isArray(forks) && forks.length === 0)) return { ...next, lane };
  const errors: FieldError[] = [];
  checkLaneForks({ forks }, `lanes/${name}`, errors);
  throw unprocessableDefinition([...errors, { path: `lanes/${name}/forks`, reason: 'workload forks are Kubernetes-only: this control plane keeps lanes in its embedded store (started without --kubernetes), where there is no Deployment to fork' }]);
}

/** Lanes in the embedded store; lanes the config directory defines are shown with a content version and not written. */
export function storeLaneBackend(ctx: ApiContext): LaneBackend {
  return {
    shown(lane) {
      const stored = ctx.definedElsewhere('lanes', lane.name) ? undefined : ctx.store.getLane(lane.name);
      return stored ? { ...heldFromStore(stored), lane } : { lane, resourceVersion: contentVersion(lane) };
    },
    async update(name, change, preconditions) {
      assertWritable(ctx, 'lanes', name);
      const result = await ctx.store.updateLane(name, (current) => withoutForks(name, change(current && heldFromStore(current))), preconditions);
      return { held: heldFromStore(result), created: result.created, changed: result.changed };
    },
    async delete(name, preconditions) {
      assertWritable(ctx, 'lanes', name);
      return heldFromStore(await ctx.store.deleteLane(name, preconditions));
    },
  };
}

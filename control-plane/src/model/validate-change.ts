// The quick check behind a store write: a state that was valid and changed in a few named objects is
// valid again if those objects are, and if nothing refers to what they removed. This visits the
// touched objects (and, for a deletion, the objects that could refer to it), not every lane, so a
// write at 10,000 lanes does not re-check 10,000 lanes. It only says yes or "look closer": on no,
// the store runs validateMeshState, which finds and words every error.
import { STABLE, type Lane, type MeshState, type Service } from './types.js';
import type { Touched } from './state-changes.js';
import { validateLane, validateService, validateSettings } from './validate.js';

/** Whether a fallback walk from `start` comes back to a lane it already passed. */
function reachesCycle(lanes: Readonly<Record<string, Lane>>, start: string): boolean {
  const walked = new Set<string>();
  let current: string | undefined = start;
  while (current !== undefined && current !== STABLE && Object.hasOwn(lanes, current)) {
    if (walked.has(current)) return true;
    walked.add(current);
    current = lanes[current]!.fallback;
  }
  return false;
}

function serviceStillValid(state: MeshState, name: string): boolean {
  const { services, lanes } = state;
  if (!Object.hasOwn(services, name)) {
    for (const lane in lanes) if (Object.hasOwn(lanes[lane]!.services, name)) return false;
    for (const other in services) if (services[other]!.dependsOn?.includes(name)) return false;
    return true;
  }
  const service: Service = services[name]!;
  if (service.name !== name || !validateService(service, `services/${name}`).ok) return false;
  return (service.dependsOn ?? []).every((callee) => Object.hasOwn(services, callee));
}

function laneStillValid(state: MeshState, name: string): boolean {
  const { services, lanes } = state;
  if (!Object.hasOwn(lanes, name)) {
    for (const other in lanes) if (lanes[other]!.fallback === name) return false;
    return true;
  }
  const lane: Lane = lanes[name]!;
  if (lane.name !== name || !validateLane(lane, `lanes/${name}`).ok) return false;
  const { fallback } = lane;
  if (fallback !== undefined && fallback !== STABLE && !Object.hasOwn(lanes, fallback)) return false;
  for (const service in lane.services) if (!Object.hasOwn(services, service)) return false;
  // The state before had no cycle, so a new one passes through a lane this write changed.
  return !reachesCycle(lanes, name);
}

/**
 * True only if validateMeshState(state) would find nothing, given that the state was valid before
 * the write described by `touched`. False: the state may be invalid; validate it as a whole.
 */
export function isValidAfter(state: MeshState, touched: Touched): boolean {
  if (touched.settings && !validateSettings(state.settings).ok) return false;
  const entry = state.settings.entryService;
  if (typeof entry === 'string' && !Object.hasOwn(state.services, entry)) return false;
  return (touched.services ?? []).every((name) => serviceStillValid(state, name)) && (touched.lanes ?? []).every((name) => laneStillValid(state, name));
}

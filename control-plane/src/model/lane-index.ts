// Which lanes can matter to a service: those whose chain (lane -> fallback -> ...) has an entry for
// it. Every other lane resolves to stable for that service and adds no route or cluster, so the
// translator's callers look at these lanes only (laneSlice), not at every lane in the model.
import { chainOf } from './resolve.js';
import { previousOf } from './state-changes.js';
import { STABLE, type Lane, type MeshState } from './types.js';

export type LaneIndex = ReadonlyMap<string, readonly string[]>;

/** Code-unit order, as the translator sorts names. */
const byCodeUnits = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Services the lanes of a chain have an entry for. */
export function servicesOfChain(state: MeshState, lane: string): Set<string> {
  const services = new Set<string>();
  for (const name of chainOf(state, lane)) for (const service in state.lanes[name]!.services) services.add(service);
  return services;
}

interface IndexedState {
  index: Map<string, readonly string[]>;
  /** Lanes with a fallback other than stable (existing or not): the only ones whose chain a write to another lane can alter. */
  chained: ReadonlySet<string>;
}

const indexed = new WeakMap<MeshState, IndexedState>();
// A write touching more lanes than this rebuilds the index: the update would cost as much.
const MAX_UPDATED_LANES = 64;

const namesFallback = (lane: Lane) => lane.fallback !== undefined && lane.fallback !== STABLE;
const fallsBackToLane = (state: MeshState, lane: Lane) => namesFallback(lane) && Object.hasOwn(state.lanes, lane.fallback!);

/** Services a lane's chain has an entry for. */
function servicesOf(state: MeshState, lane: string): Set<string> {
  const definition = state.lanes[lane];
  if (!definition) return new Set();
  // Most lanes fall back to stable: their chain is themselves (the common case, kept cheap).
  if (!fallsBackToLane(state, definition)) return new Set(Object.keys(definition.services));
  return servicesOfChain(state, lane);
}

function buildIndex(state: MeshState): IndexedState {
  const lists = new Map<string, string[]>();
  const chained = new Set<string>();
  for (const lane in state.lanes) {
    if (namesFallback(state.lanes[lane]!)) chained.add(lane);
    for (const service of servicesOf(state, lane)) {
      const lanes = lists.get(service);
      if (lanes) lanes.push(lane);
      else lists.set(service, [lane]);
    }
  }
  for (const lanes of lists.values()) lanes.sort(byCodeUnits);
  return { index: lists, chained };
}

/**
 * The index of a state one write away from an indexed one: only the services of the lanes whose
 * chain the write can have changed (the written lanes, and lanes falling back through them) are
 * looked at again, instead of every lane in the model.
 */
function updatedIndex(before: MeshState, known: IndexedState, after: MeshState, written: readonly string[]): IndexedState {
  // The index reads lanes only: a write of services or settings leaves it as it was.
  if (written.length === 0) return known;
  const writtenSet = new Set(written);
  const chained = new Set(known.chained);
  for (const lane of written) {
    const definition = after.lanes[lane];
    if (definition && namesFallback(definition)) chained.add(lane);
    else chained.delete(lane);
  }
  const changed = new Set(written);
  for (const lane of chained) {
    if ([...chainOf(before, lane), ...chainOf(after, lane)].some((l) => writtenSet.has(l))) changed.add(lane);
  }
  const coverage = new Map<string, Set<string>>();
  for (const lane of changed) {
    for (const service of servicesOf(before, lane)) if (!coverage.has(service)) coverage.set(service, new Set());
    for (const service of servicesOf(after, lane)) {
      const lanes = coverage.get(service);
      if (lanes) lanes.add(lane);
      else coverage.set(service, new Set([lane]));
    }
  }
  const index = new Map(known.index);
  for (const [service, added] of coverage) {
    const lanes = [...(known.index.get(service) ?? []).filter((lane) => !changed.has(lane)), ...added].sort(byCodeUnits);
    if (lanes.length > 0) index.set(service, lanes);
    else index.delete(service);
  }
  return { index, chained };
}

// Writes the index is carried through: a few debounced writes between two publishes are each
// applied; a longer line of unindexed states is indexed afresh.
const MAX_STEPS = 8;

/** The index of `state`: carried forward from the nearest indexed state behind it, or built afresh. */
function indexOf(state: MeshState): IndexedState {
  const cached = indexed.get(state);
  if (cached) return cached;
  // An unfrozen model may be edited in place after this call: remember only what cannot change.
  if (!Object.isFrozen(state) || !Object.isFrozen(state.lanes)) return buildIndex(state);
  const line: Array<{ before: MeshState; after: MeshState; lanes: readonly string[] }> = [];
  let current = state;
  let known: IndexedState | undefined;
  while (!known && line.length < MAX_STEPS) {
    const previous = previousOf(current);
    if (!previous || (previous.touched.lanes ?? []).length > MAX_UPDATED_LANES) break;
    line.push({ before: previous.before, after: current, lanes: previous.touched.lanes ?? [] });
    known = indexed.get(previous.before);
    current = previous.before;
  }
  if (!known) {
    const built = buildIndex(state);
    indexed.set(state, built);
    return built;
  }
  for (const step of line.reverse()) {
    known = updatedIndex(step.before, known, step.after, step.lanes);
    indexed.set(step.after, known);
  }
  return known;
}

/** service -> lanes (sorted) whose chain has an entry for it; computed once per frozen MeshState. */
export function lanesByService(state: MeshState): LaneIndex {
  return indexOf(state).index;
}

const NO_LANES: readonly string[] = [];

/**
 * `state` with only the lanes whose chain has an entry for one of `services`: for those services
 * the translator gives the same output from it as from the whole model, and looks at fewer lanes.
 */
export function laneSlice(state: MeshState, services: readonly string[], index: LaneIndex = lanesByService(state)): MeshState {
  const names = new Set<string>();
  for (const service of services) for (const lane of index.get(service) ?? NO_LANES) names.add(lane);
  const lanes: Record<string, Lane> = {};
  for (const name of services.length === 1 ? names : [...names].sort(byCodeUnits)) lanes[name] = state.lanes[name]!;
  return { settings: state.settings, services: state.services, lanes };
}

// Which lanes can matter to a service: those whose chain (lane -> fallback -> ...) has an entry for
// it. Every other lane resolves to stable for that service and adds no route or cluster, so the
// translator and the publisher look at these lanes only, not at every lane in the model.
import { previousOf } from '../model/state-changes.js';
import { STABLE, type Lane, type MeshState } from '../model/types.js';
import { byCodeUnits } from './names.js';

export type LaneIndex = ReadonlyMap<string, readonly string[]>;

/** Lanes in the chain starting at `lane` (itself first); stops at stable, unknown lanes and cycles. */
export function chainOf(state: MeshState, lane: string): Lane[] {
  const chain: Lane[] = [];
  let current: string | undefined = lane;
  while (current !== undefined && current !== STABLE && Object.hasOwn(state.lanes, current)) {
    const next: Lane = state.lanes[current]!;
    if (chain.includes(next)) break;
    chain.push(next);
    current = next.fallback;
  }
  return chain;
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
  return new Set(chainOf(state, lane).flatMap((l) => Object.keys(l.services)));
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
    if ([...chainOf(before, lane), ...chainOf(after, lane)].some((l) => writtenSet.has(l.name))) changed.add(lane);
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

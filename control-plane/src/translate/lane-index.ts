// Which lanes can matter to a service: those whose chain (lane -> fallback -> ...) has an entry for
// it. Every other lane resolves to stable for that service and adds no route or cluster, so the
// translator and the publisher look at these lanes only, not at every lane in the model.
import { STABLE, type Lane, type MeshState } from '../model/types.js';

export type LaneIndex = ReadonlyMap<string, readonly string[]>;

const indexes = new WeakMap<MeshState, LaneIndex>();

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

/** service -> lanes (in model order) whose chain has an entry for it; computed once per frozen MeshState. */
export function lanesByService(state: MeshState): LaneIndex {
  const cached = indexes.get(state);
  if (cached) return cached;
  const frozen = Object.isFrozen(state) && Object.isFrozen(state.lanes);
  const index = new Map<string, string[]>();
  const add = (service: string, lane: string) => {
    const lanes = index.get(service);
    if (lanes) lanes.push(lane);
    else index.set(service, [lane]);
  };
  for (const lane in state.lanes) {
    const definition = state.lanes[lane]!;
    // Most lanes fall back to stable: their chain is themselves (the common case, kept cheap).
    if (definition.fallback === undefined || definition.fallback === STABLE || !Object.hasOwn(state.lanes, definition.fallback)) {
      for (const service in definition.services) add(service, lane);
      continue;
    }
    const services = new Set(chainOf(state, lane).flatMap((l) => Object.keys(l.services)));
    for (const service of services) add(service, lane);
  }
  // An unfrozen model may be edited in place after this call: remember only what cannot change.
  if (frozen) indexes.set(state, index);
  return index;
}

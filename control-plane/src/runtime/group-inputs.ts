// What one proxy group's translation reads of the model. A sidecar sees its visible services, and of
// the lanes only those whose chain (lane -> fallback -> ...) has an entry for one of them: every
// other lane resolves to stable there and adds nothing. So a sidecar is translated from that slice,
// not from every lane, and a change rebuilds only the groups whose slice it touches.
// test/unit/push-debounce-group-inputs.test.ts checks the slice translates to the same bytes.
import { STABLE, type Lane, type MeshState } from '../model/types.js';
import type { ProxyTarget } from '../translate/proxy.js';
import { visibleServices } from '../translate/scope.js';

type LaneIndex = ReadonlyMap<string, readonly string[]>;

const indexes = new WeakMap<MeshState, LaneIndex>();

/** Lanes in the chain starting at `lane` (itself first); stops at stable, unknown lanes and cycles. */
function chainOf(state: MeshState, lane: string): Lane[] {
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

/** service -> lanes whose chain has an entry for it; computed once per MeshState. */
export function lanesByService(state: MeshState): LaneIndex {
  const cached = indexes.get(state);
  if (cached) return cached;
  const index = new Map<string, string[]>();
  for (const lane of Object.keys(state.lanes)) {
    const services = new Set(chainOf(state, lane).flatMap((l) => Object.keys(l.services)));
    for (const service of services) {
      let lanes = index.get(service);
      if (!lanes) index.set(service, (lanes = []));
      lanes.push(lane);
    }
  }
  indexes.set(state, index);
  return index;
}

/** The part of `state` the target's translation depends on (the ingress: all of it). */
export function groupInputs(state: MeshState, target: ProxyTarget): MeshState {
  if (target.kind !== 'sidecar') return state;
  const index = lanesByService(state);
  const names = new Set<string>();
  for (const service of visibleServices(state, target)) for (const lane of index.get(service) ?? []) names.add(lane);
  const lanes: Record<string, Lane> = {};
  for (const name of [...names].sort()) lanes[name] = state.lanes[name]!;
  return { settings: state.settings, services: state.services, lanes };
}

/** Deep equality of plain JSON-shaped data; several times faster than util.isDeepStrictEqual. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const keysA = Object.keys(a);
  if (keysA.length !== Object.keys(b).length) return false;
  for (const key of keysA) {
    if (!Object.hasOwn(b, key) || !sameJson((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key])) return false;
  }
  return true;
}

function changedNames<T>(before: Record<string, T>, after: Record<string, T>): string[] {
  const changed: string[] = [];
  for (const name in before) if (!Object.hasOwn(after, name) || !sameJson(before[name], after[name])) changed.push(name);
  for (const name in after) if (!Object.hasOwn(before, name)) changed.push(name);
  return changed;
}

/** Services whose routes or clusters may differ between the two states, in any group. */
function touchedServices(before: MeshState, after: MeshState): { services: Set<string>; changedServices: Set<string> } {
  const changedServices = new Set(changedNames(before.services, after.services));
  const services = new Set(changedServices);
  for (const lane of changedNames(before.lanes, after.lanes)) {
    for (const state of [before, after]) {
      for (const l of chainOf(state, lane)) for (const s of Object.keys(l.services)) services.add(s);
    }
  }
  return { services, changedServices };
}

/** Groups whose translation can differ between `before` and `after`: 'all' when settings changed. */
export function affectedGroups(
  before: MeshState | undefined,
  after: MeshState,
  targets: ReadonlyMap<string, ProxyTarget>,
): Set<string> | 'all' {
  if (!before || !sameJson(before.settings, after.settings)) return 'all';
  const { services, changedServices } = touchedServices(before, after);
  const affected = new Set<string>();
  if (services.size === 0) return affected;
  for (const [group, target] of targets) {
    if (target.kind !== 'sidecar' || (target.service !== undefined && changedServices.has(target.service))) {
      affected.add(group);
      continue;
    }
    const sees = (state: MeshState) => visibleServices(state, target).some((s) => services.has(s));
    // Visibility depends on services only: unchanged services, one look is enough.
    if (sees(after) || (changedServices.size > 0 && sees(before))) affected.add(group);
  }
  return affected;
}

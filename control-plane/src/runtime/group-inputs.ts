// What one proxy group's translation reads of the model. A sidecar sees its visible services, and of
// the lanes only those whose chain (lane -> fallback -> ...) has an entry for one of them: every
// other lane resolves to stable there and adds nothing. So a sidecar is translated from that slice,
// not from every lane, and a change rebuilds only the groups whose slice it touches.
// test/unit/push-debounce-group-inputs.test.ts checks the slice translates to the same bytes.
import { laneSlice, servicesOfChain } from '../model/lane-index.js';
import type { MeshState } from '../model/types.js';
import { sameJson } from '../model/same-json.js';
import { changesBetween } from '../model/state-changes.js';
import type { ProxyTarget } from '../translate/proxy.js';
import { visibleServices } from '../translate/scope.js';

/** The part of `state` the target's translation depends on (the ingress: all of it). */
export function groupInputs(state: MeshState, target: ProxyTarget): MeshState {
  return target.kind === 'sidecar' ? laneSlice(state, visibleServices(state, target)) : state;
}

function changedNames<T>(before: Record<string, T>, after: Record<string, T>): string[] {
  const changed: string[] = [];
  for (const name in before) if (!Object.hasOwn(after, name) || !sameJson(before[name], after[name])) changed.push(name);
  for (const name in after) if (!Object.hasOwn(before, name)) changed.push(name);
  return changed;
}

/** Services whose routes or clusters may differ between the two states, in any group. */
function touchedServices(before: MeshState, after: MeshState): { services: Set<string>; changedServices: Set<string> } {
  // The store says what its writes changed; comparing every lane is for states it did not make.
  const known = changesBetween(before, after);
  const changedServices = new Set(known ? known.services : changedNames(before.services, after.services));
  const services = new Set(changedServices);
  for (const lane of known ? known.lanes : changedNames(before.lanes, after.lanes)) {
    for (const state of [before, after]) {
      for (const service of servicesOfChain(state, lane)) services.add(service);
    }
  }
  return { services, changedServices };
}

interface VisibilityIndex {
  targets: ReadonlyMap<string, ProxyTarget>;
  /** Targets are only ever added: a different count is a different set. */
  targetCount: number;
  /** Sidecar groups by each service they see. */
  sidecarsSeeing: Map<string, string[]>;
  /** Groups of every other kind (the ingress): translated from the whole model. */
  others: string[];
}

// Per frozen services record: a lane write leaves the record as it was, so the groups a lane
// touches are a few lookups instead of asking every sidecar what it sees.
const visibilityIndexes = new WeakMap<MeshState['services'], VisibilityIndex>();

function visibilityIndex(state: MeshState, targets: ReadonlyMap<string, ProxyTarget>): VisibilityIndex | undefined {
  const known = visibilityIndexes.get(state.services);
  if (known && known.targets === targets && known.targetCount === targets.size) return known;
  if (!Object.isFrozen(state.services)) return undefined;
  const index: VisibilityIndex = { targets, targetCount: targets.size, sidecarsSeeing: new Map(), others: [] };
  for (const [group, target] of targets) {
    if (target.kind !== 'sidecar') {
      index.others.push(group);
      continue;
    }
    for (const service of visibleServices(state, target)) {
      const groups = index.sidecarsSeeing.get(service);
      if (groups) groups.push(group);
      else index.sidecarsSeeing.set(service, [group]);
    }
  }
  visibilityIndexes.set(state.services, index);
  return index;
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
  const index = changedServices.size === 0 && before.services === after.services ? visibilityIndex(after, targets) : undefined;
  if (index) {
    for (const group of index.others) affected.add(group);
    for (const service of services) for (const group of index.sidecarsSeeing.get(service) ?? []) affected.add(group);
    return affected;
  }
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

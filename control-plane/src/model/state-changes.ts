// Which objects a write changed, remembered beside the state it produced, so that what reads two
// states (the publisher) need not compare every lane to find the one a write touched. The link to
// the state before is weak: an old state is not kept alive for this; when it is gone, or the two
// states are not in one line of writes, readers compare as before.
import type { MeshState } from './types.js';

/** What a write changed: names written or deleted, and whether the settings were replaced. */
export interface Touched {
  settings?: boolean;
  services?: readonly string[];
  lanes?: readonly string[];
}

const links = new WeakMap<MeshState, { before: WeakRef<MeshState>; touched: Touched }>();
// Beyond this many writes between two states, comparing them is as cheap as following the links.
const MAX_STEPS = 64;

/** Records that `after` is `before` with `touched` changed (both frozen: neither can change later). */
export function recordChange(before: MeshState, after: MeshState, touched: Touched): void {
  if (Object.isFrozen(before) && Object.isFrozen(after)) links.set(after, { before: new WeakRef(before), touched });
}

/** The state `after` was written from, and what the write changed; undefined: not known. */
export function previousOf(after: MeshState): { before: MeshState; touched: Touched } | undefined {
  const link = links.get(after);
  const before = link?.before.deref();
  return link && before ? { before, touched: link.touched } : undefined;
}

/** What changed from `before` to `after`, names sorted (a superset when a name changed back); undefined: not known. */
export function changesBetween(before: MeshState, after: MeshState): Required<Touched> | undefined {
  const services = new Set<string>();
  const lanes = new Set<string>();
  let settings = false;
  let current = after;
  for (let steps = 0; current !== before; steps++) {
    const link = links.get(current);
    const previous = link?.before.deref();
    if (!link || !previous || steps >= MAX_STEPS) return undefined;
    settings ||= link.touched.settings === true;
    for (const name of link.touched.services ?? []) services.add(name);
    for (const name of link.touched.lanes ?? []) lanes.add(name);
    current = previous;
  }
  return { settings, services: [...services].sort(), lanes: [...lanes].sort() };
}

// The resources of one type in one group's snapshot, held as parts: the group's own resources plus
// shared bundles (one service's clusters, say) that many groups hold the very same objects of.
// Building a group's snapshot then costs one entry per part, not per resource; the name-ordered
// list is merged once, when a stream first asks for it, and then shared by every stream. A lookup by
// name goes straight to the part of the name's namespace, so it costs one map lookup, as in a plain map.
import type { CachedResource } from './cached-resource.js';

const byName = (a: CachedResource, b: CachedResource) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

/** A shared part: every name in it starts with `${namespace}~`. */
export interface NamespacedPart {
  readonly namespace: string;
  readonly byName: ReadonlyMap<string, CachedResource>;
}

function inNameOrder(list: readonly CachedResource[]): boolean {
  for (let i = 1; i < list.length; i++) if (list[i - 1]!.name >= list[i]!.name) return false;
  return true;
}

/** Two lists each in name order, as one. */
function mergeByName(a: CachedResource[], b: CachedResource[]): CachedResource[] {
  if (a.length === 0) return b;
  const out: CachedResource[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) out.push(byName(a[i]!, b[j]!) <= 0 ? a[i++]! : b[j++]!);
  while (i < a.length) out.push(a[i++]!);
  while (j < b.length) out.push(b[j++]!);
  return out;
}

export class ComposedResources implements ReadonlyMap<string, CachedResource> {
  readonly size: number;
  /** The group's own resources, then each shared part. */
  readonly parts: readonly ReadonlyMap<string, CachedResource>[];
  private readonly byNamespace = new Map<string, ReadonlyMap<string, CachedResource>>();
  private merged: readonly CachedResource[] | undefined;

  /** `own` and each shared part map name -> resource, in name order; no name is in two parts. */
  constructor(
    private readonly own: ReadonlyMap<string, CachedResource>,
    shared: readonly NamespacedPart[],
  ) {
    let size = own.size;
    for (const part of shared) {
      size += part.byName.size;
      this.byNamespace.set(part.namespace, part.byName);
    }
    this.size = size;
    this.parts = [own, ...shared.map((part) => part.byName)];
  }

  /** One map lookup: a name's namespace (what precedes "~") says which part can hold it. */
  get(name: string): CachedResource | undefined {
    const tilde = name.indexOf('~');
    const part = tilde > 0 ? this.byNamespace.get(name.slice(0, tilde)) : undefined;
    return part?.get(name) ?? this.own.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * What a client holding every resource of `before` needs to match this: resources new or of
   * another version (name order), and names only `before` has (sorted). A part that is the same
   * object in both holds the same resources and is skipped, so after a lane write only the bundles
   * it replaced are looked at.
   */
  changesFrom(before: ComposedResources): { updated: CachedResource[]; removed: string[] } {
    const changes = { updated: [] as CachedResource[], removed: [] as string[] };
    this.partChanges(this.own, before.own, before, changes);
    for (const [namespace, part] of this.byNamespace) this.partChanges(part, before.byNamespace.get(namespace), before, changes);
    for (const [namespace, part] of before.byNamespace) if (!this.byNamespace.has(namespace)) this.partChanges(undefined, part, before, changes);
    changes.updated.sort(byName);
    changes.removed.sort();
    return changes;
  }

  // A method, not a closure in changesFrom: tsx keeps function names, which costs a property store
  // for every closure it creates, and this runs for every delta wildcard stream on every push.
  private partChanges(
    now: ReadonlyMap<string, CachedResource> | undefined,
    was: ReadonlyMap<string, CachedResource> | undefined,
    before: ComposedResources,
    changes: { updated: CachedResource[]; removed: string[] },
  ): void {
    // The same object has the same version: compared so, a version is read (and hashed) only when it may differ.
    if (now === was) return;
    if (now) {
      for (const r of now.values()) {
        const held = before.get(r.name);
        if (held !== r && held?.version !== r.version) changes.updated.push(r);
      }
    }
    if (was) for (const name of was.keys()) if (!this.has(name)) changes.removed.push(name);
  }

  /**
   * Every resource in name order; one array, computed once. No sort: every name of a shared part
   * starts with `${namespace}~` and a namespace holds no "~", so the parts ordered by that prefix
   * follow one another in name order; the group's own resources are merged in.
   */
  get list(): readonly CachedResource[] {
    if (this.merged === undefined) {
      const prefixed = [...this.byNamespace].map(([namespace, part]) => ({ prefix: `${namespace}~`, part }));
      prefixed.sort((a, b) => (a.prefix < b.prefix ? -1 : a.prefix > b.prefix ? 1 : 0));
      const shared: CachedResource[] = [];
      for (const { part } of prefixed) for (const r of part.values()) shared.push(r);
      const merged = mergeByName([...this.own.values()], shared);
      // The parts' order is their maker's promise; one pass checks it, and a sort keeps it if broken.
      if (!inNameOrder(merged)) merged.sort(byName);
      this.merged = Object.freeze(merged);
    }
    return this.merged;
  }

  *entries(): MapIterator<[string, CachedResource]> {
    for (const r of this.list) yield [r.name, r];
  }

  *keys(): MapIterator<string> {
    for (const r of this.list) yield r.name;
  }

  *values(): MapIterator<CachedResource> {
    yield* this.list;
  }

  [Symbol.iterator](): MapIterator<[string, CachedResource]> {
    return this.entries();
  }

  forEach(callback: (value: CachedResource, key: string, map: ReadonlyMap<string, CachedResource>) => void, thisArg?: unknown): void {
    for (const r of this.list) callback.call(thisArg, r, r.name, this);
  }
}

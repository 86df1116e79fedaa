// The resources of one type in one group's snapshot, held as parts: the group's own resources plus
// shared bundles (one service's clusters, say) that many groups hold the very same objects of.
// Building a group's snapshot then costs one entry per part, not per resource; the name-ordered
// list is merged once, when a stream first asks for it, and then shared by every stream.
import type { CachedResource } from './snapshot.js';

const byName = (a: CachedResource, b: CachedResource) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

export class ComposedResources implements ReadonlyMap<string, CachedResource> {
  readonly size: number;
  private merged: readonly CachedResource[] | undefined;
  private flat: Map<string, CachedResource> | undefined;
  private lookups = 0;

  /** Each part maps name -> resource, in name order; no name is in two parts. */
  constructor(readonly parts: readonly ReadonlyMap<string, CachedResource>[]) {
    let size = 0;
    for (const part of parts) size += part.size;
    this.size = size;
  }

  get(name: string): CachedResource | undefined {
    if (this.flat) return this.flat.get(name);
    // Part by part, until lookups outnumber the resources: then one map, as cheap as they were.
    if (this.parts.length > 2 && ++this.lookups > this.size) {
      this.flat = new Map();
      for (const part of this.parts) for (const [key, value] of part) this.flat.set(key, value);
      return this.flat.get(name);
    }
    for (const part of this.parts) {
      const found = part.get(name);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Every resource in name order; one array, computed once. */
  get list(): readonly CachedResource[] {
    if (this.merged === undefined) {
      const parts = this.parts.filter((p) => p.size > 0);
      this.merged = Object.freeze(parts.length === 1 ? [...parts[0]!.values()] : parts.flatMap((p) => [...p.values()]).sort(byName));
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

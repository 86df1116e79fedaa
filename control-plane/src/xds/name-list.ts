// The resource names a stream subscribed to (SotW, and delta per type), as one immutable object
// shared by every stream that subscribed to the same names: the streams of a proxy group (about 20
// each at 10,000 streams) ask for the same endpoints, and each kept its own set, sorted copy and
// resolved list before.
// The list also remembers what its names resolved to in the last type snapshot it was asked about,
// so a push to the group's streams looks the names up once, not once per stream.
import type { CachedResource, TypeSnapshot } from './snapshot.js';

type Resources = TypeSnapshot['resources'];

export class NameList {
  /** name -> its index in `sorted`. */
  private readonly members: ReadonlyMap<string, number>;
  /** Per name, the last `sameAs` call that met it: a repeat within one call is a duplicate. */
  private stamps?: Uint32Array;
  private calls = 0;
  private resolvedFrom?: Resources;
  private resolved: readonly CachedResource[] = [];
  /** The list this one last grew into (NameLists.extend), and with which names. */
  extension?: { added: string; list: NameList };

  /** `sorted`: distinct names in code-unit order. */
  constructor(readonly sorted: readonly string[]) {
    this.members = new Map(sorted.map((name, index) => [name, index]));
  }

  get size(): number {
    return this.sorted.length;
  }

  has(name: string): boolean {
    return this.members.has(name);
  }

  /**
   * Whether `names`, as a set, are exactly these names, allocating nothing after the first call:
   * most requests on a stream are ACKs repeating its names, and building a set for each was
   * measurable at 1,000 streams.
   */
  sameAs(names: readonly string[]): boolean {
    if (names.length !== this.sorted.length) return names.length > this.sorted.length && this.sameWithRepeats(names);
    this.stamps ??= new Uint32Array(this.sorted.length);
    // Wrapping to 0 after 2^32 calls could meet stamps of call 0: start the stamps again.
    if (++this.calls === 0xffffffff) {
      this.stamps.fill(0);
      this.calls = 1;
    }
    const call = this.calls;
    for (const name of names) {
      const index = this.members.get(name);
      // Equal lengths: a name met twice leaves one out.
      if (index === undefined || this.stamps[index] === call) return false;
      this.stamps[index] = call;
    }
    return true;
  }

  /** A longer list can still be the same set when it repeats names; rare, so a set is fine here. */
  private sameWithRepeats(names: readonly string[]): boolean {
    const distinct = new Set(names);
    if (distinct.size !== this.sorted.length) return false;
    for (const name of distinct) if (!this.members.has(name)) return false;
    return true;
  }

  /** The resources of `resources` that have these names, in name order; the same array while `resources` is. */
  resolve(resources: Resources): readonly CachedResource[] {
    if (this.resolvedFrom !== resources) {
      const found: CachedResource[] = [];
      for (const name of this.sorted) {
        const r = resources.get(name);
        if (r) found.push(r);
      }
      this.resolvedFrom = resources;
      this.resolved = found;
    }
    return this.resolved;
  }
}

/** One NameList per distinct set of names while any stream holds it. */
export class NameLists {
  private readonly byKey = new Map<string, WeakRef<NameList>>();
  private readonly forget = new FinalizationRegistry<string>((key) => {
    if (this.byKey.get(key)?.deref() === undefined) this.byKey.delete(key);
  });

  of(names: Iterable<string>): NameList {
    const sorted = [...new Set(names)].sort();
    const key = JSON.stringify(sorted);
    const known = this.byKey.get(key)?.deref();
    if (known) return known;
    const list = new NameList(sorted);
    this.byKey.set(key, new WeakRef(list));
    this.forget.register(list, key);
    return list;
  }

  /**
   * `list` with `added` names too. Every stream of a group adds the same names to the same list
   * after a cluster push: the first one works the new list out, the others reuse it.
   */
  extend(list: NameList, added: readonly string[]): NameList {
    const key = JSON.stringify(added);
    if (list.extension?.added === key) return list.extension.list;
    const extended = this.of([...list.sorted, ...added]);
    list.extension = { added: key, list: extended };
    return extended;
  }

  /** How many distinct lists are held (for tests). */
  get size(): number {
    return this.byKey.size;
  }
}

/** The subscriptions of every stream in this process, SotW and delta, each distinct set once. */
export const SUBSCRIPTIONS = new NameLists();

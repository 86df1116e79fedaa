// Holds the current snapshot of every proxy group and tells the group's streams what changed.
import type { ConfigWatcher, SnapshotListener } from './config-watcher.js';
import { buildSnapshot, cacheBundle, changedTypes, type CachedBundle, type CachedResource, type ResourceBundle, type ResourceInput, type Snapshot } from './snapshot.js';
import { inPushOrder } from './type-urls.js';
import { encodeAny } from './wire.js';

export type { CachedResource, ResourceBundle, ResourceInput, Snapshot, TypeSnapshot } from './snapshot.js';
export { SnapshotError } from './snapshot.js';
export { TypeUrl } from './type-urls.js';

export class SnapshotCache implements ConfigWatcher {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly listeners = new Map<string, Set<SnapshotListener>>();
  private ready = false;
  /** The newest cached resource per type and name, whatever the group: equal content is shared. */
  private readonly shared = new Map<string, Map<string, CachedResource>>();
  private sharedSize = 0;
  private sharedLive = 0;
  /** Each bundle object, cached once however many groups hold it. */
  private readonly bundles = new WeakMap<ResourceBundle, CachedBundle>();

  /**
   * Replaces the group's resources (its own, and the shared bundles it holds) and notifies the
   * group's streams of the changed types. Throws SnapshotError (and keeps the previous snapshot) on
   * duplicate or unnamed resources.
   */
  setSnapshot(group: string, resources: readonly ResourceInput[], bundles: readonly ResourceBundle[] = []): { changedTypes: string[] } {
    const previous = this.snapshots.get(group);
    const lookup = (typeUrl: string, name: string) => this.shared.get(typeUrl)?.get(name);
    const share = (typeUrl: string, resource: CachedResource) => this.share(typeUrl, resource);
    const cachedBundles = bundles.map((bundle) => {
      let cached = this.bundles.get(bundle);
      if (!cached) this.bundles.set(bundle, (cached = cacheBundle(bundle, undefined, encodeAny, lookup, share)));
      return cached;
    });
    const next = buildSnapshot(group, resources, previous, encodeAny, lookup, share, cachedBundles);
    const changed = inPushOrder(changedTypes(previous, next));
    if (changed.length === 0) return { changedTypes: [] };
    this.snapshots.set(group, next);
    if (this.sharedSize > 2 * this.sharedLive + 1024) this.pruneShared();
    for (const listener of [...(this.listeners.get(group) ?? [])]) listener(changed);
    return { changedTypes: changed };
  }

  hasGroup(group: string): boolean {
    return this.snapshots.has(group);
  }

  getSnapshot(group: string): Snapshot | undefined {
    return this.snapshots.get(group);
  }

  groups(): string[] {
    return [...this.snapshots.keys()].sort();
  }

  /** Until ready, new streams are refused with UNAVAILABLE: an empty answer would wipe a proxy's config. */
  setReady(ready: boolean): void {
    this.ready = ready;
  }

  isReady(): boolean {
    return this.ready;
  }

  /** Subscribes to a group's changes (the group need not exist yet); returns the unsubscribe function. */
  watch(group: string, listener: SnapshotListener): () => void {
    let set = this.listeners.get(group);
    if (!set) this.listeners.set(group, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.listeners.get(group) === set) this.listeners.delete(group);
    };
  }

  private share(typeUrl: string, resource: CachedResource): void {
    let byName = this.shared.get(typeUrl);
    if (!byName) this.shared.set(typeUrl, (byName = new Map()));
    if (!byName.has(resource.name)) this.sharedSize++;
    byName.set(resource.name, resource);
  }

  /** Drops names no snapshot holds any more (removed lanes); amortized, as the table doubles. */
  private pruneShared(): void {
    const live = new Map<string, Set<string>>();
    const seenParts = new Set<ReadonlyMap<string, CachedResource>>();
    for (const snapshot of this.snapshots.values()) {
      for (const [typeUrl, typeSnapshot] of snapshot.types) {
        let names = live.get(typeUrl);
        if (!names) live.set(typeUrl, (names = new Set()));
        // A bundle is held by many groups: its names are counted once.
        for (const part of typeSnapshot.resources.parts) {
          if (seenParts.has(part)) continue;
          seenParts.add(part);
          for (const name of part.keys()) names.add(name);
        }
      }
    }
    this.sharedSize = 0;
    for (const [typeUrl, byName] of this.shared) {
      for (const name of [...byName.keys()]) if (!live.get(typeUrl)?.has(name)) byName.delete(name);
      this.sharedSize += byName.size;
    }
    this.sharedLive = this.sharedSize;
  }
}

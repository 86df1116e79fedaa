// Holds the current snapshot of every proxy group and tells the group's streams what changed.
import { buildSnapshot, changedTypes, type ResourceInput, type Snapshot } from './snapshot.js';
import { inPushOrder } from './type-urls.js';
import { encodeAny } from './wire.js';

export type { CachedResource, ResourceInput, Snapshot, TypeSnapshot } from './snapshot.js';
export { SnapshotError } from './snapshot.js';
export { TypeUrl } from './type-urls.js';

/** Called with the type URLs (in push order) whose version changed in the group's snapshot. */
export type SnapshotListener = (changedTypes: readonly string[]) => void;

export class SnapshotCache {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly listeners = new Map<string, Set<SnapshotListener>>();
  private ready = false;
  private encodes = 0;

  /**
   * Replaces the group's resources and notifies the group's streams of the changed types.
   * Throws SnapshotError (and keeps the previous snapshot) on duplicate or unnamed resources.
   */
  setSnapshot(group: string, resources: ResourceInput[]): { changedTypes: string[] } {
    const previous = this.snapshots.get(group);
    const next = buildSnapshot(group, resources, previous, (typeUrl, value) => this.encodeAny(typeUrl, value));
    const changed = inPushOrder(changedTypes(previous, next));
    if (changed.length === 0) return { changedTypes: [] };
    this.snapshots.set(group, next);
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

  /** How many resources were wrapped in Any so far (each changed resource once, whatever the stream count). */
  get anyEncodeCount(): number {
    return this.encodes;
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

  private encodeAny(typeUrl: string, value: Uint8Array): Uint8Array {
    this.encodes++;
    return encodeAny(typeUrl, value);
  }
}

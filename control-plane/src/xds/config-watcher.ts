// What the ADS server needs of a cache (as go-control-plane's ConfigWatcher): the current snapshot
// of a proxy group, word when it changes, and whether the sources have loaded. SnapshotCache is
// the implementation; the server and streams know only this.
import type { Snapshot } from './snapshot.js';

/** Called with the type URLs (in push order) whose version changed in the group's snapshot. */
export type SnapshotListener = (changedTypes: readonly string[]) => void;

export interface ConfigWatcher {
  /** undefined until the group has a snapshot: its streams wait rather than get nothing-yet. */
  getSnapshot(group: string): Snapshot | undefined;
  /** Subscribes to a group's changes (the group need not exist yet); returns the unsubscribe function. */
  watch(group: string, listener: SnapshotListener): () => void;
  /** Until ready, new streams are refused with UNAVAILABLE: an empty answer would wipe a proxy's config. */
  isReady(): boolean;
}

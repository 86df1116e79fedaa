// What the store holds: the mesh state and each object's metadata. Its own module because the state
// file (store-file.ts) and the journal (store-journal.ts) both read and write it.
import type { MeshState } from '../model/types.js';

/** Bookkeeping the API shows beside each object: its version and when it was written. */
export interface ObjectMeta {
  /** Changes on every write that changes the object; equal content never gets a new one. */
  resourceVersion: string;
  createdAt: string;
  updatedAt: string;
}

export interface LaneMeta extends ObjectMeta {
  /** The lane's TTL ("2h"): how far a renewal pushes expiresAt out. */
  ttl?: string;
}

export interface StoreMeta {
  /** The last resourceVersion handed out; versions are this counter, so they only grow. */
  revision: number;
  settings: ObjectMeta;
  services: Record<string, ObjectMeta>;
  lanes: Record<string, LaneMeta>;
}

export interface StoreContents {
  state: MeshState;
  meta: StoreMeta;
}

// What a delta client holds of one type, as far as its stream told it: the type snapshot it was
// last brought in line with (the cache's object, shared by every stream of the group) plus a few
// exceptions. A stream in sync therefore keeps no per-resource state of its own.
import type { CachedResource, TypeSnapshot } from './snapshot.js';

const EMPTY = new Uint8Array(0);

function byName(a: CachedResource, b: CachedResource): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/** A resource known only by the version a reconnecting client says it holds. */
export function versionStub(name: string, version: string): CachedResource {
  return Object.freeze({ name, version, anyBytes: EMPTY });
}

/** Which names the client wants. */
export interface Scope {
  /** Whether the client wants `name` (subscribed, or every name while wildcard). */
  inScope(name: string): boolean;
  /** Whether it wants every name (wildcard), so no name needs asking. */
  allInScope(): boolean;
}

// No exceptions: shared, and replaced (never changed) by the first one.
const NO_EXCEPTIONS: ReadonlyMap<string, CachedResource | null> = new Map();

export class HeldResources {
  private base?: TypeSnapshot;
  /** Exceptions to `base` for names in scope: what is held instead, or null for nothing. */
  private overlay: ReadonlyMap<string, CachedResource | null> = NO_EXCEPTIONS;

  // An object rather than two closures: one of these per type and stream.
  constructor(private readonly scope: Scope) {}

  private inScope(name: string): boolean {
    return this.scope.inScope(name);
  }

  private allInScope(): boolean {
    return this.scope.allInScope();
  }

  /** The exceptions, to change: a table of this holder's own from the first change. */
  private exceptions(): Map<string, CachedResource | null> {
    if (this.overlay === NO_EXCEPTIONS) this.overlay = new Map();
    return this.overlay as Map<string, CachedResource | null>;
  }

  get(name: string): CachedResource | undefined {
    const exception = this.overlay.get(name);
    if (exception !== undefined) return exception ?? undefined;
    return this.base && this.inScope(name) ? this.base.resources.get(name) : undefined;
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  set(resource: CachedResource): void {
    this.exceptions().set(resource.name, resource);
  }

  /** The client no longer holds `name`. */
  drop(name: string): void {
    if (this.base?.resources.has(name)) this.exceptions().set(name, null);
    else if (this.overlay.has(name)) this.exceptions().delete(name);
  }

  /** Forgets exceptions for names that left the scope (they are not held any more). */
  pruneOutOfScope(): void {
    for (const name of [...this.overlay.keys()]) if (!this.inScope(name)) this.exceptions().delete(name);
  }

  /** Before the scope grows (entering wildcard): base names outside it were never sent. */
  freezeOutOfScope(): void {
    for (const name of this.base?.resources.keys() ?? []) if (!this.inScope(name) && !this.overlay.has(name)) this.exceptions().set(name, null);
  }

  /** Every held name, once: base names in scope, then the exceptions held instead. */
  *names(): Generator<string> {
    for (const name of this.base?.resources.keys() ?? []) if (!this.overlay.has(name) && this.inScope(name)) yield name;
    for (const [name, r] of this.overlay) if (r) yield name;
  }

  /** The snapshot the client holds exactly, for every name in it; undefined when there are exceptions. */
  plainBase(): TypeSnapshot | undefined {
    return this.overlay.size === 0 ? this.base : undefined;
  }

  private inSyncWith(base: TypeSnapshot): boolean {
    if (this.overlay.size > 0) return false;
    if (this.allInScope()) return true;
    // Part by part: the merged, name-ordered list is not needed to ask each name.
    for (const part of base.resources.parts) for (const name of part.keys()) if (!this.inScope(name)) return false;
    return true;
  }

  /** After a push: the client holds `snapshot` for every name in scope, except `kept` (held from before). */
  syncTo(snapshot: TypeSnapshot, kept: readonly CachedResource[]): void {
    this.base = snapshot;
    this.overlay = kept.length === 0 ? NO_EXCEPTIONS : new Map(kept.map((r) => [r.name, r]));
  }

  /** What the client holds, sorted by name; in sync with every name in scope, the cache's own list. */
  list(): readonly CachedResource[] {
    const base = this.base;
    if (base && this.inSyncWith(base)) {
      return base.resources.list;
    }
    return [...this.names()].map((name) => this.get(name)!).sort(byName);
  }
}

// A set of names that allocates its table only once something is added. A stream keeps several
// per type (forced, anticipated, pending...), nearly always empty, and an empty Set still costs
// a table of its own: with thousands of streams that was kilobytes per stream.

const NONE: ReadonlySet<string> = new Set();

export class SparseSet implements Iterable<string> {
  private set?: Set<string>;

  get size(): number {
    return this.set?.size ?? 0;
  }

  has(name: string): boolean {
    return this.set !== undefined && this.set.has(name);
  }

  add(name: string): this {
    (this.set ??= new Set()).add(name);
    return this;
  }

  delete(name: string): boolean {
    if (this.set === undefined || !this.set.delete(name)) return false;
    if (this.set.size === 0) this.set = undefined;
    return true;
  }

  clear(): void {
    this.set = undefined;
  }

  [Symbol.iterator](): Iterator<string> {
    return (this.set ?? NONE)[Symbol.iterator]();
  }
}

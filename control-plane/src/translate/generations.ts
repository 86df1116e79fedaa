// A memo that forgets what nobody asked for lately: two generations of entries; a hit in the old
// one moves to the new one, and once the new one has grown to twice what survived the last turn,
// the old one (everything not used since) is dropped. Memory follows the live model, however many
// lanes come and go.

export class Generations<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private survivors = 0;

  constructor(private readonly minimum = 4096) {}

  get(key: string): V | undefined {
    const young = this.young.get(key);
    if (young !== undefined) return young;
    const old = this.old.get(key);
    if (old !== undefined) {
      this.old.delete(key);
      this.young.set(key, old);
    }
    return old;
  }

  set(key: string, value: V): void {
    this.young.set(key, value);
    if (this.young.size > 2 * this.survivors + this.minimum) this.turn();
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  private turn(): void {
    this.old = this.young;
    this.young = new Map();
    this.survivors = this.old.size;
  }
}

// The load generator's own garbage, collected before it times anything (it runs with --expose-gc).

/**
 * A full collection before timing, not a long pause of this process in the middle of it (at 10,000
 * streams its heap's major GC stalls it for a second or more); then a pause, so the collector's
 * sweeping, on this process's one CPU, is done too.
 */
export async function collectGarbage(): Promise<void> {
  if (!globalThis.gc) return;
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 300));
}

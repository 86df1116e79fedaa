// The load generator's own garbage, collected before it times anything (it runs with --expose-gc).

/** Below this heap, collecting first costs the timing more than it saves (it then allocates its young generation afresh). */
const WORTH_COLLECTING_BYTES = 256 * 1024 * 1024; // about 90 MB at 1,000 streams, 430 MB at 10,000

/**
 * A full collection before timing, not a long pause of this process in the middle of it: at 10,000
 * streams its heap's major GC stalled it for a second or more. Then a pause, so the collector's
 * sweeping, on this process's one CPU, is done too. Only for a big heap: at 1,000 streams a forced
 * collection made the next lane create's processing here slower (stalls 13-19 ms → 49-53 ms).
 */
export async function collectGarbage(): Promise<void> {
  const heap = process.memoryUsage().heapUsed;
  if (!globalThis.gc || heap < WORTH_COLLECTING_BYTES) return;
  globalThis.gc();
  await new Promise((r) => setTimeout(r, 300));
}

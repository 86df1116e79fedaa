// How far V8 lets the old generation grow past the live heap before its next major GC. V8 picks
// the factor itself (1.1 to 4) from how fast it marks against how fast the program allocates; with
// 10,000 streams it settled near 1.16 in some runs, so the few MB a lane push promotes started a
// major GC every other create, each marking about 235 MB on the one CPU the pushes need
// (docs/adr/0012-heap-growth.md). A fixed factor of 2 keeps major GCs out of most pushes, for at
// most twice the live heap between collections.
import { setFlagsFromString } from 'node:v8';

/** The V8 flag for a growth of `percent` % (factor 1 + percent / 100); none for 0, V8's own choice. */
export function heapGrowthFlag(percent: number): string | undefined {
  if (!Number.isInteger(percent) || percent < 0) throw new RangeError(`heap growing percent must be a whole number >= 0, got ${percent}`);
  return percent === 0 ? undefined : `--heap-growing-percent=${percent}`;
}

/** Sets the growth for this process; V8 reads it at every major GC, so setting it at start is enough. */
export function applyHeapGrowth(percent: number): void {
  const flag = heapGrowthFlag(percent);
  if (flag) setFlagsFromString(flag);
}

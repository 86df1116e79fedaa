// The control plane's memory during the soak: RSS (from /proc) and V8 heap in use (from its own
// /metrics) sampled per process, the heap still in use after a full GC (its GC probe,
// soak-gc-probe.cjs), and the slope per minute by least squares.
import { existsSync, readFileSync } from 'node:fs';

export interface MemorySample {
  /** Which control-plane process (1 = the first; each restart starts the next). */
  incarnation: number;
  pid: number;
  t: number;
  rssMiB: number;
  heapMiB: number;
  /** Heap in use right after a full GC: the live heap (only on some samples). */
  liveHeapMiB?: number;
  /** The live heap less V8's code spaces (compiled code): the data the control plane keeps. */
  liveDataMiB?: number;
}

/** VmRSS of a live process, in MiB. */
function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.match(/(\d+)/)?.[1] ?? NaN) / 1024;
}

async function heapUsedMiB(apiUrl: string): Promise<number> {
  const text = await (await fetch(`${apiUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('nodejs_heap_size_used_bytes '));
  return Number(line?.split(' ')[1] ?? NaN) / 2 ** 20;
}

/** Asks the process's GC probe for a full GC and waits (up to 5 s) for the heap (and the code in it) it then reports. */
async function liveHeap(pid: number, gcFile: string): Promise<{ liveHeapMiB: number; liveDataMiB: number } | undefined> {
  const since = Date.now();
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 5000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    if (!existsSync(gcFile)) continue;
    const lines = readFileSync(gcFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { pid: number; t: number; heapUsed: number; code: number });
    const answer = lines.filter((l) => l.pid === pid && l.t >= since).at(-1);
    if (answer) return { liveHeapMiB: answer.heapUsed / 2 ** 20, liveDataMiB: (answer.heapUsed - answer.code) / 2 ** 20 };
  }
  return undefined;
}

/**
 * A sample, or undefined when the process is gone or not answering (a restart under way). With
 * `gcFile`, the process is also made to run a full GC and the live heap is recorded.
 */
export async function sampleMemory(incarnation: number, pid: number, apiUrl: string, gcFile?: string): Promise<MemorySample | undefined> {
  try {
    const heapMiB = await heapUsedMiB(apiUrl);
    const sample: MemorySample = { incarnation, pid, t: Date.now(), rssMiB: rssMiB(pid), heapMiB };
    const live = gcFile === undefined ? undefined : await liveHeap(pid, gcFile);
    return live === undefined ? sample : { ...sample, ...live };
  } catch {
    return undefined;
  }
}

/** Least-squares slope of y over x. */
function slope(points: ReadonlyArray<readonly [number, number]>): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let sxy = 0;
  let sxx = 0;
  for (const [x, y] of points) {
    sxy += (x - mx) * (y - my);
    sxx += (x - mx) ** 2;
  }
  return sxx === 0 ? NaN : sxy / sxx;
}

export interface MemoryFit {
  incarnation: number | 'all';
  samples: number;
  minutes: number;
  rssFirst: number;
  rssLast: number;
  /** MiB per minute. */
  rssSlope: number;
  heapSlope: number;
  liveFirst: number;
  liveLast: number;
  /** Slope of the heap in use after a full GC, compiled code included. */
  liveSlope: number;
  liveDataFirst: number;
  liveDataLast: number;
  /** Slope of the live heap less compiled code: the leak measure. */
  liveDataSlope: number;
}

/** Samples of a process's first `warmupMs` (start-up: JIT, caches, first snapshots) are left out. */
function steady(samples: readonly MemorySample[], warmupMs: number): MemorySample[] {
  const started = new Map<number, number>();
  for (const s of samples) if (!started.has(s.incarnation)) started.set(s.incarnation, s.t);
  return samples.filter((s) => s.t - started.get(s.incarnation)! >= warmupMs);
}

function fit(incarnation: number | 'all', all: readonly MemorySample[], key: 'rssMiB' | 'heapMiB' | 'liveHeapMiB' | 'liveDataMiB'): number {
  const samples = all.filter((s) => s[key] !== undefined) as Array<MemorySample & Record<typeof key, number>>;
  if (incarnation !== 'all') return slope(samples.map((s) => [s.t / 60_000, s[key]] as const));
  // One slope for all processes, each with its own level: every process's samples centred on its own means.
  const centred: Array<[number, number]> = [];
  for (const inc of new Set(samples.map((s) => s.incarnation))) {
    const own = samples.filter((s) => s.incarnation === inc);
    const mt = own.reduce((a, s) => a + s.t, 0) / own.length;
    const my = own.reduce((a, s) => a + s[key], 0) / own.length;
    for (const s of own) centred.push([(s.t - mt) / 60_000, s[key] - my]);
  }
  return slope(centred);
}

/** A fit per process and one pooled over all of them (a shared slope, each process at its own level). */
export function memoryFits(samples: readonly MemorySample[], warmupMs: number): MemoryFit[] {
  const kept = steady(samples, warmupMs);
  const groups: Array<[number | 'all', MemorySample[]]> = [...new Set(kept.map((s) => s.incarnation))].map((inc) => [inc, kept.filter((s) => s.incarnation === inc)]);
  groups.push(['all', kept]);
  return groups.map(([incarnation, own]) => ({
    incarnation,
    samples: own.length,
    minutes: own.length ? (own.at(-1)!.t - own[0]!.t) / 60_000 : 0,
    rssFirst: own[0]?.rssMiB ?? NaN,
    rssLast: own.at(-1)?.rssMiB ?? NaN,
    rssSlope: fit(incarnation, own, 'rssMiB'),
    heapSlope: fit(incarnation, own, 'heapMiB'),
    liveFirst: own.find((s) => s.liveHeapMiB !== undefined)?.liveHeapMiB ?? NaN,
    liveLast: own.filter((s) => s.liveHeapMiB !== undefined).at(-1)?.liveHeapMiB ?? NaN,
    liveSlope: fit(incarnation, own, 'liveHeapMiB'),
    liveDataFirst: own.find((s) => s.liveDataMiB !== undefined)?.liveDataMiB ?? NaN,
    liveDataLast: own.filter((s) => s.liveDataMiB !== undefined).at(-1)?.liveDataMiB ?? NaN,
    liveDataSlope: fit(incarnation, own, 'liveDataMiB'),
  }));
}

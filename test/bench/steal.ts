// CPU time the hypervisor ran something else while this machine's CPUs wanted to run ("steal" in
// /proc/stat). On a shared virtual machine a stolen slice stalls a server or the load generator
// just as a GC would, so the report shows it beside the latencies it can explain.
import { readFileSync } from 'node:fs';

export interface CpuTimes {
  steal: number;
  total: number;
}

/** Jiffies of all CPUs from /proc/stat's first line; undefined where there is no /proc/stat. */
export function cpuTimes(): CpuTimes | undefined {
  let line: string | undefined;
  try {
    line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0];
  } catch {
    return undefined;
  }
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const fields = line?.startsWith('cpu ') ? line.trim().split(/\s+/).slice(1, 9).map(Number) : [];
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) return undefined;
  return { steal: fields[7]!, total: fields.reduce((sum, n) => sum + n, 0) };
}

/** Percent of all CPU time between the two readings that was stolen; NaN when either is missing or no time passed. */
export function stealPercent(from: CpuTimes | undefined, to: CpuTimes | undefined): number {
  if (!from || !to || to.total <= from.total) return NaN;
  return (100 * (to.steal - from.steal)) / (to.total - from.total);
}

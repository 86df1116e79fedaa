// CPU an Envoy's worker thread uses, from /proc: the routing-cost and hop-records benchmarks run
// Envoy with one worker and divide requests by that thread's CPU seconds.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds (user + system) a thread (/proc/<pid>/task/<tid>) has used so far. */
export function cpuSeconds(taskDir: string): number {
  const fields = readFileSync(join(taskDir, 'stat'), 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Envoy's (only) worker thread, which does all the request work; the main thread does config and stats. */
export function workerThread(pid: number): string {
  const tasks = readdirSync(`/proc/${pid}/task`).map((tid) => `/proc/${pid}/task/${tid}`);
  const worker = tasks.find((dir) => readFileSync(join(dir, 'comm'), 'utf8').startsWith('wrk:worker'));
  if (!worker) throw new Error(`envoy ${pid} has no worker thread`);
  return worker;
}

// Load for the routing-cost benchmark: wrk (Debian's package; installed with apt-get when missing
// and we are root), else a small keep-alive Node load generator. Loopback only, bounded in time.
import { execFileSync, spawnSync } from 'node:child_process';
import http from 'node:http';

export interface LoadResult {
  rps: number;
  requests: number;
  /** Non-2xx answers and socket errors. */
  errors: number;
}

export interface LoadSpec {
  url: string;
  headers: Record<string, string>;
  seconds: number;
  connections: number;
  /** CPU to pin the load generator to (taskset), when available. */
  cpu?: number;
}

function has(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** "wrk" when it is (or can be made) available, else "node". */
export function pickLoadTool(): 'wrk' | 'node' {
  if (process.env.LANEWAY_BENCH_LOAD === 'node') return 'node';
  if (has('wrk')) return 'wrk';
  if (process.getuid?.() === 0 && has('apt-get')) {
    console.error('routing-cost: installing wrk (apt-get install -y wrk)...');
    spawnSync('sh', ['-c', 'apt-get install -y wrk >/dev/null 2>&1 || (apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1)'], { stdio: 'ignore', timeout: 180_000 });
    if (has('wrk')) return 'wrk';
  }
  return 'node';
}

function pinned(cpu: number | undefined, command: string, args: string[]): [string, string[]] {
  return cpu !== undefined && has('taskset') ? ['taskset', ['-c', String(cpu), command, ...args]] : [command, args];
}

function runWrk(spec: LoadSpec): LoadResult {
  // wrk replaces its own Host header only when the given one is spelled "Host".
  const headerArgs = Object.entries(spec.headers).flatMap(([k, v]) => ['-H', `${k.toLowerCase() === 'host' ? 'Host' : k}: ${v}`]);
  const [cmd, args] = pinned(spec.cpu, 'wrk', ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, ...headerArgs, spec.url]);
  const out = execFileSync(cmd, args, { encoding: 'utf8', timeout: (spec.seconds + 30) * 1000 });
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const errors = non2xx + (socketErrors ? socketErrors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  if (!Number.isFinite(rps)) throw new Error(`could not read wrk output:\n${out}`);
  return { rps, requests, errors };
}

async function runNode(spec: LoadSpec): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: spec.connections });
  const deadline = performance.now() + spec.seconds * 1000;
  let requests = 0;
  let errors = 0;
  const one = () => new Promise<void>((resolve) => {
    const req = http.get(spec.url, { agent, headers: spec.headers }, (res) => {
      if ((res.statusCode ?? 0) >= 300) errors++;
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', () => (errors++, resolve()));
  });
  const started = performance.now();
  await Promise.all(Array.from({ length: spec.connections }, async () => {
    while (performance.now() < deadline) {
      await one();
      requests++;
    }
  }));
  agent.destroy();
  return { rps: requests / ((performance.now() - started) / 1000), requests, errors };
}

export async function runLoad(tool: 'wrk' | 'node', spec: LoadSpec): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(spec) : runNode(spec);
}

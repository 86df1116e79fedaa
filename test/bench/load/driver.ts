// Starts the load generator in its own process, pinned to its own CPU, and sends it commands: one
// JSON command per line on its stdin, one JSON reply per line on its stdout. Two implementations
// speak this: the Go program (load-go/, the default: its cost per message is a fraction of the
// servers') and the Node one (loadgen.ts, `--loadgen node`).
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ChurnCommand, ChurnResult } from './churn.js';
import type { ConnectResult, LaneResult, LoadCommand } from './loadgen.js';

const LOADGEN_TS = fileURLToPath(new URL('./loadgen.ts', import.meta.url));
const LOADGEN_GO_DIR = fileURLToPath(new URL('../load-go', import.meta.url));
export const LOADGEN_CPU = '0';

/** Which load generator: the Go program's binary, or the Node script. */
export type LoadgenKind = { kind: 'go'; binary: string } | { kind: 'node' };

/** Builds the Go load generator once (go.mod pins gRPC and the Envoy API types, fetched through the Go module proxy). */
export function buildGoLoadgen(cacheDir: string): string {
  mkdirSync(cacheDir, { recursive: true });
  const binary = join(cacheDir, 'loadgen-go');
  execFileSync('go', ['build', '-o', binary, '.'], { cwd: LOADGEN_GO_DIR, stdio: ['ignore', 'inherit', 'inherit'] });
  return binary;
}

export class LoadDriver {
  private queue: Promise<unknown> = Promise.resolve();
  private readonly replies: Array<(line: string) => void> = [];

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => this.replies.shift()?.(line));
  }

  static start(loadgen: LoadgenKind): LoadDriver {
    const command = loadgen.kind === 'go'
      ? [loadgen.binary]
      : [process.execPath, '--max-old-space-size=4096', '--expose-gc', '--import', 'tsx', LOADGEN_TS];
    const child = spawn('taskset', ['-c', LOADGEN_CPU, ...command], { stdio: ['pipe', 'pipe', 'inherit'] });
    return new LoadDriver(child);
  }

  connect(c: Omit<Extract<LoadCommand, { cmd: 'connect' }>, 'cmd'>): Promise<ConnectResult> {
    return this.send({ cmd: 'connect', ...c }) as Promise<ConnectResult>;
  }

  lane(c: Omit<Extract<LoadCommand, { cmd: 'lane' }>, 'cmd'>): Promise<LaneResult> {
    return this.send({ cmd: 'lane', ...c }) as Promise<LaneResult>;
  }

  churn(c: Omit<ChurnCommand, 'cmd'>): Promise<ChurnResult> {
    return this.send({ cmd: 'churn', ...c }) as Promise<ChurnResult>;
  }

  /** Drops every stream and reconnects them all at once; times until all are synced again. */
  reconnect(c: { target: string; timeoutMs: number }): Promise<ConnectResult> {
    return this.send({ cmd: 'reconnect', ...c }) as Promise<ConnectResult>;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    await this.send({ cmd: 'close' }).catch(() => undefined);
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }

  /** One command at a time; resolves with its result. */
  private send(command: LoadCommand): Promise<unknown> {
    const run = () =>
      new Promise((resolve, reject) => {
        const onExit = () => reject(new Error('the load generator exited'));
        this.child.once('exit', onExit);
        this.replies.push((line) => {
          this.child.off('exit', onExit);
          const reply = JSON.parse(line) as { ok: boolean; result?: unknown; error?: string };
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`load generator: ${reply.error}`));
        });
        this.child.stdin!.write(`${JSON.stringify(command)}\n`);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

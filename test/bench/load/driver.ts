// Starts the load generator in its own process, pinned to its own CPU, and sends it commands.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ChurnCommand, ChurnResult } from './churn.js';
import type { ConnectResult, LaneResult, LoadCommand } from './loadgen.js';

const LOADGEN = fileURLToPath(new URL('./loadgen.ts', import.meta.url));
export const LOADGEN_CPU = '0';

export class LoadDriver {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(private readonly child: ChildProcess) {}

  static start(): LoadDriver {
    const child = spawn('taskset', ['-c', LOADGEN_CPU, process.execPath, '--max-old-space-size=4096', '--expose-gc', '--import', 'tsx', LOADGEN], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
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
    this.child.disconnect();
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
        this.child.once('message', (reply: { ok: boolean; result?: unknown; error?: string }) => {
          this.child.off('exit', onExit);
          if (reply.ok) resolve(reply.result);
          else reject(new Error(`load generator: ${reply.error}`));
        });
        this.child.send(command);
      });
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }
}

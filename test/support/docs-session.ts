// Runs a document's shell blocks one after another as a reader would in one terminal: the current
// directory and exported variables carry over from block to block (saved on exit, restored before
// the next), `set -e` makes the first failing command fail the block, and every block runs in its
// own process group so that what it leaves in the background is stopped when the document ends.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';

export interface BlockResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export class ShellSession {
  private readonly groups: number[] = [];
  private count = 0;
  private readonly envFile: string;
  private readonly cwdFile: string;

  constructor(private readonly dir: string, cwd: string, env: NodeJS.ProcessEnv) {
    this.envFile = join(dir, 'session.env');
    this.cwdFile = join(dir, 'session.cwd');
    const exports = Object.entries(env)
      .filter(([name, value]) => value !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
      .map(([name, value]) => `export ${name}=${shellQuote(value!)}`);
    writeFileSync(this.envFile, `${exports.join('\n')}\n`);
    writeFileSync(this.cwdFile, `${cwd}\n`);
  }

  cwd(): string {
    return readFileSync(this.cwdFile, 'utf8').trim();
  }

  /** Writes a file the document shows, relative to the session's current directory. */
  writeFile(name: string, text: string): void {
    writeFileSync(join(this.cwd(), name), text);
  }

  /** Runs a block to its end, or (background) starts it and waits until `readyAt` (host:port) accepts connections. */
  async run(text: string, timeoutMs: number, readyAt?: string): Promise<BlockResult> {
    const n = ++this.count;
    const out = join(this.dir, `block-${n}.out`);
    const err = join(this.dir, `block-${n}.err`);
    writeFileSync(join(this.dir, `block-${n}.sh`), this.script(text, readyAt === undefined));
    const [o, e] = [openSync(out, 'w'), openSync(err, 'w')];
    // env: the session file sets everything; only PATH to find bash.
    const child = spawn('bash', [join(this.dir, `block-${n}.sh`)], { stdio: ['ignore', o, e], detached: true, env: { PATH: process.env.PATH } });
    closeSync(o);
    closeSync(e);
    if (child.pid !== undefined) this.groups.push(child.pid);
    const done = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const read = () => ({ stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8') });
    if (readyAt !== undefined) {
      const ready = await Promise.race([waitForPort(readyAt, timeoutMs), done.then(() => false)]);
      return { code: ready ? 0 : 1, ...read(), ...(ready ? {} : { stderr: `${read().stderr}\n(not listening on ${readyAt})` }) };
    }
    const timer = setTimeout(() => this.killGroup(child.pid!), timeoutMs);
    const code = await done;
    clearTimeout(timer);
    return { code, ...read() };
  }

  /** Stops everything the blocks started: SIGTERM to each block's process group, SIGKILL to what is left. */
  async close(): Promise<void> {
    for (const pid of this.groups) this.signalGroup(pid, 'SIGTERM');
    await new Promise((r) => setTimeout(r, 1500));
    for (const pid of this.groups) this.signalGroup(pid, 'SIGKILL');
  }

  /** `saveState`: false for a background block, which ends (stopped) only after later blocks changed the state. */
  private script(text: string, saveState: boolean): string {
    return [
      `source ${shellQuote(this.envFile)}`,
      `cd "$(cat ${shellQuote(this.cwdFile)})"`,
      ...(saveState ? [`trap 'export -p > ${shellQuote(this.envFile)}; pwd > ${shellQuote(this.cwdFile)}' EXIT`] : []),
      'set -eo pipefail',
      text,
    ].join('\n');
  }

  private killGroup(pid: number): void {
    this.signalGroup(pid, 'SIGKILL');
  }

  private signalGroup(pid: number, signal: NodeJS.Signals): void {
    try {
      process.kill(-pid, signal);
    } catch {
      // already gone
    }
  }
}

function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

async function waitForPort(address: string, timeoutMs: number): Promise<boolean> {
  const [host, port] = [address.slice(0, address.lastIndexOf(':')), Number(address.slice(address.lastIndexOf(':') + 1))];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, host, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

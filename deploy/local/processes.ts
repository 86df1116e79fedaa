// Child processes for the local mesh: started with their output in a log file, stopped by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, closeSync } from 'node:fs';
import net from 'node:net';

export interface Managed {
  name: string;
  child: ChildProcess;
  logFile: string;
  /** SIGTERM, then SIGKILL after graceMs; resolves when the process has exited. */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL at once (for crash tests); resolves when the process has exited. */
  kill(): Promise<void>;
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export function startProcess(name: string, command: string, args: string[], logFile: string, env?: NodeJS.ProcessEnv): Managed {
  const fd = openSync(logFile, 'a');
  const child = spawn(command, args, { stdio: ['ignore', fd, fd], env: env ?? process.env });
  closeSync(fd);
  child.on('error', () => {}); // a spawn failure shows as an exit; callers check readiness
  const signal = async (sig: NodeJS.Signals, graceMs: number) => {
    if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited(child);
    clearTimeout(timer);
  };
  return {
    name,
    child,
    logFile,
    stop: (graceMs = 3000) => signal('SIGTERM', graceMs),
    kill: () => signal('SIGKILL', 0),
  };
}

/** Ports this process handed out: a closed probe frees its port, and the kernel may hand it out again. */
const handedOut = new Set<number>();
// Below Linux's default ephemeral range (32768-60999), so outbound connections (Envoy to the control
// plane, clients) cannot take a port between the pick and the bind of whatever it was picked for.
const PICK_FROM = 20000;
const PICK_SPAN = 12000;

function probe(port: number, host: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(undefined));
    server.listen(port, host, () => {
      const { port: bound } = server.address() as net.AddressInfo;
      server.close(() => resolve(bound));
    });
  });
}

/** A port free on `host` now, never one this process handed out before. */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const wanted = attempt < 100 ? PICK_FROM + Math.floor(Math.random() * PICK_SPAN) : 0;
    if (handedOut.has(wanted)) continue;
    const port = await probe(wanted, host);
    if (port !== undefined && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error(`no free port on ${host} after 200 tries`);
}

/** Polls until check() resolves true, or fails after timeoutMs naming what it waited for. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 15000, everyMs = 50): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (err) {
      lastError = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (last error: ${(lastError as Error).message})` : ''}`);
}

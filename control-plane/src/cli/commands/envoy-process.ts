// Runs envoy as a child standing in for this process: signals pass through, its exit code is ours.
// Node cannot exec(); where util-linux's setpriv is on PATH, envoy also gets SIGTERM when this
// process dies without passing it on (kill -9), so no orphaned Envoy keeps a registration alive.
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { constants as os } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGUSR1'];

/** The executable `bin` names (a path, or a name looked up on PATH); undefined when there is none. */
export function findOnPath(bin: string, path: string): string | undefined {
  const candidates = bin.includes('/') ? [bin] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, bin));
  for (const candidate of candidates) {
    try {
      accessSync(candidate, constants.X_OK);
      return isAbsolute(candidate) ? candidate : join(process.cwd(), candidate);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Resolves with envoy's exit code, or 128 + the signal's number when a signal ended it (as a shell reports it). */
export function runEnvoy(envoy: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const setpriv = process.platform === 'linux' ? findOnPath('setpriv', process.env.PATH ?? '') : undefined;
  const child = setpriv
    ? spawn(setpriv, ['--pdeathsig', 'TERM', '--', envoy, ...args], { stdio: 'inherit', env })
    : spawn(envoy, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of FORWARDED) process.on(signal, forward);
  return new Promise((resolve) => {
    const done = (code: number) => {
      for (const signal of FORWARDED) process.off(signal, forward);
      resolve(code);
    };
    child.once('error', (err) => {
      process.stderr.write(`laneway envoy: could not start ${envoy}: ${err.message}\n`);
      done(127);
    });
    child.once('exit', (code, signal) => done(signal ? 128 + (os.signals[signal] ?? 0) : (code ?? 1)));
  });
}

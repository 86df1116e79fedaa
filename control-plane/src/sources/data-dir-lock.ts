// One writer per data directory. Two control planes on one directory would each replay the journal,
// append to it and compact it, and one's acknowledged writes would vanish at the next start. The
// lock is the kernel's flock(2) on `<dataDir>/lock`, the kind etcd and Prometheus take: it belongs
// to the open file, so it ends with the process however that ends (SIGKILL included) and no stale
// lock file can block the next start. Node has no flock call, so util-linux's (or busybox's)
// `flock -n <fd>` takes it on the descriptor this process opened and passes down; the lock stays
// with that open file after the helper exits. The file also says who holds it, for the refusal.
// Where there is no flock command, the PID in the file is checked instead (a weaker fallback).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

export const LOCK_FILE = 'lock';

export class DataDirLockedError extends Error {}

export interface DataDirLock {
  readonly path: string;
  /** Releases the lock (closing the file); later calls do nothing. */
  release(): void;
}

/**
 * Runs `flock -n -x 3` on `fd`: resolves true when the lock is now ours, false when another open
 * file has it, 'missing' when there is no flock command.
 */
function flockNonBlocking(fd: number): Promise<boolean | 'missing'> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-n', '-x', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? resolve('missing') : reject(err)));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      // util-linux and busybox both exit 1 when the lock is held; anything on stderr is a real error.
      else if (code === 1 && stderr.trim() === '') resolve(false);
      else reject(new Error(`flock failed (exit ${code}): ${stderr.trim()}`));
    });
  });
}

/**
 * Without a flock command (macOS has none by default): the holder the file names is taken to hold
 * it while a process with its PID runs on this host. Weaker (two starts racing, a reused PID), so
 * it is a fallback with a warning, not the way.
 */
function pidFileFree(text: string): boolean {
  let holder: { pid?: unknown; host?: unknown };
  try {
    holder = JSON.parse(text);
  } catch {
    return true;
  }
  if (holder.host !== hostname() || typeof holder.pid !== 'number' || holder.pid === process.pid) return true;
  try {
    process.kill(holder.pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

function describeHolder(text: string): string {
  try {
    const holder = JSON.parse(text) as { pid?: unknown; host?: unknown; since?: unknown };
    return `pid ${holder.pid} on host ${holder.host}, since ${holder.since}`;
  } catch {
    return 'a process that has not written its name yet';
  }
}

/**
 * Takes the data directory's exclusive lock for as long as this process runs (or until release);
 * throws DataDirLockedError naming the directory and the holder when another process has it.
 */
export async function lockDataDir(dataDir: string): Promise<DataDirLock> {
  fs.mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, LOCK_FILE);
  const fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT, 0o600);
  let acquired: boolean | 'missing';
  try {
    acquired = await flockNonBlocking(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
  }
  const byPid = acquired === 'missing';
  if (byPid) {
    process.emitWarning(`no flock command on PATH (util-linux or busybox): the data directory ${dataDir} is guarded by the PID in ${path} only`);
    acquired = pidFileFree(fs.readFileSync(path, 'utf8'));
  }
  if (!acquired) {
    const holder = describeHolder(fs.readFileSync(path, 'utf8'));
    fs.closeSync(fd);
    throw new DataDirLockedError(`data directory ${dataDir} is in use by another control plane (${holder}; lock ${path}); stop it or start this one with another --data-dir`);
  }
  const holder = `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() })}\n`;
  fs.ftruncateSync(fd, 0);
  fs.writeSync(fd, holder, 0);
  let open = true;
  return {
    path,
    release() {
      if (!open) return;
      open = false;
      // A PID left in the file would guard the directory for whatever process gets that PID next.
      if (byPid) fs.ftruncateSync(fd, 0);
      fs.closeSync(fd);
    },
  };
}

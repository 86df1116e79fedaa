// One writer per data directory. Two control planes on one directory would each replay the journal,
// append to it and compact it, and one's acknowledged writes would vanish at the next start. The
// lock is the kernel's flock(2) on `<dataDir>/lock`, the kind etcd and Prometheus take: it belongs
// to the open file, so it ends with the process however that ends (SIGKILL included) and no stale
// lock file can block the next start. Node has no flock call, so util-linux's (or busybox's)
// `flock -n <fd>` takes it on the descriptor this process opened and passes down; the lock stays
// with that open file after the helper exits. The file also says who holds it, for the refusal.
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

/** Runs `flock -n -x 3` on `fd`: resolves true when the lock is now ours, false when another open file has it. */
function flockNonBlocking(fd: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-n', '-x', '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(err.code === 'ENOENT' ? new Error('the `flock` command (util-linux or busybox) is needed to lock the data directory and is not on PATH') : err));
    child.on('close', (code) => {
      if (code === 0) resolve(true);
      // util-linux and busybox both exit 1 when the lock is held; anything on stderr is a real error.
      else if (code === 1 && stderr.trim() === '') resolve(false);
      else reject(new Error(`flock failed (exit ${code}): ${stderr.trim()}`));
    });
  });
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
  let acquired: boolean;
  try {
    acquired = await flockNonBlocking(fd);
  } catch (err) {
    fs.closeSync(fd);
    throw err;
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
      fs.closeSync(fd);
    },
  };
}

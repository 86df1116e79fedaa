// The data directory's lock: flock(2) on <dataDir>/lock, refused while another open file holds it,
// free again once the holder releases it or dies, even by SIGKILL.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataDirLockedError, lockDataDir } from '../../control-plane/src/sources/data-dir-lock.js';

describe('data directory lock', () => {
  const root = mkdtempSync(join(tmpdir(), 'laneway-lock-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('a second lock is refused naming the directory and the holder; released, it can be taken again', async () => {
    const dir = join(root, 'a');
    const lock = await lockDataDir(dir);
    const holder = JSON.parse(readFileSync(join(dir, 'lock'), 'utf8'));
    assert.deepEqual([holder.pid, holder.host], [process.pid, hostname()]);
    await assert.rejects(lockDataDir(dir), (err: Error) => {
      assert.ok(err instanceof DataDirLockedError);
      assert.equal(err.message, `data directory ${dir} is in use by another control plane (pid ${process.pid} on host ${hostname()}, since ${holder.since}; lock ${join(dir, 'lock')}); stop it or start this one with another --data-dir`);
      return true;
    });
    lock.release();
    lock.release();
    (await lockDataDir(dir)).release();
  });

  test('a holder killed with SIGKILL leaves nothing that blocks the next lock', async () => {
    const dir = join(root, 'b');
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { lockDataDir } = await import(${JSON.stringify(new URL('../../control-plane/src/sources/data-dir-lock.ts', import.meta.url).href)});
      await lockDataDir(${JSON.stringify(dir)});
      console.log('locked');
      setInterval(() => {}, 1000);
    `], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout!.on('data', (c: Buffer) => c.toString().includes('locked') && resolve()));
    await assert.rejects(lockDataDir(dir), new RegExp(`in use by another control plane \\(pid ${holder.pid} `));
    // Without a flock command the PID in the file guards the directory while that process lives.
    const withoutFlock = () => {
      const path = process.env.PATH;
      process.env.PATH = '/nonexistent';
      return lockDataDir(dir).finally(() => (process.env.PATH = path));
    };
    await assert.rejects(withoutFlock(), new RegExp(`in use by another control plane \\(pid ${holder.pid} `));
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    (await lockDataDir(dir)).release();
    const byPid = await withoutFlock();
    assert.equal(JSON.parse(readFileSync(join(dir, 'lock'), 'utf8')).pid, process.pid);
    byPid.release();
    assert.equal(readFileSync(join(dir, 'lock'), 'utf8'), '', 'released: no PID left to guard the directory');
  });
});

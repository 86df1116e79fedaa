// Soak instrumentation, preloaded into the control plane only by the soak (`node --expose-gc
// --require soak-gc-probe.cjs`): on SIGUSR2 it runs a full GC and appends the heap still in use
// as a JSON line to $LANEWAY_SOAK_GC_FILE. Heap in use sampled without a GC includes garbage V8
// has not collected yet, so only this measure can tell a slow leak from the GC's sawtooth. It also
// reports how much of that is compiled code (V8's code spaces): code grows while the JIT optimizes
// more of the program, which is not the control plane keeping data.
// To see what a growing heap holds: create the file `take` in $LANEWAY_SOAK_SNAPSHOT_DIR during a
// run; at the next sample the probe also writes a heap snapshot there (<pid>-<ms>.heapsnapshot)
// and removes `take`. Two snapshots of one process, compared in Chrome DevTools, show the growth.
'use strict';
const { appendFileSync, rmSync, existsSync } = require('node:fs');
const { join } = require('node:path');
const { getHeapSpaceStatistics, writeHeapSnapshot } = require('node:v8');

const file = process.env.LANEWAY_SOAK_GC_FILE;
const snapshotDir = process.env.LANEWAY_SOAK_SNAPSHOT_DIR;
if (file && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    global.gc();
    const { heapUsed, rss } = process.memoryUsage();
    const code = getHeapSpaceStatistics().filter((s) => s.space_name.startsWith('code_')).reduce((sum, s) => sum + s.space_used_size, 0);
    appendFileSync(file, `${JSON.stringify({ pid: process.pid, t: Date.now(), heapUsed, code, rss })}\n`);
    if (snapshotDir && existsSync(join(snapshotDir, 'take'))) {
      rmSync(join(snapshotDir, 'take'));
      writeHeapSnapshot(join(snapshotDir, `${process.pid}-${Date.now()}.heapsnapshot`));
    }
  });
}

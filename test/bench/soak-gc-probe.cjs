// Soak instrumentation, preloaded into the control plane only by the soak (`node --expose-gc
// --require soak-gc-probe.cjs`): on SIGUSR2 it runs a full GC and appends the heap still in use
// as a JSON line to $LANEWAY_SOAK_GC_FILE. Heap in use sampled without a GC includes garbage V8
// has not collected yet, so only this measure can tell a slow leak from the GC's sawtooth.
'use strict';
const { appendFileSync } = require('node:fs');

const file = process.env.LANEWAY_SOAK_GC_FILE;
if (file && typeof global.gc === 'function') {
  process.on('SIGUSR2', () => {
    global.gc();
    const { heapUsed, rss } = process.memoryUsage();
    appendFileSync(file, `${JSON.stringify({ pid: process.pid, t: Date.now(), heapUsed, rss })}\n`);
  });
}

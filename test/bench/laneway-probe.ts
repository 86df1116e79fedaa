// Preloaded (--import) into the benchmarked Laneway process only: on SIGUSR2, a full GC, then
// process.memoryUsage() written to LANEWAY_BENCH_PROBE_FILE, so the bench reads heap per stream
// without any endpoint in the product.
import { renameSync, writeFileSync } from 'node:fs';

const file = process.env['LANEWAY_BENCH_PROBE_FILE'];
let seq = 0;
if (file) {
  process.on('SIGUSR2', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    writeFileSync(`${file}.tmp`, JSON.stringify({ seq: ++seq, gc: gc !== undefined, ...process.memoryUsage() }));
    renameSync(`${file}.tmp`, file);
  });
}

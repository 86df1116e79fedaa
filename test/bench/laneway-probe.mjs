// Plain JavaScript, so a compiled server runs without a TypeScript loader. Preloaded (--import) into the benchmarked Laneway process only, so the product has no such
// endpoint. On SIGUSR2 it runs the command in `<LANEWAY_BENCH_PROBE_FILE>.cmd` (default "heap"):
// "heap": a full GC, then process.memoryUsage(); "profile-start" / "profile-stop": the V8 CPU
// profiler, the profile written to `<file>.cpuprofile`; "heap-snapshot": `<file>.heapsnapshot`. Each answer goes to the probe file with a
// growing `seq`. LANEWAY_BENCH_V8_FLAGS: V8 flags set at start, for those NODE_OPTIONS refuses
// (`--trace-gc` prints every collection to the server's log, which `--keep` keeps).
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { setFlagsFromString, writeHeapSnapshot } from 'node:v8';

const file = process.env['LANEWAY_BENCH_PROBE_FILE'];
const v8Flags = process.env['LANEWAY_BENCH_V8_FLAGS'];
if (v8Flags) setFlagsFromString(v8Flags);
let seq = 0;
/** @type {Session | undefined} */
let session;

function answer(body) {
  writeFileSync(`${file}.tmp`, JSON.stringify({ seq: ++seq, ...body }));
  renameSync(`${file}.tmp`, file);
}

function post(method) {
  return new Promise((resolve, reject) => session.post(method, (err, result) => (err ? reject(err) : resolve(result))));
}

async function run(command) {
  if (command === 'profile-start') {
    session ??= new Session();
    session.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
    answer({ profiling: true });
  } else if (command === 'profile-stop' && session) {
    const { profile } = await post('Profiler.stop');
    session.disconnect();
    writeFileSync(`${file}.cpuprofile`, JSON.stringify(profile));
    answer({ profile: `${file}.cpuprofile` });
  } else if (command === 'heap-snapshot') {
    answer({ snapshot: writeHeapSnapshot(`${file}.heapsnapshot`) });
  } else {
    const gc = globalThis.gc;
    gc?.();
    answer({ gc: gc !== undefined, ...process.memoryUsage() });
  }
}

if (file) {
  process.on('SIGUSR2', () => {
    const command = existsSync(`${file}.cmd`) ? readFileSync(`${file}.cmd`, 'utf8').trim() : 'heap';
    run(command).catch((err) => answer({ error: err.message }));
  });
}

// The control plane's work for one lane write, in process and without streams: the store write
// (copy, validate, persist), the merge with other sources, and the incremental publish, each timed,
// over K lane creates on the bench topology. `tsx test/bench/write-path.ts [services] [lanes] [K]`;
// prints JSON. With `--profile FILE`, a V8 CPU profile of the writes alone goes to FILE.
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import { mergeSources } from '../../control-plane/src/sources/merge.js';
import { FileStore } from '../../control-plane/src/sources/store.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { benchLane, benchState, serviceName } from './topology.js';
import { percentile } from './stats.js';

export interface WritePathResult {
  services: number;
  lanes: number;
  writes: number;
  /** Medians over the writes, in ms. */
  storeMs: number;
  mergeMs: number;
  publishMs: number;
  totalMs: number;
  totalP90Ms: number;
}

async function measure(services: number, lanes: number, writes: number, profileFile?: string): Promise<WritePathResult> {
  const dir = await mkdtemp(join(tmpdir(), 'laneway-write-path-'));
  try {
    const state = benchState({ services, lanes });
    await writeFile(join(dir, 'state.json'), JSON.stringify({ format: 2, ...state }));
    const store = await FileStore.open(dir);
    const publisher = new SnapshotPublisher(new SnapshotCache(), pino({ level: 'silent' }));
    for (let i = 0; i < services; i++) publisher.register({ kind: 'sidecar', service: serviceName(i), listenerAddress: '127.0.0.1', listenerPort: 15001 });
    publisher.publish(store.state());
    const session = profileFile ? new Session() : undefined;
    session?.connect();
    await session?.post('Profiler.enable');
    await session?.post('Profiler.start');
    const samples = { store: [] as number[], merge: [] as number[], publish: [] as number[], total: [] as number[] };
    for (let k = 0; k < writes; k++) {
      const t0 = performance.now();
      await store.putLane(benchLane(lanes + k, { services }));
      const t1 = performance.now();
      const { state: merged, errors } = mergeSources(store.state(), { services: {}, lanes: {} });
      if (errors.length > 0) throw new Error(`merge failed: ${JSON.stringify(errors[0])}`);
      const t2 = performance.now();
      publisher.publish(merged);
      const t3 = performance.now();
      samples.store.push(t1 - t0);
      samples.merge.push(t2 - t1);
      samples.publish.push(t3 - t2);
      samples.total.push(t3 - t0);
    }
    if (session) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(profileFile!, JSON.stringify(profile));
      session.disconnect();
    }
    const median = (values: number[]) => percentile(values, 50);
    return {
      services, lanes, writes,
      storeMs: median(samples.store), mergeMs: median(samples.merge), publishMs: median(samples.publish),
      totalMs: median(samples.total), totalP90Ms: percentile(samples.total, 90),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const args = process.argv.slice(2);
const at = args.indexOf('--profile');
const profileFile = at >= 0 ? args.splice(at, 2)[1] : undefined;
const [services, lanes, writes] = args.map(Number);
process.stdout.write(`${JSON.stringify(await measure(services ?? 500, lanes ?? 1000, writes ?? 30, profileFile))}\n`);

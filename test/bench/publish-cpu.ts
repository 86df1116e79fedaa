// The cold full publish of rebuild.ts, timed in wall and process CPU time (steadier than wall on a
// shared machine), then lanes added one by one: `tsx test/bench/publish-cpu.ts [services] [lanes]
// [callees] [adds]`; prints JSON. Run it alternately in two checkouts to compare them (ADR 0016).
import { pino } from 'pino';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import type { Lane, MeshState } from '../../control-plane/src/model/types.js';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { benchState, serviceName } from './topology.js';

/** [wall ms, CPU ms] of `f`. */
function timed(f: () => void): [number, number] {
  const cpu = process.cpuUsage();
  const started = performance.now();
  f();
  const used = process.cpuUsage(cpu);
  return [performance.now() - started, (used.user + used.system) / 1000];
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const round = (ms: number) => Math.round(ms * 10) / 10;

const [services = 500, lanes = 10_000, callees = 10, adds = 12] = process.argv.slice(2).map(Number);
let state: MeshState = deepFreeze(benchState({ services, lanes, callees }));
const publisher = new SnapshotPublisher(new SnapshotCache(), pino({ level: 'silent' }));
for (let i = 0; i < services; i++) publisher.register({ kind: 'sidecar', service: serviceName(i), listenerAddress: '127.0.0.1', listenerPort: 15001 });
const [publishMs, publishCpuMs] = timed(() => publisher.publish(state));
const added: Array<[number, number]> = [];
for (let k = 0; k < adds; k++) {
  const lane: Lane = { name: `bench-add-${k}`, services: { [serviceName((k * 37) % services)]: [`10.250.${k}.1:8080`], [serviceName((k * 53 + 7) % services)]: [`10.250.${k}.2:8080`] } };
  state = deepFreeze({ ...state, lanes: { ...state.lanes, [lane.name]: lane } });
  added.push(timed(() => publisher.publish(state)));
}
// The first adds still compile code paths a cold publish did not take: the median of the rest.
const steady = added.slice(2);
process.stdout.write(`${JSON.stringify({
  services, lanes, publishMs: round(publishMs), publishCpuMs: round(publishCpuMs),
  addMedianMs: round(median(steady.map(([ms]) => ms))), addMedianCpuMs: round(median(steady.map(([, cpu]) => cpu))),
})}\n`);

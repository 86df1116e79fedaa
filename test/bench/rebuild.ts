// Full rebuild: every sidecar group of the bench topology translated, encoded and cached, as the
// wiring does it (SnapshotPublisher), with the parts timed separately; then one lane added, as an
// incremental publish. Run as its own process by xds-bench.ts: `tsx rebuild.ts <services> <lanes> <callees>`;
// prints JSON.
import { pino } from 'pino';
import { deepFreeze } from '../../control-plane/src/model/deep-freeze.js';
import { groupInputs } from '../../control-plane/src/runtime/group-inputs.js';
import { SnapshotPublisher } from '../../control-plane/src/runtime/snapshot-publisher.js';
import { encodeResources, translateProxy, type EnvoyResources, type ProxyTarget } from '../../control-plane/src/translate/index.js';
import { SnapshotCache } from '../../control-plane/src/xds/cache.js';
import { benchState, serviceName } from './topology.js';

export interface RebuildResult {
  services: number;
  lanes: number;
  groups: number;
  publishMs: number;
  /** The same full publish again in this process, into a fresh cache and publisher: compiled code, nothing remembered. */
  warmPublishMs: number;
  translateMs: number;
  encodeMs: number;
  cacheMs: number;
  resources: number;
  bytes: number;
  anyEncodes: number;
  /** Translating from the whole model instead of each group's slice, extrapolated from a sample. */
  unslicedTranslateMsEstimate: number;
  incremental: { publishMs: number; changedGroups: number };
}

const time = <T>(f: () => T): [T, number] => {
  const started = performance.now();
  const value = f();
  return [value, performance.now() - started];
};

function measure(services: number, lanes: number, callees: number): RebuildResult {
  // Frozen, as the control plane's merge hands it to the publisher (sources/merge.ts).
  const state = deepFreeze(benchState({ services, lanes, callees }));
  const targets: ProxyTarget[] = Array.from({ length: services }, (_, i) => ({ kind: 'sidecar', service: serviceName(i), listenerAddress: '127.0.0.1', listenerPort: 15001 }));
  const cache = new SnapshotCache();
  const publisher = new SnapshotPublisher(cache, pino({ level: 'silent' }));
  for (const t of targets) publisher.register(t);
  const [, publishMs] = time(() => publisher.publish(state));
  const warmCache = new SnapshotCache();
  const warmPublisher = new SnapshotPublisher(warmCache, pino({ level: 'silent' }));
  for (const t of targets) warmPublisher.register(t);
  const [, warmPublishMs] = time(() => warmPublisher.publish(state));

  const [translated, translateMs] = time(() => targets.map((t) => translateProxy(groupInputs(state, t), t)));
  const [encoded, encodeMs] = time(() => translated.map((r: EnvoyResources) => encodeResources(r)));
  const fresh = new SnapshotCache();
  const [, cacheMs] = time(() => encoded.forEach((resources, i) => fresh.setSnapshot(String(i), resources)));
  const sample = targets.slice(0, 5);
  const [, sampleMs] = time(() => sample.forEach((t) => translateProxy(state, t)));

  let changedGroups = 0;
  for (let i = 0; i < services; i++) {
    const group = `sidecar|${serviceName(i)}|127.0.0.1|15001`;
    cache.watch(group, () => changedGroups++);
  }
  const added = { name: 'bench-rebuild', services: { [serviceName(1)]: ['10.250.0.1:8080'], [serviceName(Math.floor(services * 0.6))]: ['10.250.0.2:8080'] } };
  const next = deepFreeze({ ...state, lanes: { ...state.lanes, [added.name]: added } });
  const [, incrementalMs] = time(() => publisher.publish(next));

  return {
    services, lanes, groups: targets.length, publishMs, warmPublishMs, translateMs, encodeMs, cacheMs,
    resources: encoded.reduce((n, list) => n + list.length, 0),
    bytes: encoded.reduce((n, list) => n + list.reduce((m, r) => m + r.value.byteLength, 0), 0),
    anyEncodes: distinctCachedResources(fresh),
    unslicedTranslateMsEstimate: (sampleMs / sample.length) * targets.length,
    incremental: { publishMs: incrementalMs, changedGroups },
  };
}

/** Resources wrapped in Any: each distinct content is cached (and wrapped) once, whatever the group count. */
function distinctCachedResources(cache: SnapshotCache): number {
  const seen = new Set<unknown>();
  for (const group of cache.groups()) for (const type of cache.getSnapshot(group)!.types.values()) for (const r of type.resources.values()) seen.add(r);
  return seen.size;
}

const [services, lanes, callees] = process.argv.slice(2).map(Number);
process.stdout.write(`${JSON.stringify(measure(services ?? 500, lanes ?? 10_000, callees ?? 10))}\n`);

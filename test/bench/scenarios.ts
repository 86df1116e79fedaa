// One benchmark run against one fresh control-plane process: warm-up (one stream per group), idle
// memory, cold connect of N streams, idle memory again (the slope is per stream), K lanes created
// through the control API until every affected stream ACKed them, the RouteConfiguration served,
// then lane churn at rising rates and a reconnect storm (stress.ts).
import type { JsonValue } from '@bufbuild/protobuf';
import { LoadDriver, type LoadgenKind } from './load/driver.js';
import type { StreamNode } from './load/envoy-stream.js';
import type { LaneResult } from './load/loadgen.js';
import { fetchRouteConfig } from './route-check.js';
import { cpuSeconds, procStatus, type Server } from './servers.js';
import { cpuTimes, stealPercent } from './steal.js';
import { laneChurn, reconnectStorm, type ChurnStep, type StormResult, type StressOptions } from './stress.js';
import { callersOf, laneName, laneServices, serviceName, SERVICE_PORT, type TopologyParams } from './topology.js';

export interface RunOptions {
  params: TopologyParams;
  streams: number;
  laneCreates: number;
  /**
   * Lanes created (and timed) before the K measured ones, so those measure a running server, not
   * its first-time costs (lazy compilation, first GC of the heap built at start); reported apart.
   */
  firstCreates: number;
  /** Pause between lane creates, so each is a change after a quiet spell. */
  pauseMs: number;
  /** CPU-profile the lane creates (Laneway only). */
  profile?: boolean;
  loadgen: LoadgenKind;
  /** Churn and reconnect storm; none: skipped. */
  stress?: StressOptions;
}

export interface LaneCreate extends LaneResult {
  cpuSeconds: number;
  /** Percent of the machine's CPU time the hypervisor took during the create (steal.ts). */
  stealPercent: number;
}

export interface RunResult {
  server: string;
  protocol: 'sotw' | 'delta';
  warmupMs: number;
  coldConnectMs: number;
  coldSyncedMs: number[];
  /** Streams of the cold connect that failed and were opened again (Envoy's retry). */
  coldStreamsRetried: number;
  idle: { streams: number[]; rssBytes: number[]; heapBytes: number[] };
  /** The first lane creates after start, before the measured ones. */
  firstLaneCreates: LaneCreate[];
  laneCreates: LaneCreate[];
  peakRssBytes: number;
  routeConfig: JsonValue;
  routeService: string;
  churn: ChurnStep[];
  storm?: StormResult;
  /** The .cpuprofile of the lane creates, when profiled. */
  profile?: string;
  errors: string[];
}

/** createdLane index of the first creates: apart from the measured ones (0..) and churn's (1000..). */
const FIRST_LANES = 900;

const settle = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The k-th lane the bench creates: beyond the topology's lanes, so every server gets the same ones. */
export function createdLane(k: number, params: TopologyParams, name = `bench-${String(k).padStart(3, '0')}`): { name: string; services: string[]; body: { services: Record<string, string[]> } } {
  const [a, b] = laneServices(params.lanes + k, params.services);
  const services = [serviceName(a), serviceName(b)];
  const body = { services: Object.fromEntries(services.map((s, i) => [s, [`10.200.${k & 255}.${i + 1}:${SERVICE_PORT}`]])) };
  return { name, services, body };
}

/** node id -> the lane's clusters that node's sidecar must get (it calls those services). */
export function expectedClusters(lane: ReturnType<typeof createdLane>, nodes: StreamNode[], params: TopologyParams): Record<string, string[]> {
  const byService = new Map<string, string[]>();
  for (const svc of lane.services) {
    const index = Number(svc.slice(4));
    for (const caller of callersOf(index, params)) {
      const name = serviceName(caller);
      byService.set(name, [...(byService.get(name) ?? []), `${svc}~${lane.name}`]);
    }
  }
  const expect: Record<string, string[]> = {};
  for (const node of nodes) {
    const clusters = byService.get(node.service);
    if (clusters) expect[node.id] = clusters;
  }
  return expect;
}

async function idleSample(server: Server, out: RunResult['idle'], streams: number): Promise<void> {
  await settle(1000);
  out.streams.push(streams);
  out.heapBytes.push(await server.heapBytes());
  out.rssBytes.push(procStatus(server.pid).rssBytes);
}

export async function runScenarios(server: Server, protocol: 'sotw' | 'delta', opts: RunOptions): Promise<RunResult> {
  const { params } = opts;
  const load = LoadDriver.start(opts.loadgen);
  const result: RunResult = {
    server: server.kind, protocol, warmupMs: 0, coldConnectMs: 0, coldSyncedMs: [], coldStreamsRetried: 0, idle: { streams: [], rssBytes: [], heapBytes: [] },
    firstLaneCreates: [], laneCreates: [], peakRssBytes: 0, routeConfig: null, routeService: '', churn: [], errors: [],
  };
  try {
    const warm = Array.from({ length: params.services }, (_, i) => ({ id: `warm-${i}`, service: serviceName(i) }));
    const warmup = await load.connect({ target: server.xdsTarget, protocol, nodes: warm, timeoutMs: 120_000 });
    result.warmupMs = warmup.ms;
    result.errors.push(...warmup.errors.slice(0, 5));
    await idleSample(server, result.idle, 0);
    const nodes = Array.from({ length: opts.streams }, (_, i) => ({ id: `proxy-${i}`, service: serviceName(i % params.services) }));
    const cold = await load.connect({ target: server.xdsTarget, protocol, nodes, timeoutMs: 180_000 });
    result.coldConnectMs = cold.ms;
    result.coldSyncedMs = cold.syncedMs;
    result.coldStreamsRetried = cold.streamsRetried;
    result.errors.push(...cold.errors.slice(0, 5));
    if (cold.errors.length > 5) result.errors.push(`cold connect: ${cold.errors.length} of ${nodes.length} streams failed in all`);
    await idleSample(server, result.idle, opts.streams);
    const all = [...warm, ...nodes];
    const create = async (lane: ReturnType<typeof createdLane>, into: LaneCreate[]) => {
      const cpuBefore = cpuSeconds(server.pid);
      const timesBefore = cpuTimes();
      const r = await load.lane({ apiUrl: server.apiUrl, name: lane.name, body: lane.body, expect: expectedClusters(lane, all, params), timeoutMs: 30_000 });
      into.push({ ...r, cpuSeconds: cpuSeconds(server.pid) - cpuBefore, stealPercent: stealPercent(timesBefore, cpuTimes()) });
      if (r.missing.length > 0) result.errors.push(`${lane.name}: ${r.missing.length} streams did not converge (e.g. ${r.missing[0]})`);
      await settle(opts.pauseMs);
    };
    for (let k = 0; k < opts.firstCreates; k++) await create(createdLane(FIRST_LANES + k, params, `bench-first-${k}`), result.firstLaneCreates);
    const profiler = opts.profile ? server.profiler : undefined;
    await profiler?.start();
    for (let k = 0; k < opts.laneCreates; k++) await create(createdLane(k, params), result.laneCreates);
    if (profiler) result.profile = await profiler.stop();
    result.peakRssBytes = procStatus(server.pid).peakRssBytes;
    result.routeService = serviceName(callersOf(Number(createdLane(0, params).services[0]!.slice(4)), params)[0]!);
    result.routeConfig = await fetchRouteConfig(server.xdsTarget, result.routeService);
    // After the route check: servers stop churning at different rates, so their lanes differ from here on.
    if (opts.stress) {
      result.churn = await laneChurn(load, server, all, params, opts.stress);
      result.storm = await reconnectStorm(load, server, all.length);
      result.errors.push(...result.storm.errors);
    }
  } finally {
    await load.stop();
  }
  return result;
}

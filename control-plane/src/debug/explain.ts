// "Where does service S go for lane L, and why": the fallback chain walked in the model, the route
// and cluster that implement it in the translated Envoy config, the endpoints and their source.
import { resolveLane, type Resolution } from '../model/resolve.js';
import { STABLE, type MeshState } from '../model/types.js';
import { DNS_LABEL } from '../model/validate.js';
import { translateProxy } from '../translate/index.js';
import { clusterName, servedBy } from '../translate/names.js';
import { matchRoute, responseHeaderValue, routeTarget, type RouteRequest } from './route-match.js';
import type { DefinitionSource, SourceLookup } from './sources.js';

export type LaneStatus = 'none' | 'invalid' | 'unknown' | 'defined';

export interface ChainStep {
  lane: string;
  hasInstance: boolean;
  note: string;
}

export interface EnvoyRoute {
  routeConfiguration: string;
  virtualHost?: string;
  /** How Envoy picks the route, e.g. `matcher x-lane = "feature-x"` or `routes[0]`. */
  via?: string;
  cluster?: string;
  /** The served-by header value the route sets. */
  servedBy?: string;
  /** The route sends to the cluster the model resolves to. */
  agrees: boolean;
  problem?: string;
}

export interface Explanation {
  service: string;
  requestedLane: string | null;
  laneStatus: LaneStatus;
  chain: ChainStep[];
  /** The lane whose instance serves, or "stable". */
  winner: string;
  /** The expected served-by header value. */
  servedBy: string;
  reason: string;
  cluster: string;
  envoy: EnvoyRoute;
  endpoints: string[];
  /** Where the winning instance (the lane, or the service for stable) is defined. */
  source: DefinitionSource;
}

export function laneStatusOf(state: MeshState, lane: string | undefined): LaneStatus {
  if (lane === undefined || lane === '') return 'none';
  if (!DNS_LABEL.test(lane)) return 'invalid';
  return lane !== STABLE && Object.hasOwn(state.lanes, lane) ? 'defined' : 'unknown';
}

function endpointCount(n: number): string {
  return `${n} endpoint${n === 1 ? '' : 's'}`;
}

function chainSteps(state: MeshState, service: string, resolution: Resolution): ChainStep[] {
  return resolution.chain.map((lane) => {
    if (lane === STABLE) {
      const n = state.services[service]?.endpoints.length ?? 0;
      return { lane, hasInstance: true, note: `stable instance of ${service}: ${endpointCount(n)}` };
    }
    const def = state.lanes[lane]!;
    const next = def.fallback ?? STABLE;
    const entry = Object.hasOwn(def.services, service) ? def.services[service] : undefined;
    if (entry === undefined) return { lane, hasInstance: false, note: `${lane} does not override ${service}; falls back to ${next}` };
    if (entry.length === 0) return { lane, hasInstance: false, note: `${lane} lists ${service} with no endpoints (skipped); falls back to ${next}` };
    return { lane, hasInstance: true, note: `${lane} overrides ${service}: ${endpointCount(entry.length)}` };
  });
}

function reasonFor(service: string, lane: string | undefined, status: LaneStatus, resolution: Resolution): string {
  switch (status) {
    case 'none': return `no lane given: the stable instance of ${service} serves`;
    case 'invalid': return `"${lane}" is not a valid lane name (a DNS label), so no lane matches it: stable serves`;
    case 'unknown': return lane === STABLE ? `"${STABLE}" is the stable instance itself` : `lane "${lane}" does not exist: stable serves`;
  }
  const walked = resolution.chain.join(' → ');
  if (resolution.lane === lane) return `lane ${lane} has its own instance of ${service}`;
  if (resolution.lane === STABLE) return `no lane in ${walked} has an instance of ${service}: stable serves`;
  return `${resolution.chain.slice(0, -1).join(', ')} ${resolution.chain.length > 2 ? 'have' : 'has'} no instance of ${service}; following the fallbacks ${walked}, ${resolution.lane} has one`;
}

/** The request a sidecar's app makes to `service` in `lane`. */
export function requestFor(state: MeshState, service: string, lane: string | undefined): RouteRequest {
  const headers: Record<string, string> = lane ? { [state.settings.laneHeader.toLowerCase()]: lane } : {};
  return { host: service, path: '/', headers };
}

/** The route in a sidecar's translated config (every service visible) that serves the request. */
function envoyRoute(state: MeshState, req: RouteRequest, expectedCluster: string): EnvoyRoute {
  const [config] = translateProxy(state, { kind: 'sidecar', listenerAddress: '127.0.0.1', listenerPort: 15001 }).routes;
  if (!config) return { routeConfiguration: '', agrees: false, problem: 'the translator produced no route configuration' };
  const decision = matchRoute(config, req);
  if (!decision.matched) {
    return { routeConfiguration: config.name, ...(decision.virtualHost && { virtualHost: decision.virtualHost }), agrees: false, problem: decision.reason };
  }
  const target = routeTarget(decision.route);
  const header = responseHeaderValue(decision.route, state.settings.servedByHeader);
  return {
    routeConfiguration: config.name,
    virtualHost: decision.virtualHost,
    via: decision.via,
    ...(target.cluster !== undefined && { cluster: target.cluster }),
    ...(header !== undefined && { servedBy: header }),
    agrees: target.cluster === expectedCluster,
    ...(target.cluster !== expectedCluster && { problem: `the route sends to ${target.description}, not ${expectedCluster}` }),
  };
}

export class UnknownServiceError extends Error {}

export async function explain(state: MeshState, service: string, lane: string | undefined, sourceOf: SourceLookup): Promise<Explanation> {
  if (!Object.hasOwn(state.services, service)) throw new UnknownServiceError(`service "${service}" does not exist`);
  const laneStatus = laneStatusOf(state, lane);
  const resolution = resolveLane(state, service, laneStatus === 'defined' ? lane : undefined);
  const cluster = clusterName(service, resolution.lane);
  return {
    service,
    requestedLane: lane ?? null,
    laneStatus,
    chain: chainSteps(state, service, resolution),
    winner: resolution.lane,
    servedBy: servedBy(service, resolution.lane),
    reason: reasonFor(service, lane, laneStatus, resolution),
    cluster,
    envoy: envoyRoute(state, requestFor(state, service, lane), cluster),
    endpoints: resolution.endpoints,
    source: await sourceOf(resolution.lane === STABLE ? 'services' : 'lanes', resolution.lane === STABLE ? service : resolution.lane),
  };
}

// Where a call to a service goes for a request lane: walk lane -> fallback -> ... -> stable and take
// the first lane with an instance of the service. The walk itself (chainOf) is the one every
// reader of fallback chains uses: resolution here, the lane index (lane-index.ts), the publisher.
import { STABLE, type MeshState } from './types.js';

export interface Resolution {
  /** The winning lane, or "stable". */
  lane: string;
  /** Lanes walked, in order, ending with the winner ("stable" when no lane had an instance). */
  chain: string[];
  endpoints: string[];
}

/**
 * Names of the lanes in the chain starting at `lane` (itself first). Stops at stable, an unknown
 * lane and a repeated lane, so even an invalid (cyclic) state cannot loop forever.
 */
export function chainOf(state: MeshState, lane: string | undefined): string[] {
  const chain: string[] = [];
  let current = lane;
  while (current !== undefined && current !== STABLE && Object.hasOwn(state.lanes, current) && !chain.includes(current)) {
    chain.push(current);
    current = state.lanes[current]!.fallback;
  }
  return chain;
}

function laneEndpoints(state: MeshState, lane: string, service: string): string[] | undefined {
  const services = state.lanes[lane]!.services;
  const endpoints = Object.hasOwn(services, service) ? services[service] : undefined;
  return endpoints && endpoints.length > 0 ? endpoints : undefined;
}

/** Resolution for `service` and request lane `lane`; an unknown or absent lane resolves to stable. */
export function resolveLane(state: MeshState, service: string, lane: string | undefined): Resolution {
  const chain = chainOf(state, lane);
  for (let i = 0; i < chain.length; i++) {
    const endpoints = laneEndpoints(state, chain[i]!, service);
    if (endpoints) return { lane: chain[i]!, chain: chain.slice(0, i + 1), endpoints: [...endpoints] };
  }
  const stable = Object.hasOwn(state.services, service) ? state.services[service]!.endpoints : [];
  return { lane: STABLE, chain: [...chain, STABLE], endpoints: [...stable] };
}

/** Every lane (sorted by name) that does not resolve to stable for `service`, with the lane whose instance it reaches. */
export function lanesResolvingToInstance(state: MeshState, service: string): Array<{ lane: string; instance: string }> {
  const routes: Array<{ lane: string; instance: string }> = [];
  for (const lane of Object.keys(state.lanes).sort()) {
    const resolution = resolveLane(state, service, lane);
    if (resolution.lane !== STABLE) routes.push({ lane, instance: resolution.lane });
  }
  return routes;
}

// Where a call to a service goes for a request lane: walk lane -> fallback -> ... -> stable and take
// the first lane with an instance of the service.
import { STABLE, type MeshState } from './types.js';

export interface Resolution {
  /** The winning lane, or "stable". */
  lane: string;
  /** Lanes walked, in order, ending with the winner ("stable" when no lane had an instance). */
  chain: string[];
  endpoints: string[];
}

function laneEndpoints(state: MeshState, lane: string, service: string): string[] | undefined {
  const services = state.lanes[lane]?.services;
  const endpoints = services && Object.hasOwn(services, service) ? services[service] : undefined;
  return endpoints && endpoints.length > 0 ? endpoints : undefined;
}

/** Resolution for `service` and request lane `lane`; an unknown or absent lane resolves to stable. */
export function resolveLane(state: MeshState, service: string, lane: string | undefined): Resolution {
  const chain: string[] = [];
  let current = lane;
  // Stops at a repeated lane too, so even an invalid (cyclic) state cannot loop forever.
  while (current !== undefined && current !== STABLE && Object.hasOwn(state.lanes, current) && !chain.includes(current)) {
    chain.push(current);
    const endpoints = laneEndpoints(state, current, service);
    if (endpoints) return { lane: current, chain, endpoints: [...endpoints] };
    current = state.lanes[current]!.fallback;
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

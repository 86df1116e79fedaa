// Which instances of each service exist (stable plus each lane that declares one) and which lanes
// route to a lane instance. Resolution itself is model/resolve.ts, so explain and Envoy agree.
import { lanesResolvingToInstance } from '../model/resolve.js';
import { STABLE, type MeshState, type Service } from '../model/types.js';
import { byCodeUnits, clusterName, sortedKeys } from './names.js';

export interface Instance {
  /** The service's key in MeshState.services (the name every resource uses). */
  name: string;
  service: Service;
  /** Lane name, or STABLE. */
  instance: string;
  cluster: string;
  endpoints: string[];
  /**
   * Stable's endpoints, when this is a lane instance whose lane has fallbackOnUnhealthy: they join
   * the cluster at a lower priority, so Envoy uses them only while every lane endpoint is unhealthy.
   */
  fallback?: string[];
}

/**
 * For each lane (sorted) whose chain reaches a lane instance of `service`: [lane, instance]. A lane
 * whose entry for the service has no endpoints is skipped over, as resolution does.
 */
export function laneRoutesFor(state: MeshState, service: string): Array<[lane: string, instance: string]> {
  return lanesResolvingToInstance(state, service).map(({ lane, instance }) => [lane, instance]);
}

function laneInstance(state: MeshState, name: string, lane: string): Instance {
  const service = state.services[name]!;
  const { services, fallbackOnUnhealthy } = state.lanes[lane]!;
  const instance: Instance = { name, service, instance: lane, cluster: clusterName(name, lane), endpoints: services[name]! };
  return fallbackOnUnhealthy === true ? { ...instance, fallback: service.endpoints } : instance;
}

/**
 * Every instance of the given services (default: all), sorted by cluster name: stable, and each
 * lane with an entry for the service, even an empty one (its cluster exists, with no endpoints).
 * Lane entries for unknown services, and a lane named like the stable instance, are ignored.
 */
export function allInstances(state: MeshState, services: readonly string[] = sortedKeys(state.services)): Instance[] {
  const instances: Instance[] = [];
  const lanes = sortedKeys(state.lanes).filter((lane) => lane !== STABLE);
  for (const name of services) {
    const service = state.services[name];
    if (!service) continue;
    instances.push({ name, service, instance: STABLE, cluster: clusterName(name, STABLE), endpoints: service.endpoints });
    for (const lane of lanes) {
      if (Object.hasOwn(state.lanes[lane]!.services, name)) instances.push(laneInstance(state, name, lane));
    }
  }
  return instances.sort((a, b) => byCodeUnits(a.cluster, b.cluster));
}

/** True when requests reaching this lane's instances fall back to stable while they are unhealthy. */
export function fallsBackOnUnhealthy(state: MeshState, instance: string): boolean {
  return instance !== STABLE && state.lanes[instance]?.fallbackOnUnhealthy === true;
}

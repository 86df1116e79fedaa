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
}

/**
 * For each lane (sorted) whose chain reaches a lane instance of `service`: [lane, instance]. A lane
 * whose entry for the service has no endpoints is skipped over, as resolution does.
 */
export function laneRoutesFor(state: MeshState, service: string): Array<[lane: string, instance: string]> {
  return lanesResolvingToInstance(state, service).map(({ lane, instance }) => [lane, instance]);
}

/**
 * Every instance of every service, sorted by cluster name: stable, and each lane with an entry for
 * the service, even an empty one (its cluster exists, with no endpoints). Lane entries for unknown
 * services, and a lane named like the stable instance, are ignored.
 */
export function allInstances(state: MeshState): Instance[] {
  const instances: Instance[] = [];
  const lanes = sortedKeys(state.lanes).filter((lane) => lane !== STABLE);
  for (const name of sortedKeys(state.services)) {
    const service = state.services[name]!;
    instances.push({ name, service, instance: STABLE, cluster: clusterName(name, STABLE), endpoints: service.endpoints });
    for (const lane of lanes) {
      const laneServices = state.lanes[lane]!.services;
      if (!Object.hasOwn(laneServices, name)) continue;
      instances.push({ name, service, instance: lane, cluster: clusterName(name, lane), endpoints: laneServices[name]! });
    }
  }
  return instances.sort((a, b) => byCodeUnits(a.cluster, b.cluster));
}

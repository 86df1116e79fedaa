// Sidecar scoping: a service that declares what it calls (dependsOn) gets only those services'
// routes and clusters, so config size and pushes follow the call graph instead of the mesh size.
import type { MeshState } from '../model/types.js';
import { byCodeUnits, sortedKeys } from './names.js';
import type { ProxyTarget } from './proxy.js';

/** Services (sorted) whose routes and clusters the proxy receives; unknown names are ignored. */
export function visibleServices(state: MeshState, proxy: ProxyTarget): string[] {
  const fronted = proxy.kind === 'sidecar' && proxy.service !== undefined && Object.hasOwn(state.services, proxy.service)
    ? state.services[proxy.service]!
    : undefined;
  if (!fronted?.dependsOn) return sortedKeys(state.services);
  const known = fronted.dependsOn.filter((name) => Object.hasOwn(state.services, name));
  return [...new Set(known)].sort(byCodeUnits);
}

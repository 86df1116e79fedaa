// Sidecar scoping: a service that declares what it calls (dependsOn) gets only those services'
// routes and clusters, so config size and pushes follow the call graph instead of the mesh size.
import type { MeshState } from '../model/types.js';
import { byCodeUnits, sortedKeys } from './names.js';
import type { ProxyTarget } from './proxy.js';

// Per frozen services record (the merged model is frozen): service -> what its sidecar sees. The
// publisher asks for every sidecar on every write to find the groups a change touches.
const memo = new WeakMap<MeshState['services'], Map<string, string[]>>();

/** Services (sorted) whose routes and clusters the proxy receives; unknown names are ignored. */
export function visibleServices(state: MeshState, proxy: ProxyTarget): string[] {
  const fronted = proxy.kind === 'sidecar' && proxy.service !== undefined && Object.hasOwn(state.services, proxy.service)
    ? state.services[proxy.service]!
    : undefined;
  // Keyed by the fronted service, or by '' for proxies that see everything.
  const key = fronted?.dependsOn ? proxy.service! : '';
  const frozen = Object.isFrozen(state.services) && (fronted === undefined || Object.isFrozen(fronted.dependsOn ?? fronted));
  let byService = frozen ? memo.get(state.services) : undefined;
  const cached = byService?.get(key);
  if (cached) return [...cached];
  const visible = fronted?.dependsOn
    ? [...new Set(fronted.dependsOn.filter((name) => Object.hasOwn(state.services, name)))].sort(byCodeUnits)
    : sortedKeys(state.services);
  if (frozen) {
    if (!byService) memo.set(state.services, (byService = new Map()));
    byService.set(key, visible);
  }
  return [...visible];
}

// Sidecar scoping: a service that declares what it calls (dependsOn) gets only those services'
// routes and clusters, so config size and pushes follow the call graph instead of the mesh size.
import type { MeshState } from '../model/types.js';
import { byCodeUnits, sortedKeys } from './names.js';
import type { ProxyTarget } from './proxy.js';

// Per frozen services record (the merged model is frozen): service -> what its sidecar sees. The
// publisher asks for every sidecar on every write to find the groups a change touches.
const memo = new WeakMap<MeshState['services'], Map<string, readonly string[]>>();

function memoFor(services: MeshState['services']): Map<string, readonly string[]> | undefined {
  const known = memo.get(services);
  if (known || !Object.isFrozen(services)) return known;
  const fresh = new Map<string, readonly string[]>();
  memo.set(services, fresh);
  return fresh;
}

/** Services (sorted) whose routes and clusters the proxy receives; unknown names are ignored. Frozen: shared. */
export function visibleServices(state: MeshState, proxy: ProxyTarget): readonly string[] {
  const fronted = proxy.kind === 'sidecar' && proxy.service !== undefined && Object.hasOwn(state.services, proxy.service)
    ? state.services[proxy.service]!
    : undefined;
  // Keyed by the fronted service, or by '' for proxies that see everything.
  const key = fronted?.dependsOn ? proxy.service! : '';
  const byService = fronted === undefined || Object.isFrozen(fronted.dependsOn ?? fronted) ? memoFor(state.services) : undefined;
  const cached = byService?.get(key);
  if (cached) return cached;
  const visible = Object.freeze(
    fronted?.dependsOn
      ? [...new Set(fronted.dependsOn.filter((name) => Object.hasOwn(state.services, name)))].sort(byCodeUnits)
      : sortedKeys(state.services),
  );
  byService?.set(key, visible);
  return visible;
}

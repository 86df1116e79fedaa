// Configs for the routing-cost benchmark: a mesh with N lanes each overriding `orders`, translated
// for the frontend's sidecar exactly as Laneway serves it, made static (routes and endpoints inline,
// admin added) so one Envoy runs it without a control plane. Also the same routing written the
// old way, one header-matching route per lane, to show what the exact-match lookup avoids.
import { clone, create } from '@bufbuild/protobuf';
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import type { MeshState } from '../../control-plane/src/model/types.js';
import { HeaderMatcherSchema, RouteSchema, type Route } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import { translateProxy, type EnvoyResources } from '../../control-plane/src/translate/index.js';
import { staticBootstrap } from '../golden/envoy-bootstrap.js';

/**
 * exact-match: what Laneway emits, N lanes with N orders instances (N clusters); route-list: the
 * same as a linear route list; exact-match-shared: N lanes all reaching one lane instance (the
 * last lane's; the others fall back to it), so the map has N entries but there are 2 clusters.
 */
export type Dispatch = 'exact-match' | 'route-list' | 'exact-match-shared';

export function laneName(i: number): string {
  return `lane-${String(i).padStart(5, '0')}`;
}

/** frontend calls orders; N lanes each run their own orders instance (all at the one upstream). */
export function benchState(lanes: number, upstream: string, shared = false): MeshState {
  const service = (name: string) => ({ name, protocol: 'http' as const, port: 8080, endpoints: [upstream] });
  const last = laneName(lanes - 1);
  const lane = (name: string) => (shared && name !== last ? { name, fallback: last, services: {} } : { name, services: { orders: [upstream] } });
  const laneList = Array.from({ length: lanes }, (_, i) => [laneName(i), lane(laneName(i))]);
  return {
    settings: { laneHeader: 'x-lane', servedByHeader: 'x-lane-served-by' },
    services: { frontend: service('frontend'), orders: service('orders') },
    lanes: Object.fromEntries(laneList),
  };
}

/** The matcher's lane entries as N routes matching the lane header exactly, then the default. */
function asRouteList(resources: EnvoyResources): EnvoyResources {
  const routes = resources.routes.map((config) => {
    const out = clone(RouteConfigurationSchema, config);
    for (const vhost of out.virtualHosts) {
      const tree = vhost.matcher?.matcherType.case === 'matcherTree' ? vhost.matcher.matcherType.value : undefined;
      if (!vhost.matcher || tree?.treeType.case !== 'exactMatchMap') continue;
      const unpack = (action: unknown): Route => anyUnpack((action as { typedConfig: Parameters<typeof anyUnpack>[0] }).typedConfig, RouteSchema)!;
      const laneRoutes = Object.entries(tree.treeType.value.map).map(([lane, onMatch]) => {
        const route = unpack(onMatch.onMatch.value);
        route.match!.headers = [create(HeaderMatcherSchema, { name: 'x-lane', headerMatchSpecifier: { case: 'stringMatch', value: { matchPattern: { case: 'exact', value: lane } } } })];
        return route;
      });
      vhost.routes = [...laneRoutes, unpack(vhost.matcher.onNoMatch!.onMatch.value)];
      vhost.matcher = undefined;
    }
    return out;
  });
  return { ...resources, routes };
}

/** A static bootstrap for the frontend sidecar: listener on `port`, admin on `adminPort`. */
export function sidecarBootstrap(state: MeshState, dispatch: Dispatch, port: number, adminPort: number): string {
  const translated = translateProxy(state, { kind: 'sidecar', service: 'frontend', listenerAddress: '127.0.0.1', listenerPort: port });
  const resources = dispatch === 'route-list' ? asRouteList(translated) : translated;
  const bootstrap = JSON.parse(staticBootstrap(resources)) as Record<string, unknown>;
  return JSON.stringify({
    ...bootstrap,
    node: { id: 'bench-sidecar', cluster: 'frontend' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
  });
}

/** The upstream: an Envoy answering every request itself, so the app is never the bottleneck. */
export function upstreamBootstrap(port: number, adminPort: number): string {
  const hcm = {
    '@type': 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager',
    stat_prefix: 'upstream',
    route_config: {
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: 'ok\n' } } }] }],
    },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
  };
  return JSON.stringify({
    node: { id: 'bench-upstream', cluster: 'upstream' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: adminPort } } },
    static_resources: {
      listeners: [{
        name: 'upstream',
        address: { socket_address: { address: '127.0.0.1', port_value: port } },
        filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
      }],
    },
  });
}

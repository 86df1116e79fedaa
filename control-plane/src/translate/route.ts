// Route configurations: per service, one route per lane that reaches a lane instance (exact match
// on the lane header) and a default route to stable; every route names who served the response.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { HeaderValueOption_HeaderAppendAction } from '../envoy/generated/envoy/config/core/v3/base_pb.js';
import {
  RouteConfigurationSchema,
  type RouteConfiguration,
} from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import type { RouteSchema, VirtualHostSchema } from '../envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { STABLE, type MeshState } from '../model/types.js';
import { laneRoutesFor } from './instances.js';
import {
  clusterName,
  INGRESS_VIRTUAL_HOST,
  ROUTE_CONFIG_NAME,
  servedBy,
  sortedKeys,
} from './names.js';

type RouteInit = MessageInitShape<typeof RouteSchema>;
type VirtualHostInit = MessageInitShape<typeof VirtualHostSchema>;

// Header names are case-insensitive and Envoy keeps them lowercase, so both headers are lowercased.
function servedByHeader(state: MeshState, service: string, instance: string) {
  return {
    header: { key: state.settings.servedByHeader.toLowerCase(), value: servedBy(service, instance) },
    appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  };
}

function routeTo(state: MeshState, service: string, instance: string, lane?: string): RouteInit {
  const headers = lane === undefined ? [] : [laneHeaderMatch(state.settings.laneHeader.toLowerCase(), lane)];
  // gRPC calls may be long-lived streams: Envoy's default 15 s route timeout would cut them.
  const timeout = state.services[service]?.protocol === 'grpc' ? { timeout: { seconds: 0n } } : {};
  return {
    match: { pathSpecifier: { case: 'prefix', value: '/' }, headers },
    action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: clusterName(service, instance) }, ...timeout } },
    responseHeadersToAdd: [servedByHeader(state, service, instance)],
  };
}

function laneHeaderMatch(header: string, lane: string) {
  return {
    name: header,
    headerMatchSpecifier: { case: 'stringMatch' as const, value: { matchPattern: { case: 'exact' as const, value: lane } } },
  };
}

/** Lane routes (sorted by lane) then the default route to stable. */
export function routesForService(state: MeshState, service: string): RouteInit[] {
  const laneRoutes = laneRoutesFor(state, service).map(([lane, instance]) => routeTo(state, service, instance, lane));
  return [...laneRoutes, routeTo(state, service, STABLE)];
}

function serviceVirtualHost(state: MeshState, service: string): VirtualHostInit {
  const port = state.services[service]!.port;
  return { name: service, domains: [service, `${service}:${port}`], routes: routesForService(state, service) };
}

/** The sidecar's outbound routes: one virtual host per service, matched on Host (with or without port). */
export function outboundRouteConfig(state: MeshState): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name: ROUTE_CONFIG_NAME.sidecar,
    virtualHosts: sortedKeys(state.services).map((service) => serviceVirtualHost(state, service)),
  });
}

function notFound(body: string): RouteInit {
  return {
    match: { pathSpecifier: { case: 'prefix', value: '/' } },
    action: { case: 'directResponse', value: { status: 404, body: { specifier: { case: 'inlineString', value: body } } } },
  };
}

function ingressRoutes(state: MeshState): RouteInit[] {
  const entry = state.settings.entryService;
  if (entry === undefined || entry === '') {
    return [notFound('laneway: no entry service is configured (settings.entryService)\n')];
  }
  if (!Object.hasOwn(state.services, entry)) {
    return [notFound(`laneway: entry service "${entry}" is not a known service\n`)];
  }
  return routesForService(state, entry);
}

/** The ingress gateway's routes: any Host, to the entry service in the request's lane. */
export function ingressRouteConfig(state: MeshState): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name: ROUTE_CONFIG_NAME.ingress,
    virtualHosts: [{ name: INGRESS_VIRTUAL_HOST, domains: ['*'], routes: ingressRoutes(state) }],
  });
}

// Route configurations: per service, a virtual host whose lane dispatch is one exact-match lookup
// of the lane header (lane-dispatch.ts), defaulting to stable; every route names who served it.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import type { Any } from '@bufbuild/protobuf/wkt';
import { packAny } from '../envoy/any.js';
import { HeaderValueOption_HeaderAppendAction } from '../envoy/generated/envoy/config/core/v3/base_pb.js';
import {
  RouteConfigurationSchema,
  type RouteConfiguration,
} from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { RouteSchema, type VirtualHostSchema } from '../envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { STABLE, type MeshState } from '../model/types.js';
import { fallsBackOnUnhealthy, laneRoutesFor } from './instances.js';
import { serviceDomains } from './domains.js';
import { laneDispatch } from './lane-dispatch.js';
import { routeTracing } from './tracing.js';
import {
  clusterName,
  INGRESS_VIRTUAL_HOST,
  METADATA_NAMESPACE,
  ROUTE_CONFIG_NAME,
  SERVED_BY_KEY,
  servedBy,
} from './names.js';

export type RouteInit = MessageInitShape<typeof RouteSchema>;
type VirtualHostInit = MessageInitShape<typeof VirtualHostSchema>;

/**
 * Who served: a fixed "<service>/<instance>", or, for an instance that may fall back to stable,
 * the served_by metadata of the endpoint Envoy actually picked ("orders/stable (fallback)").
 */
function servedByValue(state: MeshState, service: string, instance: string): string {
  if (!fallsBackOnUnhealthy(state, instance)) return servedBy(service, instance);
  return `%UPSTREAM_METADATA(${METADATA_NAMESPACE}:${SERVED_BY_KEY})%`;
}

// Header names are case-insensitive and Envoy keeps them lowercase, so both headers are lowercased.
function servedByHeader(state: MeshState, service: string, instance: string) {
  return {
    header: { key: state.settings.servedByHeader.toLowerCase(), value: servedByValue(state, service, instance) },
    appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  };
}

/** The route to one instance of a service (any path: lane dispatch happened before it). */
export function routeTo(state: MeshState, service: string, instance: string): RouteInit {
  // gRPC calls may be long-lived streams: Envoy's default 15 s route timeout would cut them.
  const timeout = state.services[service]?.protocol === 'grpc' ? { seconds: 0n } : undefined;
  const tracing = routeTracing(state, servedBy(service, instance), fallsBackOnUnhealthy(state, instance));
  return {
    match: { pathSpecifier: { case: 'prefix', value: '/' } },
    action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: clusterName(service, instance) }, timeout } },
    responseHeadersToAdd: [servedByHeader(state, service, instance)],
    ...(tracing && { tracing }),
  };
}

/** Packs the route to one instance of a service into an Any: the lane routes of serviceVirtualHost. */
export type RoutePacker = (state: MeshState, service: string, instance: string) => Any;

/** The translator's own packing: routeTo, created and serialized by the protobuf runtime. The memo seam passes its own (memo.ts). */
export const packRoute: RoutePacker = (state, service, instance) => packAny(RouteSchema, routeTo(state, service, instance));

/**
 * Routing for one service: a single route to stable when no lane reaches a lane instance of it,
 * otherwise the lane-header lookup (one entry per such lane, sorted) with stable as its default.
 */
function serviceRouting(state: MeshState, service: string, pack: RoutePacker): Pick<VirtualHostInit, 'routes' | 'matcher'> {
  const lanes = laneRoutesFor(state, service);
  if (lanes.length === 0) return { routes: [routeTo(state, service, STABLE)] };
  const byLane = lanes.map(([lane, instance]) => ({ lane, name: servedBy(service, instance), route: pack(state, service, instance) }));
  const stable = { name: servedBy(service, STABLE), route: pack(state, service, STABLE) };
  return { matcher: laneDispatch(state.settings.laneHeader.toLowerCase(), byLane, stable) };
}

export function serviceVirtualHost(state: MeshState, service: string, pack: RoutePacker = packRoute): VirtualHostInit {
  // Every field named, not spread in: virtual hosts of one shape encode fast (cluster.ts, clusterInit).
  const { routes, matcher } = serviceRouting(state, service, pack);
  return { name: service, domains: serviceDomains(state.services[service]!), routes, matcher };
}

/** The sidecar's outbound routes: one virtual host per visible service, matched on Host (with or without port). */
export function outboundRouteConfig(state: MeshState, services: readonly string[]): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name: ROUTE_CONFIG_NAME.sidecar,
    virtualHosts: services.map((service) => serviceVirtualHost(state, service)),
  });
}

function notFound(body: string): RouteInit {
  return {
    match: { pathSpecifier: { case: 'prefix', value: '/' } },
    action: { case: 'directResponse', value: { status: 404, body: { specifier: { case: 'inlineString', value: body } } } },
  };
}

function ingressRouting(state: MeshState): Pick<VirtualHostInit, 'routes' | 'matcher'> {
  const entry = state.settings.entryService;
  if (entry === undefined || entry === '') {
    return { routes: [notFound('laneway: no entry service is configured (settings.entryService)\n')] };
  }
  if (!Object.hasOwn(state.services, entry)) {
    return { routes: [notFound(`laneway: entry service "${entry}" is not a known service\n`)] };
  }
  return serviceRouting(state, entry, packRoute);
}

/** The ingress gateway's routes: any Host, to the entry service in the request's lane. */
export function ingressRouteConfig(state: MeshState): RouteConfiguration {
  return create(RouteConfigurationSchema, {
    name: ROUTE_CONFIG_NAME.ingress,
    virtualHosts: [{ name: INGRESS_VIRTUAL_HOST, domains: ['*'], ...ingressRouting(state) }],
  });
}

// The translator: MeshState + one proxy → the Envoy resources that proxy needs. Pure: no I/O,
// clock, logging or randomness; deterministic order, so the same input gives the same bytes.
import { toBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { ClusterSchema, type Cluster } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import {
  ClusterLoadAssignmentSchema,
  type ClusterLoadAssignment,
} from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema, type Listener } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema, type RouteConfiguration } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import type { MeshState } from '../model/types.js';
import { captureResources } from './capture-listener.js';
import { clusterFor, usesEds } from './cluster.js';
import { loadAssignmentFor } from './endpoint.js';
import { allInstances } from './instances.js';
import { listenerFor } from './listener.js';
import type { ProxyTarget } from './proxy.js';
import { ingressRouteConfig, outboundRouteConfig } from './route.js';
import { byCodeUnits } from './names.js';
import { visibleServices } from './scope.js';
import { otlpCluster } from './tracing.js';

export interface EnvoyResources {
  listeners: Listener[];
  routes: RouteConfiguration[];
  clusters: Cluster[];
  endpoints: ClusterLoadAssignment[];
}

export interface EncodedResource {
  name: string;
  /** `type.googleapis.com/envoy.config.listener.v3.Listener` and so on. */
  typeUrl: string;
  /** The serialized resource message (not wrapped in Any). */
  value: Uint8Array;
}

/**
 * Every resource one proxy needs. Throws (naming the model path) only on input that validation
 * should have refused, such as an endpoint that is not host:port.
 */
export function translateProxy(state: MeshState, proxy: ProxyTarget): EnvoyResources {
  const services = visibleServices(state, proxy);
  const instances = allInstances(state, services);
  const route = proxy.kind === 'ingress' ? ingressRouteConfig(state) : outboundRouteConfig(state, services);
  const capture = captureResources(state, proxy, route);
  const own = [capture?.cluster, otlpCluster(state)].filter((c) => c !== undefined);
  const clusters = instances.map(clusterFor);
  // Each list in name order: "capture" < "outbound"; the passthrough and collector clusters among the instances'.
  return {
    listeners: capture ? [capture.listener, listenerFor(state, proxy)] : [listenerFor(state, proxy)],
    routes: capture ? [capture.route, route] : [route],
    clusters: own.length > 0 ? [...clusters, ...own].sort((a, b) => byCodeUnits(a.name, b.name)) : clusters,
    endpoints: instances.filter(usesEds).map(loadAssignmentFor),
  };
}

function encodeAll<Desc extends DescMessage>(
  schema: Desc,
  messages: Array<MessageShape<Desc>>,
  nameOf: (message: MessageShape<Desc>) => string,
): EncodedResource[] {
  const typeUrl = `type.googleapis.com/${schema.typeName}`;
  return messages.map((message) => ({ name: nameOf(message), typeUrl, value: toBinary(schema, message) }));
}

/** Serializes each resource once; the bytes are what ADS sends and what versions hash. */
export function encodeResources(resources: EnvoyResources): EncodedResource[] {
  return [
    ...encodeAll(ListenerSchema, resources.listeners, (r) => r.name),
    ...encodeAll(RouteConfigurationSchema, resources.routes, (r) => r.name),
    ...encodeAll(ClusterSchema, resources.clusters, (r) => r.name),
    ...encodeAll(ClusterLoadAssignmentSchema, resources.endpoints, (r) => r.clusterName),
  ];
}

export type { ProxyTarget } from './proxy.js';

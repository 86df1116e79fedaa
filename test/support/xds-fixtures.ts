// Small real Envoy resources for xDS tests, serialized with the generated schemas, plus a decoder
// that names the resources of a DiscoveryResponse. Not used by the server.
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { ClusterSchema } from '../../control-plane/src/envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../../control-plane/src/envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../../control-plane/src/envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import type { DiscoveryResponse } from '../../control-plane/src/envoy/generated/envoy/service/discovery/v3/discovery_pb.js';
import type { ConfigWatcher } from '../../control-plane/src/xds/config-watcher.js';
import type { CachedResource, ResourceInput } from '../../control-plane/src/xds/snapshot.js';
import { TypeUrl, shortTypeName } from '../../control-plane/src/xds/type-urls.js';

/** A cluster; a `connectTimeoutSeconds` makes a changed config under the same name. */
export function cluster(name: string, connectTimeoutSeconds?: number): ResourceInput {
  const timeout = connectTimeoutSeconds === undefined ? {} : { connectTimeout: { seconds: BigInt(connectTimeoutSeconds) } };
  return { name, typeUrl: TypeUrl.Cluster, value: toBinary(ClusterSchema, create(ClusterSchema, { name, ...timeout })) };
}

export function listener(name: string): ResourceInput {
  return { name, typeUrl: TypeUrl.Listener, value: toBinary(ListenerSchema, create(ListenerSchema, { name })) };
}

export function routes(name: string): ResourceInput {
  return { name, typeUrl: TypeUrl.RouteConfiguration, value: toBinary(RouteConfigurationSchema, create(RouteConfigurationSchema, { name })) };
}

/** A ClusterLoadAssignment with one endpoint, 127.0.0.1:port. */
export function endpoints(clusterName: string, port: number): ResourceInput {
  const socketAddress = { address: '127.0.0.1', portSpecifier: { case: 'portValue' as const, value: port } };
  const cla = create(ClusterLoadAssignmentSchema, {
    clusterName,
    endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: 'endpoint', value: { address: { address: { case: 'socketAddress', value: socketAddress } } } } }] }],
  });
  return { name: clusterName, typeUrl: TypeUrl.ClusterLoadAssignment, value: toBinary(ClusterLoadAssignmentSchema, cla) };
}

/** Names of the resources in a response, in order. */
export function resourceNames(res: DiscoveryResponse): string[] {
  return res.resources.map((any) => {
    switch (any.typeUrl) {
      case TypeUrl.Cluster: return fromBinary(ClusterSchema, any.value).name;
      case TypeUrl.ClusterLoadAssignment: return fromBinary(ClusterLoadAssignmentSchema, any.value).clusterName;
      case TypeUrl.Listener: return fromBinary(ListenerSchema, any.value).name;
      case TypeUrl.RouteConfiguration: return fromBinary(RouteConfigurationSchema, any.value).name;
      default: return `?${any.typeUrl}`;
    }
  });
}

/** Port of the single endpoint of a ClusterLoadAssignment in a response. */
export function endpointPort(res: DiscoveryResponse, clusterName: string): number | undefined {
  for (const any of res.resources) {
    const cla = fromBinary(ClusterLoadAssignmentSchema, any.value);
    if (cla.clusterName !== clusterName) continue;
    const host = cla.endpoints[0]?.lbEndpoints[0]?.hostIdentifier;
    const address = host?.case === 'endpoint' ? host.value.address?.address : undefined;
    return address?.case === 'socketAddress' && address.value.portSpecifier.case === 'portValue' ? address.value.portSpecifier.value : undefined;
  }
  return undefined;
}

/**
 * A group's cached resources by short type and name ("CDS orders"). The cache wraps each distinct
 * content in Any once and reuses it: the same object before and after a change means no new encoding.
 */
export function cachedResources(cache: ConfigWatcher, group: string): Map<string, CachedResource> {
  const byKey = new Map<string, CachedResource>();
  for (const [typeUrl, type] of cache.getSnapshot(group)?.types ?? []) {
    for (const r of type.resources.values()) byKey.set(`${shortTypeName(typeUrl)} ${r.name}`, r);
  }
  return byKey;
}

/** Distinct cached resource objects across `groups`: how many times content was wrapped in Any. */
export function distinctCachedResources(cache: ConfigWatcher, groups: readonly string[]): number {
  const seen = new Set<CachedResource>();
  for (const group of groups) for (const r of cachedResources(cache, group).values()) seen.add(r);
  return seen.size;
}

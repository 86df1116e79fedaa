// The four xDS resource kinds as config dumps and the CLI name them, and decoding of the cached
// Any bytes back into messages.
import { fromBinary, type DescMessage, type MessageShape } from '@bufbuild/protobuf';
import { AnySchema, anyUnpack, type Any } from '@bufbuild/protobuf/wkt';
import { ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import type { CachedResource } from '../xds/snapshot.js';
import { TypeUrl } from '../xds/type-urls.js';

export type ResourceKind = 'clusters' | 'endpoints' | 'listeners' | 'routes';

/** In the order Envoy's /config_dump lists them. */
export const RESOURCE_KINDS: readonly ResourceKind[] = ['clusters', 'endpoints', 'listeners', 'routes'];

export const KIND_TYPE_URL: Record<ResourceKind, string> = {
  clusters: TypeUrl.Cluster,
  endpoints: TypeUrl.ClusterLoadAssignment,
  listeners: TypeUrl.Listener,
  routes: TypeUrl.RouteConfiguration,
};

export const KIND_SCHEMA = {
  clusters: ClusterSchema,
  endpoints: ClusterLoadAssignmentSchema,
  listeners: ListenerSchema,
  routes: RouteConfigurationSchema,
} as const;

/** Short xDS names, as istioctl proxy-status prints them. */
export const KIND_XDS_NAME: Record<ResourceKind, string> = { clusters: 'CDS', endpoints: 'EDS', listeners: 'LDS', routes: 'RDS' };

export function isResourceKind(value: string): value is ResourceKind {
  return (RESOURCE_KINDS as readonly string[]).includes(value);
}

/** The cached resource as the Any it was sent as. */
export function toAny(resource: CachedResource): Any {
  return fromBinary(AnySchema, resource.anyBytes);
}

/** Decodes the resources that are of `schema`'s type (others are skipped). */
export function decodeAll<Desc extends DescMessage>(schema: Desc, resources: readonly CachedResource[]): Array<MessageShape<Desc>> {
  const out: Array<MessageShape<Desc>> = [];
  for (const r of resources) {
    const message = anyUnpack(toAny(r), schema);
    if (message) out.push(message);
  }
  return out;
}

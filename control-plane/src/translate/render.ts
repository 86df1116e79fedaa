// Text forms of translated resources, for golden files, config dumps and people: proto3 JSON with
// Envoy's field names and "@type" on every Any, and the same rendered as YAML.
import type { JsonValue } from '@bufbuild/protobuf';
import { stringify } from 'yaml';
import { ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { ListenerSchema } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { envoyJson } from '../envoy/registry.js';
import type { EnvoyResources } from './index.js';

export interface ResourcesJson {
  listeners: JsonValue[];
  routes: JsonValue[];
  clusters: JsonValue[];
  endpoints: JsonValue[];
}

export function resourcesToJson(resources: EnvoyResources): ResourcesJson {
  return {
    listeners: resources.listeners.map((r) => envoyJson(ListenerSchema, r)),
    routes: resources.routes.map((r) => envoyJson(RouteConfigurationSchema, r)),
    clusters: resources.clusters.map((r) => envoyJson(ClusterSchema, r)),
    endpoints: resources.endpoints.map((r) => envoyJson(ClusterLoadAssignmentSchema, r)),
  };
}

/** YAML that keeps the JSON's key order (declaration order), one document, no line folding. */
export function resourcesToYaml(value: JsonValue): string {
  return stringify(value, { lineWidth: 0, aliasDuplicateObjects: false });
}

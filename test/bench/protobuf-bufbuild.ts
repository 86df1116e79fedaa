// Benchmark candidate: @bufbuild/protobuf with the protoc-gen-es code the control plane uses
// (control-plane/src/envoy/generated, from scripts/generate-protos.mjs).
import { create, createRegistry, fromBinary, toBinary, toJson, type MessageInitShape } from '@bufbuild/protobuf';
import { anyPack, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { file_envoy_admin_v3_config_dump_shared, RoutesConfigDumpSchema } from '../../control-plane/src/envoy/generated/envoy/admin/v3/config_dump_shared_pb.js';
import {
  file_envoy_config_route_v3_route,
  RouteConfigurationSchema,
  type RouteConfiguration,
} from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_pb.js';
import type { RouteSchema } from '../../control-plane/src/envoy/generated/envoy/config/route/v3/route_components_pb.js';
import { HeaderValueOption_HeaderAppendAction } from '../../control-plane/src/envoy/generated/envoy/config/core/v3/base_pb.js';
import { LAST_UPDATED_MS, type Candidate, type RouteItemSpec, type RouteSpec } from './protobuf-fixture.js';

const registry = createRegistry(file_envoy_config_route_v3_route, file_envoy_admin_v3_config_dump_shared);

function route(r: RouteItemSpec): MessageInitShape<typeof RouteSchema> {
  const headers = r.laneMatch
    ? [{ name: r.laneMatch.header, headerMatchSpecifier: { case: 'stringMatch' as const, value: { matchPattern: { case: 'exact' as const, value: r.laneMatch.value } } } }]
    : [];
  return {
    match: { pathSpecifier: { case: 'prefix', value: '/' }, headers },
    action: { case: 'route', value: { clusterSpecifier: { case: 'cluster', value: r.cluster } } },
    responseHeadersToAdd: [{ header: { key: r.responseHeader.key, value: r.responseHeader.value }, appendAction: HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD }],
  };
}

export function bufbuildCandidate(version: string): Candidate<RouteConfiguration> {
  return {
    label: `@bufbuild/protobuf ${version}`,
    codegen: 'protoc-gen-es (buf generate, target=ts), the control plane\'s own generated code',
    jsonSupport: 'yes: toJson() emits canonical proto3 JSON; Any expands to {"@type", ...} through a registry',
    build: (spec: RouteSpec) =>
      create(RouteConfigurationSchema, {
        name: spec.name,
        virtualHosts: spec.virtualHosts.map((vh) => ({ name: vh.name, domains: vh.domains, routes: vh.routes.map(route) })),
      }),
    encode: (m) => toBinary(RouteConfigurationSchema, m),
    decode: (bytes) => fromBinary(RouteConfigurationSchema, bytes),
    configDumpJson: (m) => {
      const dump = create(RoutesConfigDumpSchema, {
        dynamicRouteConfigs: [{ versionInfo: '1', routeConfig: anyPack(RouteConfigurationSchema, m), lastUpdated: timestampFromMs(LAST_UPDATED_MS) }],
      });
      return JSON.stringify(toJson(RoutesConfigDumpSchema, dump, { registry, useProtoFieldName: true }));
    },
  };
}

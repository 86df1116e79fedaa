// The type registry for Any and proto3 JSON: every Envoy type Laneway packs into an Any, plus the
// resource, bootstrap and admin config-dump types, so toJson/fromJson can expand "@type".
import { createRegistry, toJson, type DescMessage, type JsonValue, type MessageShape } from '@bufbuild/protobuf';
import { file_envoy_admin_v3_config_dump } from './generated/envoy/admin/v3/config_dump_pb.js';
import { file_envoy_admin_v3_config_dump_shared } from './generated/envoy/admin/v3/config_dump_shared_pb.js';
import { file_envoy_config_bootstrap_v3_bootstrap } from './generated/envoy/config/bootstrap/v3/bootstrap_pb.js';
import { file_envoy_config_cluster_v3_cluster } from './generated/envoy/config/cluster/v3/cluster_pb.js';
import { file_envoy_config_endpoint_v3_endpoint } from './generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { file_envoy_config_listener_v3_listener } from './generated/envoy/config/listener/v3/listener_pb.js';
import { file_envoy_config_route_v3_route } from './generated/envoy/config/route/v3/route_pb.js';
import { file_envoy_config_route_v3_route_components } from './generated/envoy/config/route/v3/route_components_pb.js';
import { file_envoy_extensions_filters_http_router_v3_router } from './generated/envoy/extensions/filters/http/router/v3/router_pb.js';
import { file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager } from './generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { file_envoy_extensions_filters_http_lua_v3_lua } from './generated/envoy/extensions/filters/http/lua/v3/lua_pb.js';
import { file_envoy_type_matcher_v3_http_inputs } from './generated/envoy/type/matcher/v3/http_inputs_pb.js';
import { file_envoy_extensions_upstreams_http_v3_http_protocol_options } from './generated/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { file_envoy_extensions_filters_listener_original_dst_v3_original_dst } from './generated/envoy/extensions/filters/listener/original_dst/v3/original_dst_pb.js';
import { file_envoy_extensions_filters_listener_http_inspector_v3_http_inspector } from './generated/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb.js';
import { file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy } from './generated/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import { file_envoy_extensions_filters_network_direct_response_v3_config } from './generated/envoy/extensions/filters/network/direct_response/v3/config_pb.js';
import { file_envoy_service_discovery_v3_discovery } from './generated/envoy/service/discovery/v3/discovery_pb.js';
import { file_envoy_extensions_access_loggers_grpc_v3_als } from './generated/envoy/extensions/access_loggers/grpc/v3/als_pb.js';
import { file_envoy_config_trace_v3_opentelemetry } from './generated/envoy/config/trace/v3/opentelemetry_pb.js';

export const envoyRegistry = createRegistry(
  file_envoy_config_listener_v3_listener,
  file_envoy_config_route_v3_route,
  file_envoy_config_route_v3_route_components,
  file_envoy_config_cluster_v3_cluster,
  file_envoy_config_endpoint_v3_endpoint,
  file_envoy_extensions_filters_network_http_connection_manager_v3_http_connection_manager,
  file_envoy_extensions_filters_http_router_v3_router,
  file_envoy_extensions_upstreams_http_v3_http_protocol_options,
  file_envoy_extensions_filters_http_lua_v3_lua,
  file_envoy_type_matcher_v3_http_inputs,
  file_envoy_extensions_filters_listener_original_dst_v3_original_dst,
  file_envoy_extensions_filters_listener_http_inspector_v3_http_inspector,
  file_envoy_extensions_filters_network_tcp_proxy_v3_tcp_proxy,
  file_envoy_extensions_filters_network_direct_response_v3_config,
  file_envoy_config_bootstrap_v3_bootstrap,
  file_envoy_admin_v3_config_dump,
  file_envoy_admin_v3_config_dump_shared,
  file_envoy_service_discovery_v3_discovery,
  file_envoy_extensions_access_loggers_grpc_v3_als,
  file_envoy_config_trace_v3_opentelemetry,
);

/**
 * Proto3 JSON with Envoy's own field names (snake_case, as in Envoy's docs and /config_dump),
 * Any expanded with "@type" (first, as Envoy prints it), other fields in declaration order.
 */
export function envoyJson<Desc extends DescMessage>(schema: Desc, message: MessageShape<Desc>): JsonValue {
  return typeFirst(toJson(schema, message, { registry: envoyRegistry, useProtoFieldName: true }));
}

function typeFirst(value: JsonValue): JsonValue {
  if (Array.isArray(value)) return value.map(typeFirst);
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value).map(([k, v]): [string, JsonValue] => [k, typeFirst(v)]);
  const type = entries.filter(([k]) => k === '@type');
  return Object.fromEntries([...type, ...entries.filter(([k]) => k !== '@type')]);
}

// Hop records (issue 27): with settings.hopRecords, every proxy's HTTP connection manager streams
// one access-log entry per request to the control plane's AccessLogService, over the xDS cluster
// every bootstrap already has. An entry carries the request's lane (logged after the lane-entry
// Lua filter set it), its traceparent, the cluster chosen (service~instance) and the served-by
// header; the control plane (observe/) names the services that drop the lane. The ingress starts a
// trace (sets traceparent from x-request-id) when a request has none and tracing is off, so every
// hop of a request shares a trace id even when the app sends none.
import { packAny } from '../envoy/any.js';
import { ApiVersion } from '../envoy/generated/envoy/config/core/v3/config_source_pb.js';
import { HttpGrpcAccessLogConfigSchema } from '../envoy/generated/envoy/extensions/access_loggers/grpc/v3/als_pb.js';
import { LuaSchema } from '../envoy/generated/envoy/extensions/filters/http/lua/v3/lua_pb.js';
import type { MeshState } from '../model/types.js';
import type { ProxyKind } from './proxy.js';

/** The static cluster of every bootstrap (envoy-configs/), which reaches the control plane's gRPC port. */
export const CONTROL_PLANE_CLUSTER = 'laneway_xds';
/** `log_name` of the entries: the control plane accepts streams under this name. */
export const HOP_LOG_NAME = 'laneway-hops';
export const TRACEPARENT = 'traceparent';
const HTTP_GRPC_ACCESS_LOG = 'envoy.access_loggers.http_grpc';
const TRACE_START_FILTER = 'laneway.trace_start';
// Envoy-side bounds: entries are flushed every second or at 16 KiB; a stream that cannot keep up
// has entries dropped by Envoy (stat access_logs.grpc_access_log.logs_dropped), never buffered on.
const FLUSH_INTERVAL = { seconds: 1n };
const BUFFER_SIZE_BYTES = 16_384;

/** The HCM's access_log list: the hop-record logger when settings.hopRecords is on, else none. */
export function hopAccessLogs(state: MeshState) {
  if (state.settings.hopRecords !== true) return [];
  const config = packAny(HttpGrpcAccessLogConfigSchema, {
    commonConfig: {
      logName: HOP_LOG_NAME,
      grpcService: { targetSpecifier: { case: 'envoyGrpc', value: { clusterName: CONTROL_PLANE_CLUSTER } } },
      transportApiVersion: ApiVersion.V3,
      bufferFlushInterval: FLUSH_INTERVAL,
      bufferSizeBytes: BUFFER_SIZE_BYTES,
    },
    additionalRequestHeadersToLog: [state.settings.laneHeader.toLowerCase(), TRACEPARENT],
    additionalResponseHeadersToLog: [state.settings.servedByHeader.toLowerCase()],
  });
  return [{ name: HTTP_GRPC_ACCESS_LOG, configType: { case: 'typedConfig' as const, value: config } }];
}

// x-request-id is a UUID the connection manager set before any filter: its 32 hex digits are a
// valid W3C trace id. A client-chosen x-request-id that is not one gets a random trace id.
const TRACE_START_SCRIPT = `-- Laneway trace start (generated): a request without traceparent gets one.
function envoy_on_request(handle)
  local headers = handle:headers()
  if headers:get("${TRACEPARENT}") ~= nil then return end
  local id = (headers:get("x-request-id") or ""):gsub("-", ""):lower()
  if not id:match("^%x+$") or #id ~= 32 or id == string.rep("0", 32) then
    id = string.format("%08x%08x%08x%08x", math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(0, 0x7fffffff), math.random(1, 0x7fffffff))
  end
  headers:replace("${TRACEPARENT}", "00-" .. id .. "-" .. id:sub(17, 32) .. "-01")
end
`;

/** The ingress's trace-start Lua filter (hop records on, tracing off: the tracer starts traces itself). */
export function traceStartFilters(state: MeshState, kind: ProxyKind) {
  if (kind !== 'ingress' || state.settings.hopRecords !== true || state.settings.tracing !== undefined) return [];
  const script = { specifier: { case: 'inlineString' as const, value: TRACE_START_SCRIPT } };
  return [{ name: TRACE_START_FILTER, configType: { case: 'typedConfig' as const, value: packAny(LuaSchema, { defaultSourceCode: script }) } }];
}

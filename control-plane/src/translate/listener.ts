// Listeners: one HTTP listener per proxy (the sidecar's outbound listener, or the ingress), whose
// routes come over RDS on the same ADS stream.
import { create } from '@bufbuild/protobuf';
import { packAny } from '../envoy/any.js';
import { ListenerSchema, type Listener } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouterSchema } from '../envoy/generated/envoy/extensions/filters/http/router/v3/router_pb.js';
import {
  HttpConnectionManager_CodecType,
  HttpConnectionManagerSchema,
} from '../envoy/generated/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { LuaSchema } from '../envoy/generated/envoy/extensions/filters/http/lua/v3/lua_pb.js';
import type { MeshState } from '../model/types.js';
import { adsConfigSource } from './config-source.js';
import { hopAccessLogs, traceStartFilters } from './hop-records.js';
import { laneEntryFor, laneEntryScript } from './lane-entry.js';
import { LISTENER_NAME, ROUTE_CONFIG_NAME } from './names.js';
import { hcmTracing } from './tracing.js';
import type { ProxyTarget } from './proxy.js';

export const HTTP_CONNECTION_MANAGER = 'envoy.filters.network.http_connection_manager';
const ROUTER = 'envoy.filters.http.router';
const LUA = 'envoy.filters.http.lua';

/** The ingress's trace start (hop records), the lane-entry Lua filter (when some mechanism besides the lane header is on), then the router. */
function httpFilters(state: MeshState, proxy: ProxyTarget) {
  const entry = laneEntryFor(state, proxy.kind);
  const router = { name: ROUTER, configType: { case: 'typedConfig' as const, value: packAny(RouterSchema, {}) } };
  const traceStart = traceStartFilters(state, proxy.kind);
  if (!entry) return [...traceStart, router];
  const script = { specifier: { case: 'inlineString' as const, value: laneEntryScript(entry) } };
  const lua = { name: LUA, configType: { case: 'typedConfig' as const, value: packAny(LuaSchema, { defaultSourceCode: script }) } };
  return [...traceStart, lua, router];
}

/**
 * AUTO codec: apps may speak HTTP/1.1 (as an HTTP proxy, absolute-form URLs) or h2c for gRPC.
 * `routeConfigName` and `statPrefix` default to the proxy kind's; the capture listener passes its own.
 */
export function httpConnectionManager(state: MeshState, proxy: ProxyTarget, names?: { statPrefix: string; routeConfigName: string }) {
  const tracing = hcmTracing(state, proxy);
  return packAny(HttpConnectionManagerSchema, {
    statPrefix: names?.statPrefix ?? LISTENER_NAME[proxy.kind],
    codecType: HttpConnectionManager_CodecType.AUTO,
    routeSpecifier: {
      case: 'rds',
      value: { configSource: adsConfigSource(), routeConfigName: names?.routeConfigName ?? ROUTE_CONFIG_NAME[proxy.kind] },
    },
    httpFilters: httpFilters(state, proxy),
    accessLog: hopAccessLogs(state),
    ...(tracing && { tracing }),
  });
}

export function listenerFor(state: MeshState, proxy: ProxyTarget): Listener {
  return create(ListenerSchema, {
    name: LISTENER_NAME[proxy.kind],
    address: {
      address: {
        case: 'socketAddress',
        value: { address: proxy.listenerAddress, portSpecifier: { case: 'portValue', value: proxy.listenerPort } },
      },
    },
    filterChains: [
      {
        filters: [{ name: HTTP_CONNECTION_MANAGER, configType: { case: 'typedConfig', value: httpConnectionManager(state, proxy) } }],
      },
    ],
  });
}

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
import { adsConfigSource } from './config-source.js';
import { LISTENER_NAME, ROUTE_CONFIG_NAME } from './names.js';
import type { ProxyTarget } from './proxy.js';

const HTTP_CONNECTION_MANAGER = 'envoy.filters.network.http_connection_manager';
const ROUTER = 'envoy.filters.http.router';

/** AUTO codec: apps may speak HTTP/1.1 (as an HTTP proxy, absolute-form URLs) or h2c for gRPC. */
function httpConnectionManager(proxy: ProxyTarget) {
  return packAny(HttpConnectionManagerSchema, {
    statPrefix: LISTENER_NAME[proxy.kind],
    codecType: HttpConnectionManager_CodecType.AUTO,
    routeSpecifier: {
      case: 'rds',
      value: { configSource: adsConfigSource(), routeConfigName: ROUTE_CONFIG_NAME[proxy.kind] },
    },
    httpFilters: [{ name: ROUTER, configType: { case: 'typedConfig', value: packAny(RouterSchema, {}) } }],
  });
}

export function listenerFor(proxy: ProxyTarget): Listener {
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
        filters: [{ name: HTTP_CONNECTION_MANAGER, configType: { case: 'typedConfig', value: httpConnectionManager(proxy) } }],
      },
    ],
  });
}

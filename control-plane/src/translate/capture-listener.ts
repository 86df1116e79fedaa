// Transparent outbound capture (issue 25): iptables (deploy/capture/laneway-capture.sh) redirects
// the pod's outbound TCP to this listener. The original_dst listener filter restores where the app
// was connecting; http_inspector tells HTTP/1.x and h2c from anything else.
//   - HTTP: the HTTP connection manager with the `capture` routes: the sidecar's outbound virtual
//     hosts (matched on Host/:authority), then a catch-all that forwards to the original destination.
//   - anything else (TLS, databases, unknown protocols): tcp_proxy to the original destination.
//   - a connection to the capture port itself: closed, or it would loop through the passthrough.
// The explicit outbound listener keeps its own `outbound` routes without the catch-all: there the
// "original destination" is the listener itself, so a catch-all would send Envoy to itself.
import { create } from '@bufbuild/protobuf';
import { packAny } from '../envoy/any.js';
import {
  Cluster_DiscoveryType,
  Cluster_LbPolicy,
  ClusterSchema,
  type Cluster,
} from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ListenerSchema, type Listener } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import { RouteConfigurationSchema, type RouteConfiguration } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { HttpInspectorSchema } from '../envoy/generated/envoy/extensions/filters/listener/http_inspector/v3/http_inspector_pb.js';
import { OriginalDstSchema } from '../envoy/generated/envoy/extensions/filters/listener/original_dst/v3/original_dst_pb.js';
import { ConfigSchema as DirectResponseSchema } from '../envoy/generated/envoy/extensions/filters/network/direct_response/v3/config_pb.js';
import { TcpProxySchema } from '../envoy/generated/envoy/extensions/filters/network/tcp_proxy/v3/tcp_proxy_pb.js';
import type { MeshState } from '../model/types.js';
import { HTTP_CONNECTION_MANAGER, httpConnectionManager } from './listener.js';
import { CAPTURE_LISTENER, CAPTURE_ROUTE_CONFIG, PASSTHROUGH_CLUSTER, PASSTHROUGH_VIRTUAL_HOST } from './names.js';
import type { ProxyTarget } from './proxy.js';
import { HTTP_PROTOCOL_OPTIONS, SAME_PROTOCOL_OPTIONS } from './upstream-protocol.js';

const ORIGINAL_DST = 'envoy.filters.listener.original_dst';
const HTTP_INSPECTOR = 'envoy.filters.listener.http_inspector';
const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
const DIRECT_RESPONSE = 'envoy.filters.network.direct_response';
/** What http_inspector reports for HTTP/1.0, HTTP/1.1 and HTTP/2 prior knowledge (gRPC). */
const HTTP_PROTOCOLS = ['http/1.0', 'http/1.1', 'h2c'];
// A server-first protocol (MySQL, SMTP) sends nothing until the server greets: after this long
// without client bytes the connection passes through as TCP instead of waiting (or being closed).
const DETECTION_TIMEOUT = { seconds: 1n };

function typed<T>(name: string, value: T) {
  return { name, configType: { case: 'typedConfig' as const, value } };
}

function passthroughFilterChain() {
  return {
    name: PASSTHROUGH_CLUSTER,
    filters: [typed(TCP_PROXY, packAny(TcpProxySchema, { statPrefix: PASSTHROUGH_CLUSTER, clusterSpecifier: { case: 'cluster', value: PASSTHROUGH_CLUSTER } }))],
  };
}

/** The capture listener, for a sidecar whose node asked for capture; undefined otherwise. */
export function captureListenerFor(state: MeshState, proxy: ProxyTarget): Listener | undefined {
  const capture = proxy.capture;
  if (proxy.kind !== 'sidecar' || capture === undefined) return undefined;
  const hcm = httpConnectionManager(state, proxy, { statPrefix: CAPTURE_LISTENER, routeConfigName: CAPTURE_ROUTE_CONFIG });
  return create(ListenerSchema, {
    name: CAPTURE_LISTENER,
    address: { address: { case: 'socketAddress', value: { address: capture.address, portSpecifier: { case: 'portValue', value: capture.port } } } },
    listenerFilters: [typed(ORIGINAL_DST, packAny(OriginalDstSchema, {})), typed(HTTP_INSPECTOR, packAny(HttpInspectorSchema, {}))],
    listenerFiltersTimeout: DETECTION_TIMEOUT,
    continueOnListenerFiltersTimeout: true,
    filterChains: [
      { name: 'loop', filterChainMatch: { destinationPort: capture.port }, filters: [typed(DIRECT_RESPONSE, packAny(DirectResponseSchema, {}))] },
      { name: 'http', filterChainMatch: { applicationProtocols: HTTP_PROTOCOLS }, filters: [typed(HTTP_CONNECTION_MANAGER, hcm)] },
    ],
    defaultFilterChain: passthroughFilterChain(),
  });
}

/** The capture listener's routes: the outbound virtual hosts, then any other Host to where the app was connecting. */
export function captureRouteConfig(outbound: RouteConfiguration): RouteConfiguration {
  const passthrough = {
    name: PASSTHROUGH_VIRTUAL_HOST,
    domains: ['*'],
    routes: [{
      match: { pathSpecifier: { case: 'prefix' as const, value: '/' } },
      // Not Laneway's traffic: no route timeout (streams, long polls), no served-by header.
      action: { case: 'route' as const, value: { clusterSpecifier: { case: 'cluster' as const, value: PASSTHROUGH_CLUSTER }, timeout: { seconds: 0n } } },
    }],
  };
  return create(RouteConfigurationSchema, { name: CAPTURE_ROUTE_CONFIG, virtualHosts: [...outbound.virtualHosts, passthrough] });
}

/** Connects to each connection's original destination, speaking the protocol the app spoke. */
export function passthroughCluster(): Cluster {
  return create(ClusterSchema, {
    name: PASSTHROUGH_CLUSTER,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.ORIGINAL_DST },
    lbPolicy: Cluster_LbPolicy.CLUSTER_PROVIDED,
    connectTimeout: { seconds: 1n },
    typedExtensionProtocolOptions: { [HTTP_PROTOCOL_OPTIONS]: SAME_PROTOCOL_OPTIONS },
  });
}

/** What capture adds for one proxy (none unless its node asked for capture): for translateProxy and the memo seam. */
export function captureResources(state: MeshState, proxy: ProxyTarget, outbound: RouteConfiguration): { listener: Listener; route: RouteConfiguration; cluster: Cluster } | undefined {
  const listener = captureListenerFor(state, proxy);
  return listener && { listener, route: captureRouteConfig(outbound), cluster: passthroughCluster() };
}

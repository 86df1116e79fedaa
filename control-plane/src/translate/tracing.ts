// Lane-aware tracing (issue 27): with settings.tracing, every proxy's HTTP connection manager
// runs Envoy's OpenTelemetry tracer, exporting spans over OTLP gRPC to the collector through the
// cluster `laneway-otlp`. Each span carries the request's lane (after lane entry), the proxy's
// service, the proxy's own lane (LANEWAY_LANE in the Envoy's environment) and, from the route, the
// instance that served ("orders/feature-x", "orders/stable (fallback)"). All of it comes over
// xDS, so tracing turns on and off without restarting Envoy.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { packAny } from '../envoy/any.js';
import { Cluster_DiscoveryType, ClusterSchema, type Cluster } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { OpenTelemetryConfigSchema } from '../envoy/generated/envoy/config/trace/v3/opentelemetry_pb.js';
import type { CustomTagSchema } from '../envoy/generated/envoy/type/tracing/v3/custom_tag_pb.js';
import { parseCollector } from '../model/validate-observe.js';
import type { MeshState } from '../model/types.js';
import { METADATA_NAMESPACE, SERVED_BY_KEY } from './names.js';
import type { ProxyTarget } from './proxy.js';
import { HTTP2_OPTIONS, HTTP_PROTOCOL_OPTIONS } from './upstream-protocol.js';

/** The collector's cluster (no "~": not a service's instance). */
export const OTLP_CLUSTER = 'laneway-otlp';
/** The Envoy environment variable naming the proxy's own lane (the instance it fronts). */
export const PROXY_LANE_ENV = 'LANEWAY_LANE';
export const TAG = { lane: 'laneway.lane', service: 'laneway.service', proxyLane: 'laneway.proxy_lane', servedBy: 'laneway.served_by' } as const;
const OPENTELEMETRY = 'envoy.tracers.opentelemetry';
const EXPORT_TIMEOUT = { seconds: 1n };

type CustomTagInit = MessageInitShape<typeof CustomTagSchema>;

/** The HCM's `tracing` when settings.tracing is set; undefined otherwise. */
export function hcmTracing(state: MeshState, proxy: ProxyTarget) {
  const tracing = state.settings.tracing;
  if (!tracing) return undefined;
  const service = proxy.kind === 'ingress' ? 'ingress' : (proxy.service ?? 'unknown');
  const customTags: CustomTagInit[] = [
    { tag: TAG.lane, type: { case: 'requestHeader', value: { name: state.settings.laneHeader.toLowerCase(), defaultValue: '' } } },
    { tag: TAG.service, type: { case: 'literal', value: { value: service } } },
    { tag: TAG.proxyLane, type: { case: 'environment', value: { name: PROXY_LANE_ENV, defaultValue: '' } } },
  ];
  const config = packAny(OpenTelemetryConfigSchema, {
    grpcService: { targetSpecifier: { case: 'envoyGrpc', value: { clusterName: OTLP_CLUSTER } }, timeout: EXPORT_TIMEOUT },
    serviceName: service,
  });
  return {
    randomSampling: { value: tracing.samplingPercent ?? 100 },
    customTags,
    provider: { name: OPENTELEMETRY, configType: { case: 'typedConfig' as const, value: config } },
  };
}

/** A route's tracing: the served instance, fixed, or from the picked endpoint's metadata for an instance that may fall back. */
export function routeTracing(state: MeshState, servedBy: string, fromEndpoint: boolean) {
  if (!state.settings.tracing) return undefined;
  const tag: CustomTagInit = fromEndpoint
    ? { tag: TAG.servedBy, type: { case: 'metadata', value: { kind: { kind: { case: 'host', value: {} } }, metadataKey: { key: METADATA_NAMESPACE, path: [{ segment: { case: 'key', value: SERVED_BY_KEY } }] }, defaultValue: servedBy } } }
    : { tag: TAG.servedBy, type: { case: 'literal', value: { value: servedBy } } };
  return { customTags: [tag] };
}

/** The collector's cluster (HTTP/2, DNS-resolved), when settings.tracing is set. */
export function otlpCluster(state: MeshState): Cluster | undefined {
  const collector = state.settings.tracing && parseCollector(state.settings.tracing.collector);
  if (!collector) return undefined;
  return create(ClusterSchema, {
    name: OTLP_CLUSTER,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STRICT_DNS },
    connectTimeout: { seconds: 1n },
    typedExtensionProtocolOptions: { [HTTP_PROTOCOL_OPTIONS]: HTTP2_OPTIONS },
    loadAssignment: {
      clusterName: OTLP_CLUSTER,
      endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: 'endpoint', value: { address: { address: { case: 'socketAddress', value: { address: collector.host, portSpecifier: { case: 'portValue', value: collector.port } } } } } } }] }],
    },
  });
}

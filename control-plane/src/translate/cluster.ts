// Clusters: one per service instance (stable, and each lane overriding the service).
import { create } from '@bufbuild/protobuf';
import {
  Cluster_DiscoveryType,
  Cluster_DnsLookupFamily,
  Cluster_LbPolicy,
  ClusterSchema,
  type Cluster,
} from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { HttpProtocolOptionsSchema } from '../envoy/generated/envoy/extensions/upstreams/http/v3/http_protocol_options_pb.js';
import { packAny } from '../envoy/any.js';
import { adsConfigSource } from './config-source.js';
import { loadAssignmentFor, needsDns } from './endpoint.js';
import type { Instance } from './instances.js';

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

/** gRPC upstreams speak HTTP/2 (cleartext, prior knowledge); HTTP ones keep Envoy's HTTP/1.1 default. */
function protocolOptions(instance: Instance): Cluster['typedExtensionProtocolOptions'] {
  if (instance.service.protocol !== 'grpc') return {};
  const options = packAny(HttpProtocolOptionsSchema, {
    upstreamProtocolOptions: {
      case: 'explicitHttpConfig',
      value: { protocolConfig: { case: 'http2ProtocolOptions', value: {} } },
    },
  });
  return { [HTTP_PROTOCOL_OPTIONS]: options };
}

export function clusterFor(instance: Instance): Cluster {
  const common = {
    name: instance.cluster,
    connectTimeout: { seconds: 1n },
    lbPolicy: Cluster_LbPolicy.ROUND_ROBIN,
    typedExtensionProtocolOptions: protocolOptions(instance),
  };
  // EDS may only carry IP addresses, so an instance with any DNS-name endpoint becomes a
  // STRICT_DNS cluster with its endpoints inline (and gets no EDS resource).
  if (needsDns(instance)) {
    return create(ClusterSchema, {
      ...common,
      clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STRICT_DNS },
      // AUTO prefers IPv6: "localhost" would dial ::1 while most apps listen on 127.0.0.1 only.
      dnsLookupFamily: Cluster_DnsLookupFamily.V4_PREFERRED,
      loadAssignment: loadAssignmentFor(instance),
    });
  }
  return create(ClusterSchema, {
    ...common,
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.EDS },
    edsClusterConfig: { edsConfig: adsConfigSource() },
  });
}

/** True when the instance's endpoints travel over EDS rather than inline in its cluster. */
export function usesEds(instance: Instance): boolean {
  return !needsDns(instance);
}

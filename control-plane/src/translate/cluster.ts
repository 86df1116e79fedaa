// Clusters: one per service instance (stable, and each lane overriding the service).
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { DurationSchema } from '@bufbuild/protobuf/wkt';
import {
  Cluster_DiscoveryType,
  Cluster_EdsClusterConfigSchema,
  Cluster_DnsLookupFamily,
  Cluster_LbPolicy,
  ClusterSchema,
  type Cluster,
} from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { OutlierDetectionSchema } from '../envoy/generated/envoy/config/cluster/v3/outlier_detection_pb.js';
import { HealthCheckSchema } from '../envoy/generated/envoy/config/core/v3/health_check_pb.js';
import { deepFreeze } from '../model/deep-freeze.js';
import { adsConfigSource } from './config-source.js';
import { loadAssignmentInit, needsDns } from './endpoint.js';
import type { Instance } from './instances.js';
import { HTTP1_OPTIONS, HTTP2_OPTIONS, HTTP_PROTOCOL_OPTIONS } from './upstream-protocol.js';

/** gRPC services speak HTTP/2 upstream, HTTP ones HTTP/1.1 (upstream-protocol.ts). */
function protocolOptions(instance: Instance): Cluster['typedExtensionProtocolOptions'] {
  return { [HTTP_PROTOCOL_OPTIONS]: instance.service.protocol === 'grpc' ? HTTP2_OPTIONS : HTTP1_OPTIONS };
}

// The parts below are the same in every cluster that has them: created once and shared (messages
// are values here, nobody edits one), as creating them is most of what building a cluster costs.

// How fast a dead lane instance is noticed: a TCP connect check every second (also while the
// cluster has seen no traffic, so a sidecar that has not called it yet knows), two failures to
// mark an endpoint down, one success to bring it back.
const HEALTH_CHECK = deepFreeze(create(HealthCheckSchema, {
  timeout: { seconds: 1n },
  interval: { seconds: 1n },
  noTrafficInterval: { seconds: 1n },
  unhealthyThreshold: 2,
  healthyThreshold: 1,
  healthChecker: { case: 'tcpHealthCheck', value: {} },
}));

// Connect failures and 502/503/504 in a row eject an endpoint before the next health check;
// an app's own 500s never do (a broken lane should look broken, not quietly fall back).
const OUTLIER_DETECTION = deepFreeze(create(OutlierDetectionSchema, {
  consecutiveGatewayFailure: 2,
  enforcingConsecutiveGatewayFailure: 100,
  enforcingConsecutive5xx: 0,
  interval: { seconds: 1n },
  baseEjectionTime: { seconds: 5n },
  maxEjectionPercent: 100,
}));

const CONNECT_TIMEOUT = deepFreeze(create(DurationSchema, { seconds: 1n }));
const EDS_CONFIG = deepFreeze(create(Cluster_EdsClusterConfigSchema, { edsConfig: adsConfigSource() }));

export type ClusterInit = MessageInitShape<typeof ClusterSchema>;

/**
 * The instance's cluster as an init shape (what the memo encodes directly; clusterFor creates it).
 * One object literal naming every field it may set (undefined: unset, as create() reads it): inits
 * of one shape are several times faster to encode than spread-built ones, each of its own shape.
 */
export function clusterInit(instance: Instance): ClusterInit {
  // EDS may only carry IP addresses, so an instance with any DNS-name endpoint becomes a
  // STRICT_DNS cluster with its endpoints inline (and gets no EDS resource).
  const dns = needsDns(instance);
  // Instances that fall back to stable (their stable endpoints at priority 1) are health checked.
  const checked = instance.fallback !== undefined;
  return {
    name: instance.cluster,
    clusterDiscoveryType: { case: 'type', value: dns ? Cluster_DiscoveryType.STRICT_DNS : Cluster_DiscoveryType.EDS },
    edsClusterConfig: dns ? undefined : EDS_CONFIG,
    connectTimeout: CONNECT_TIMEOUT,
    lbPolicy: Cluster_LbPolicy.ROUND_ROBIN,
    healthChecks: checked ? [HEALTH_CHECK] : undefined,
    outlierDetection: checked ? OUTLIER_DETECTION : undefined,
    // AUTO prefers IPv6: "localhost" would dial ::1 while most apps listen on 127.0.0.1 only.
    dnsLookupFamily: dns ? Cluster_DnsLookupFamily.V4_PREFERRED : undefined,
    loadAssignment: dns ? loadAssignmentInit(instance) : undefined,
    typedExtensionProtocolOptions: protocolOptions(instance),
  };
}

export function clusterFor(instance: Instance): Cluster {
  return create(ClusterSchema, clusterInit(instance));
}

/** True when the instance's endpoints travel over EDS rather than inline in its cluster. */
export function usesEds(instance: Instance): boolean {
  return !needsDns(instance);
}

// TEST ONLY (LANEWAY_TEST_FAULTS=1): resources that pass protobuf encoding but that Envoy rejects,
// added to one proxy group's snapshot so tests can watch a real NACK, then removed again.
import { create, toBinary } from '@bufbuild/protobuf';
import { Cluster_DiscoveryType, ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ListenerSchema } from '../envoy/generated/envoy/config/listener/v3/listener_pb.js';
import type { ResourceInput } from '../xds/snapshot.js';
import { TypeUrl } from '../xds/type-urls.js';

export const FAULTS_ENV = 'LANEWAY_TEST_FAULTS';
export const FAULT_RESOURCE_NAME = 'laneway-test-fault';
export type FaultKind = 'listener' | 'cluster';
export const FAULT_KINDS: readonly FaultKind[] = ['listener', 'cluster'];

export function faultsEnabled(env: NodeJS.ProcessEnv): boolean {
  return env[FAULTS_ENV] === '1';
}

// Envoy parses socket addresses as IP literals: "not-an-ip" fails with "malformed IP address".
const BAD_ADDRESS = {
  address: { case: 'socketAddress' as const, value: { address: 'not-an-ip', portSpecifier: { case: 'portValue' as const, value: 1 } } },
};

/** One resource Envoy will NACK. */
export function faultResource(kind: FaultKind): ResourceInput {
  if (kind === 'listener') {
    const listener = create(ListenerSchema, { name: FAULT_RESOURCE_NAME, address: BAD_ADDRESS });
    return { name: FAULT_RESOURCE_NAME, typeUrl: TypeUrl.Listener, value: toBinary(ListenerSchema, listener) };
  }
  const cluster = create(ClusterSchema, {
    name: FAULT_RESOURCE_NAME,
    connectTimeout: { seconds: 1n },
    clusterDiscoveryType: { case: 'type', value: Cluster_DiscoveryType.STATIC },
    loadAssignment: {
      clusterName: FAULT_RESOURCE_NAME,
      endpoints: [{ lbEndpoints: [{ hostIdentifier: { case: 'endpoint', value: { address: BAD_ADDRESS } } }] }],
    },
  });
  return { name: FAULT_RESOURCE_NAME, typeUrl: TypeUrl.Cluster, value: toBinary(ClusterSchema, cluster) };
}

/** Adds or removes the fault of a proxy group; implemented by the wiring over the snapshot publisher. */
export interface FaultInjector {
  /** Returns the group that now carries the fault. */
  inject(nodeId: string, kind: FaultKind): { group: string } | { error: string };
  /** Removes the faults of the node's group (every group when nodeId is absent); returns the groups cleared. */
  clear(nodeId?: string): string[];
}

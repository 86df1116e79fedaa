// Serialized Cluster and ClusterLoadAssignment of one service instance, without building messages
// where the bytes are known: a full rebuild at 10,000 lanes has 20,000 instances, and building each
// Cluster through the protobuf runtime costs about 20 µs where copying bytes costs under 1.
//  - Cluster: every EDS cluster of one shape (clusterShape) differs only in its name, field 1,
//    which protobuf writes first; so the bytes are the name field plus the shape's encoded rest.
//  - ClusterLoadAssignment of an instance without fallback: cluster_name and one locality of
//    socket addresses, written field by field.
// Each fast path is checked once per encoder against the protobuf runtime on its first use, and
// gives way to the runtime for good if they ever differ.
import { toBinary } from '@bufbuild/protobuf';
import { ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { FieldWriter, fieldSize, varintSize } from '../envoy/field-writer.js';
import { clusterFor, clusterShape } from './cluster.js';
import { hostPorts, loadAssignmentFor, type HostPort } from './endpoint.js';
import type { Instance } from './instances.js';

// Tags (field number << 3 | wire type) of the fields written by hand.
const NAME = (1 << 3) | 2; // Cluster.name, ClusterLoadAssignment.cluster_name
const CLA_ENDPOINTS = (2 << 3) | 2; // ClusterLoadAssignment.endpoints (LocalityLbEndpoints)
const LB_ENDPOINTS = (2 << 3) | 2; // LocalityLbEndpoints.lb_endpoints
const ENDPOINT = (1 << 3) | 2; // LbEndpoint.endpoint
const ADDRESS = (1 << 3) | 2; // Endpoint.address
const SOCKET_ADDRESS = (1 << 3) | 2; // Address.socket_address
const SOCKET_ADDRESS_ADDRESS = (2 << 3) | 2; // SocketAddress.address
const PORT_VALUE = (3 << 3) | 0; // SocketAddress.port_value

const sameBytes = (a: Uint8Array, b: Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);

function withName(name: string, rest: Uint8Array): Uint8Array {
  const nameLength = Buffer.byteLength(name, 'utf8');
  const writer = new FieldWriter(Buffer.allocUnsafeSlow((nameLength > 0 ? fieldSize(nameLength) : 0) + rest.byteLength));
  if (nameLength > 0) writer.string(NAME, name, nameLength);
  writer.buf.set(rest, writer.pos);
  return writer.buf;
}

function socketAddressSize({ host, port }: HostPort): number {
  return fieldSize(Buffer.byteLength(host, 'utf8')) + (port > 0 ? 1 + varintSize(port) : 0);
}

/** ClusterLoadAssignment { cluster_name, endpoints: [{ lb_endpoints: [each socket address] }] } (none: no locality). */
function plainLoadAssignment(name: string, endpoints: readonly HostPort[]): Uint8Array {
  const socketSizes = endpoints.map(socketAddressSize);
  const lbEndpointSizes = socketSizes.map((s) => fieldSize(fieldSize(fieldSize(s))));
  const localitySize = lbEndpointSizes.reduce((n, s) => n + fieldSize(s), 0);
  const nameLength = Buffer.byteLength(name, 'utf8');
  const size = (nameLength > 0 ? fieldSize(nameLength) : 0) + (endpoints.length > 0 ? fieldSize(localitySize) : 0);
  const w = new FieldWriter(Buffer.allocUnsafeSlow(size));
  if (nameLength > 0) w.string(NAME, name, nameLength);
  if (endpoints.length === 0) return w.buf;
  w.buf[w.pos++] = CLA_ENDPOINTS;
  w.varint(localitySize);
  endpoints.forEach(({ host, port }, i) => {
    const socket = socketSizes[i]!;
    w.buf[w.pos++] = LB_ENDPOINTS;
    w.varint(lbEndpointSizes[i]!);
    w.buf[w.pos++] = ENDPOINT;
    w.varint(fieldSize(fieldSize(socket)));
    w.buf[w.pos++] = ADDRESS;
    w.varint(fieldSize(socket));
    w.buf[w.pos++] = SOCKET_ADDRESS;
    w.varint(socket);
    w.string(SOCKET_ADDRESS_ADDRESS, host, Buffer.byteLength(host, 'utf8'));
    if (port > 0) {
      w.buf[w.pos++] = PORT_VALUE;
      w.varint(port);
    }
  });
  return w.buf;
}

export class InstanceEncoder {
  /** Cluster shape -> its encoding without the name; null: the shape cannot be spliced. */
  private readonly clusterRests = new Map<string, Uint8Array | null>();
  private plainLoadAssignmentChecked: boolean | undefined;

  /** Which fast paths passed their check (for tests: a failed check would otherwise only cost speed). */
  get fastPaths(): { splicedClusterShapes: number; handWrittenLoadAssignments: boolean } {
    const spliced = [...this.clusterRests.values()].filter((rest) => rest !== null).length;
    return { splicedClusterShapes: spliced, handWrittenLoadAssignments: this.plainLoadAssignmentChecked === true };
  }

  /** toBinary(ClusterSchema, clusterFor(instance)). */
  cluster(instance: Instance): Uint8Array {
    const shape = clusterShape(instance);
    if (shape === undefined) return toBinary(ClusterSchema, clusterFor(instance));
    let rest = this.clusterRests.get(shape);
    if (rest === undefined) {
      const full = toBinary(ClusterSchema, clusterFor(instance));
      const candidate = toBinary(ClusterSchema, clusterFor({ ...instance, cluster: '' }));
      rest = sameBytes(withName(instance.cluster, candidate), full) ? candidate : null;
      this.clusterRests.set(shape, rest);
      return full;
    }
    return rest === null ? toBinary(ClusterSchema, clusterFor(instance)) : withName(instance.cluster, rest);
  }

  /** toBinary(ClusterLoadAssignmentSchema, loadAssignmentFor(instance)). */
  loadAssignment(instance: Instance): Uint8Array {
    if (instance.fallback || this.plainLoadAssignmentChecked === false) {
      return toBinary(ClusterLoadAssignmentSchema, loadAssignmentFor(instance));
    }
    const bytes = plainLoadAssignment(instance.cluster, hostPorts(instance));
    if (this.plainLoadAssignmentChecked === undefined) {
      const full = toBinary(ClusterLoadAssignmentSchema, loadAssignmentFor(instance));
      this.plainLoadAssignmentChecked = sameBytes(bytes, full);
      return full;
    }
    return bytes;
  }
}

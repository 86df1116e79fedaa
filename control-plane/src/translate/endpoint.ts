// ClusterLoadAssignments: the endpoints of one service instance, as EDS serves them or as a
// STRICT_DNS cluster carries them inline.
import { create } from '@bufbuild/protobuf';
import { isIP } from 'node:net';
import {
  ClusterLoadAssignmentSchema,
  type ClusterLoadAssignment,
} from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { STABLE } from '../model/types.js';
import { byCodeUnits } from './names.js';
import type { Instance } from './instances.js';

export interface HostPort {
  host: string;
  port: number;
}

/** Parses "host:port" or "[ipv6]:port"; throws with the instance's path when it is neither. */
export function parseEndpoint(endpoint: string, where: string): HostPort {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(endpoint);
  const plain = /^([^:\s[\]]+):(\d+)$/.exec(endpoint);
  const match = bracketed ?? plain;
  const port = Number(match?.[2]);
  if (!match || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new Error(`${where}: endpoint ${JSON.stringify(endpoint)} is not host:port`);
  }
  return { host: match[1]!, port };
}

export function isIpAddress(host: string): boolean {
  return isIP(host) !== 0;
}

/** Where an instance's endpoints are defined in the model, for error messages. */
function endpointsPath(instance: Instance): string {
  const { name, instance: lane } = instance;
  return lane === STABLE ? `services/${name}/endpoints` : `lanes/${lane}/services/${name}`;
}

/** The instance's endpoints parsed, de-duplicated and sorted by host:port. */
export function hostPorts(instance: Instance): HostPort[] {
  const where = endpointsPath(instance);
  const unique = [...new Set(instance.endpoints)].sort(byCodeUnits);
  return unique.map((endpoint) => parseEndpoint(endpoint, where));
}

/** True when some endpoint is a DNS name, which EDS cannot carry (Envoy wants IPs there). */
export function needsDns(instance: Instance): boolean {
  return hostPorts(instance).some((hp) => !isIpAddress(hp.host));
}

/** One locality holding every endpoint; no locality at all when there are none. */
export function loadAssignmentFor(instance: Instance): ClusterLoadAssignment {
  const endpoints = hostPorts(instance);
  return create(ClusterLoadAssignmentSchema, {
    clusterName: instance.cluster,
    endpoints:
      endpoints.length === 0
        ? []
        : [
            {
              lbEndpoints: endpoints.map(({ host, port }) => ({
                hostIdentifier: {
                  case: 'endpoint' as const,
                  value: {
                    address: {
                      address: {
                        case: 'socketAddress' as const,
                        value: { address: host, portSpecifier: { case: 'portValue' as const, value: port } },
                      },
                    },
                  },
                },
              })),
            },
          ],
  });
}

// ClusterLoadAssignments: the endpoints of one service instance, as EDS serves them or as a
// STRICT_DNS cluster carries them inline.
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { isIP } from 'node:net';
import {
  ClusterLoadAssignmentSchema,
  type ClusterLoadAssignment,
} from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { STABLE } from '../model/types.js';
import { byCodeUnits, METADATA_NAMESPACE, SERVED_BY_KEY, servedBy, servedByFallback } from './names.js';
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

// Parsed once per frozen endpoint list (the model is frozen): translating an instance asks for its
// endpoints three times (its cluster's shape, whether it uses EDS, its load assignment), and a full
// rebuild at 10,000 lanes has 20,000 instances.
const parsed = new WeakMap<readonly string[], readonly HostPort[]>();

/** Endpoints parsed, de-duplicated and sorted by host:port; `where` names them in an error. */
function parseAll(endpoints: readonly string[], where: () => string): readonly HostPort[] {
  const known = parsed.get(endpoints);
  if (known) return known;
  const result = Object.freeze([...new Set(endpoints)].sort(byCodeUnits).map((endpoint) => Object.freeze(parseEndpoint(endpoint, where()))));
  if (Object.isFrozen(endpoints)) parsed.set(endpoints, result);
  return result;
}

/** The instance's endpoints parsed, de-duplicated and sorted by host:port. */
export function hostPorts(instance: Instance): readonly HostPort[] {
  return parseAll(instance.endpoints, () => endpointsPath(instance));
}

function fallbackHostPorts(instance: Instance): readonly HostPort[] {
  return instance.fallback ? parseAll(instance.fallback, () => `services/${instance.name}/endpoints`) : [];
}

/** Whether a parsed list holds a DNS name; remembered with the list, as parsing is. */
const holdsDnsName = new WeakMap<readonly HostPort[], boolean>();

function anyDnsName(list: readonly HostPort[]): boolean {
  let known = holdsDnsName.get(list);
  if (known === undefined) holdsDnsName.set(list, (known = list.some((hp) => !isIpAddress(hp.host))));
  return known;
}

/** True when some endpoint is a DNS name, which EDS cannot carry (Envoy wants IPs there). */
export function needsDns(instance: Instance): boolean {
  return anyDnsName(hostPorts(instance)) || (instance.fallback !== undefined && anyDnsName(fallbackHostPorts(instance)));
}

// Spill to the next priority only when no endpoint at all is healthy: Envoy shifts load once a
// priority's healthy share times this factor (in percent) drops under 100, so 1 healthy in 10,000 still holds.
const FALLBACK_OVERPROVISIONING = 1_000_000;

/** Endpoint metadata naming who serves, for the served-by header of instances that may fall back. */
function servedByMetadata(value: string) {
  return { filterMetadata: { [METADATA_NAMESPACE]: { [SERVED_BY_KEY]: value } } };
}

function locality(endpoints: readonly HostPort[], priority: number, servedByValue?: string) {
  return {
    priority,
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
      // Named even when unset: endpoints of one shape encode fast (cluster.ts, clusterInit).
      metadata: servedByValue === undefined ? undefined : servedByMetadata(servedByValue),
    })),
  };
}

export type ClusterLoadAssignmentInit = MessageInitShape<typeof ClusterLoadAssignmentSchema>;

/**
 * One locality holding every endpoint (none when there are none). An instance that falls back on
 * unhealthy also gets stable's endpoints at priority 1, each endpoint saying who it serves as.
 * An init shape: what the memo encodes directly; loadAssignmentFor creates it.
 */
export function loadAssignmentInit(instance: Instance): ClusterLoadAssignmentInit {
  const endpoints = hostPorts(instance);
  if (!instance.fallback) {
    return { clusterName: instance.cluster, endpoints: endpoints.length === 0 ? [] : [locality(endpoints, 0)] };
  }
  return {
    clusterName: instance.cluster,
    endpoints: [
      locality(endpoints, 0, servedBy(instance.name, instance.instance)),
      locality(fallbackHostPorts(instance), 1, servedByFallback(instance.name)),
    ],
    policy: { overprovisioningFactor: FALLBACK_OVERPROVISIONING },
  };
}

export function loadAssignmentFor(instance: Instance): ClusterLoadAssignment {
  return create(ClusterLoadAssignmentSchema, loadAssignmentInit(instance));
}

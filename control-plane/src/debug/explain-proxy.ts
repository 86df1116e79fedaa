// `explain ... from=frontend`: for each connected proxy fronting that service, whether the config
// it ACKed (not merely what was sent) routes the request to the expected cluster and endpoints.
import { Cluster_DiscoveryType, ClusterSchema } from '../envoy/generated/envoy/config/cluster/v3/cluster_pb.js';
import { ClusterLoadAssignmentSchema, type ClusterLoadAssignment } from '../envoy/generated/envoy/config/endpoint/v3/endpoint_pb.js';
import { RouteConfigurationSchema } from '../envoy/generated/envoy/config/route/v3/route_pb.js';
import { proxyTargetFromNode } from '../runtime/node-target.js';
import type { ProxyStatus, ProxyStatusRegistry } from '../xds/proxy-status.js';
import { TypeUrl } from '../xds/type-urls.js';
import { decodeAll } from './resources.js';
import { matchRoute, routeTarget, type RouteRequest } from './route-match.js';

export interface ProxyRouteCheck {
  id: string;
  streamId: number;
  /** The acked config routes the request to the expected cluster, which it holds with the expected endpoints. */
  holdsRoute: boolean;
  routeConfiguration?: string;
  virtualHost?: string;
  via?: string;
  cluster?: string;
  /** The RDS version the proxy acked. */
  routesVersion?: string;
  problems: string[];
}

export interface FromCheck {
  service: string;
  proxies: ProxyRouteCheck[];
  /** Set when no connected proxy fronts the service. */
  note?: string;
}

export interface Expected {
  cluster: string;
  endpoints: string[];
}

/** Proxies fronting `from`: sidecars of that service, or the ingress gateways for "ingress". */
export function proxiesFronting(status: ProxyStatusRegistry, from: string): ProxyStatus[] {
  return status.list().filter((p) => {
    const target = proxyTargetFromNode({ id: p.nodeId, cluster: p.cluster, metadata: p.metadata });
    if ('error' in target) return false;
    return target.kind === 'ingress' ? from === 'ingress' : target.service === from;
  });
}

function addresses(cla: ClusterLoadAssignment): string[] {
  const out: string[] = [];
  for (const locality of cla.endpoints) {
    if (locality.priority !== 0) continue; // lower priorities only serve while the lane is unhealthy
    for (const lb of locality.lbEndpoints) {
      const sa = lb.hostIdentifier.case === 'endpoint' ? lb.hostIdentifier.value.address?.address : undefined;
      if (sa?.case === 'socketAddress' && sa.value.portSpecifier.case === 'portValue') out.push(`${sa.value.address}:${sa.value.portSpecifier.value}`);
    }
  }
  return out.sort();
}

function sameSet(a: string[], b: string[]): boolean {
  const x = [...new Set(a)].sort();
  const y = [...new Set(b)].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function clusterProblems(status: ProxyStatusRegistry, p: ProxyStatus, expected: Expected): string[] {
  const clusters = decodeAll(ClusterSchema, status.config(p.streamId, TypeUrl.Cluster)?.acked?.resources ?? []);
  const cluster = clusters.find((c) => c.name === expected.cluster);
  if (!cluster) return [`cluster ${expected.cluster} is not in the CDS response the proxy acked`];
  const isEds = cluster.clusterDiscoveryType.case === 'type' && cluster.clusterDiscoveryType.value === Cluster_DiscoveryType.EDS;
  const cla = isEds
    ? decodeAll(ClusterLoadAssignmentSchema, status.config(p.streamId, TypeUrl.ClusterLoadAssignment)?.acked?.resources ?? []).find((c) => c.clusterName === expected.cluster)
    : cluster.loadAssignment;
  if (!cla) return [`endpoints of ${expected.cluster} are not in the EDS response the proxy acked`];
  const held = addresses(cla);
  // DNS-name endpoints are resolved by Envoy; only IP endpoints can be compared here.
  if (!isEds) return [];
  return sameSet(held, expected.endpoints) ? [] : [`the proxy holds endpoints [${held.join(', ')}] for ${expected.cluster}, expected [${[...expected.endpoints].sort().join(', ')}]`];
}

function checkProxy(status: ProxyStatusRegistry, p: ProxyStatus, req: RouteRequest, expected: Expected): ProxyRouteCheck {
  const base = { id: p.nodeId, streamId: p.streamId };
  const rds = status.config(p.streamId, TypeUrl.RouteConfiguration)?.acked;
  const configs = decodeAll(RouteConfigurationSchema, rds?.resources ?? []);
  if (!rds || configs.length === 0) return { ...base, holdsRoute: false, problems: ['the proxy has not acked any route configuration'] };
  const misses: string[] = [];
  for (const config of configs) {
    const decision = matchRoute(config, req);
    if (!decision.matched) {
      misses.push(decision.reason);
      continue;
    }
    const problems: string[] = [];
    const target = routeTarget(decision.route);
    const found = { routeConfiguration: config.name, virtualHost: decision.virtualHost, via: decision.via, routesVersion: rds.version };
    if (target.cluster !== expected.cluster) problems.push(`its route sends to ${target.description}, not ${expected.cluster}`);
    else problems.push(...clusterProblems(status, p, expected));
    return { ...base, ...found, ...(target.cluster !== undefined && { cluster: target.cluster }), holdsRoute: problems.length === 0, problems };
  }
  return { ...base, holdsRoute: false, routesVersion: rds.version, problems: misses };
}

export function checkFrom(status: ProxyStatusRegistry, from: string, req: RouteRequest, expected: Expected): FromCheck {
  const proxies = proxiesFronting(status, from).map((p) => checkProxy(status, p, req, expected));
  return proxies.length > 0 ? { service: from, proxies } : { service: from, proxies, note: `no proxy fronting ${from} is connected to this replica` };
}

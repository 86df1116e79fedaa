// The model (IR): plain data produced by every source and consumed by the translator.
import type { LaneFork } from './forks.js';

export type { ForkContainer, LaneFork } from './forks.js';

export type Protocol = 'http' | 'grpc';

/** A logical service and its stable instance. Endpoints are "host:port" strings. */
export interface Service {
  name: string;
  protocol: Protocol;
  port: number;
  endpoints: string[];
  /** Services this one calls: its sidecar gets only their routes and clusters. Absent: every service. */
  dependsOn?: string[];
  /** Kubernetes namespace: adds `<name>.<namespace>[.svc[.cluster.local]]` to the routed host names. */
  namespace?: string;
  /** ClusterIPs: `<ip>:<port>` is routed too (apps and captured traffic may use the IP). */
  addresses?: string[];
}

/** A lane: the services it overrides, each with the endpoints of the lane's instance. */
export interface Lane {
  name: string;
  /** Lane to try next when this lane has no instance of a service; absent means stable. */
  fallback?: string;
  services: Record<string, string[]>;
  owner?: string;
  description?: string;
  labels?: Record<string, string>;
  /** RFC 3339 timestamp after which the lane is removed. */
  expiresAt?: string;
  /** When every endpoint of this lane's instance of a service is unhealthy, serve from stable. Off by default. */
  fallbackOnUnhealthy?: boolean;
  /** Kubernetes mode: stable Deployments the control plane copies into this lane, with what differs (model/forks.ts). */
  forks?: LaneFork[];
}

/**
 * Where a request's lane comes from besides the lane header (which always wins) and the host
 * subdomain (Settings.ingressDomain). `false` turns a mechanism off; an absent field takes its
 * default from DEFAULT_LANE_FROM.
 */
export interface LaneFrom {
  /** Every proxy: the W3C `baggage` member holding the lane ("lane"). */
  baggage?: string | false;
  /** Ingress: the cookie holding the lane ("laneway-lane"). */
  cookie?: string | false;
  /** Ingress: the query parameter holding the lane ("lane"). */
  query?: string | false;
}

export interface Settings {
  /** Request header that carries the lane name. */
  laneHeader: string;
  /** Response header naming who served a request, as "<service>/<lane or stable>". */
  servedByHeader: string;
  /** Service the ingress gateway sends requests to. */
  entryService?: string;
  /** DNS suffix under which the ingress takes the lane from the host: "<lane>.<ingressDomain>". */
  ingressDomain?: string;
  /** TTL ("2h") given to lanes created through the API without ttl or expiresAt. */
  defaultLaneTtl?: string;
  /** Longest TTL the API accepts when a lane is created, updated or renewed. */
  maxLaneTtl?: string;
  /** Lane entry by baggage, cookie and query parameter; absent fields take DEFAULT_LANE_FROM. */
  laneFrom?: LaneFrom;
  /** Every proxy streams an access-log entry per request to the control plane (the propagation check). Off when absent. */
  hopRecords?: boolean;
  /** Lane-aware tracing: every proxy sends OpenTelemetry spans to an OTLP gRPC collector. Off when absent. */
  tracing?: TracingSettings;
}

export interface TracingSettings {
  /** The OTLP gRPC collector, "host:port". */
  collector: string;
  /** Share of requests that start a trace, 0-100 (default 100); requests already sampled stay sampled. */
  samplingPercent?: number;
}

export interface MeshState {
  settings: Settings;
  services: Record<string, Service>;
  lanes: Record<string, Lane>;
}

/** The name resolution returns when no lane in the chain has an instance. */
export const STABLE = 'stable';

export const DEFAULT_SETTINGS: Settings = {
  laneHeader: 'x-lane',
  servedByHeader: 'x-lane-served-by',
};

/** At the ingress the first present wins: lane header, baggage, host subdomain, cookie, query. */
export const DEFAULT_LANE_FROM: Required<LaneFrom> = {
  baggage: 'lane',
  cookie: 'laneway-lane',
  query: 'lane',
};

export function emptyMeshState(): MeshState {
  return { settings: { ...DEFAULT_SETTINGS }, services: {}, lanes: {} };
}

// The model (IR): plain data produced by every source and consumed by the translator.

export type Protocol = 'http' | 'grpc';

/** A logical service and its stable instance. Endpoints are "host:port" strings. */
export interface Service {
  name: string;
  protocol: Protocol;
  port: number;
  endpoints: string[];
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
}

export interface Settings {
  /** Request header that carries the lane name. */
  laneHeader: string;
  /** Response header naming who served a request, as "<service>/<lane or stable>". */
  servedByHeader: string;
  /** Service the ingress gateway sends requests to. */
  entryService?: string;
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

export function emptyMeshState(): MeshState {
  return { settings: { ...DEFAULT_SETTINGS }, services: {}, lanes: {} };
}

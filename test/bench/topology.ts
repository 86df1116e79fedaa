// The benchmark topology, the same for Laneway and the go-control-plane server: S services, each
// calling the next 10 (dependsOn), L lanes each overriding 2 services, one proxy per service group.
// Deterministic: the same parameters always give the same names and endpoints.
import type { Lane, MeshState, Service } from '../../control-plane/src/model/types.js';
import { DEFAULT_SETTINGS } from '../../control-plane/src/model/types.js';

export interface TopologyParams {
  services: number;
  lanes: number;
  /** How many services each one calls (dependsOn); 0: no dependsOn, every sidecar sees every service. */
  callees?: number;
}

export const SERVICE_PORT = 8080;

export function serviceName(i: number): string {
  return `svc-${String(i).padStart(4, '0')}`;
}

export function laneName(k: number): string {
  return `lane-${String(k).padStart(5, '0')}`;
}

function ip(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}

/** The two services lane k overrides: spread over the mesh so every service gets some lanes. */
export function laneServices(k: number, services: number): [number, number] {
  const a = (k * 7) % services;
  let b = (a + 1 + ((k * 13) % (services - 1))) % services;
  if (b === a) b = (a + 1) % services;
  return [a, b];
}

export function benchService(i: number, params: TopologyParams): Service {
  const callees = params.callees ?? 10;
  if (callees === 0) return { name: serviceName(i), protocol: 'http', port: SERVICE_PORT, endpoints: [`${ip(i + 1)}:${SERVICE_PORT}`] };
  const dependsOn = Array.from({ length: Math.min(callees, params.services - 1) }, (_, j) => serviceName((i + 1 + j) % params.services));
  return { name: serviceName(i), protocol: 'http', port: SERVICE_PORT, endpoints: [`${ip(i + 1)}:${SERVICE_PORT}`], dependsOn };
}

export function benchLane(k: number, params: Pick<TopologyParams, 'services'>): Lane {
  const [a, b] = laneServices(k, params.services);
  const endpoint = (s: number) => [`${ip(0x800000 + k * 2 + (s === a ? 0 : 1))}:${SERVICE_PORT}`];
  return { name: laneName(k), services: { [serviceName(a)]: endpoint(a), [serviceName(b)]: endpoint(b) } };
}

export function benchState(params: TopologyParams): MeshState {
  const services: Record<string, Service> = {};
  for (let i = 0; i < params.services; i++) services[serviceName(i)] = benchService(i, params);
  const lanes: Record<string, Lane> = {};
  for (let k = 0; k < params.lanes; k++) lanes[laneName(k)] = benchLane(k, params);
  return { settings: { ...DEFAULT_SETTINGS }, services, lanes };
}

/** Services whose sidecars see a change to `service` (they call it). */
export function callersOf(service: number, params: TopologyParams): number[] {
  if (params.callees === 0) return Array.from({ length: params.services }, (_, i) => i);
  const callees = Math.min(params.callees ?? 10, params.services - 1);
  return Array.from({ length: callees }, (_, j) => (service - 1 - j + params.services * 2) % params.services);
}

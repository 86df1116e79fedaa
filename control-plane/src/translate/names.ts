// Names of the resources the translator emits. Other parts (explain, config dumps, e2e tests) rely
// on them, so they are part of the contract with operators.
import { STABLE } from '../model/types.js';
import type { ProxyKind } from './proxy.js';

/** Cluster of one instance of a service: `orders~stable`, `orders~feature-x`. */
export function clusterName(service: string, instance: string): string {
  return `${service}~${instance}`;
}

export function stableClusterName(service: string): string {
  return clusterName(service, STABLE);
}

/** Listener and route configuration share one name per proxy kind. */
export const LISTENER_NAME: Record<ProxyKind, string> = { sidecar: 'outbound', ingress: 'ingress' };
export const ROUTE_CONFIG_NAME: Record<ProxyKind, string> = { sidecar: 'outbound', ingress: 'ingress' };

/**
 * Transparent capture (capture-listener.ts): the listener iptables redirects to, its route
 * configuration (the outbound virtual hosts plus a catch-all), and the cluster that forwards what
 * Laneway does not route to the connection's original destination.
 */
export const CAPTURE_LISTENER = 'capture';
export const CAPTURE_ROUTE_CONFIG = 'capture';
export const PASSTHROUGH_CLUSTER = 'passthrough';
export const PASSTHROUGH_VIRTUAL_HOST = 'passthrough';

/** The ingress route configuration's single virtual host. */
export const INGRESS_VIRTUAL_HOST = 'ingress';

/** Value of the served-by response header: `orders/feature-x`, `orders/stable`. */
export function servedBy(service: string, instance: string): string {
  return `${service}/${instance}`;
}

/** Code-unit order, independent of locale, so every replica sorts the same way. */
export function byCodeUnits(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort(byCodeUnits);
}

/** Served-by value when a lane instance's requests went to stable because the lane was unhealthy. */
export function servedByFallback(service: string): string {
  return `${servedBy(service, STABLE)} (fallback)`;
}

/** Endpoint metadata namespace; `served_by` there names the instance an endpoint belongs to. */
export const METADATA_NAMESPACE = 'laneway';
export const SERVED_BY_KEY = 'served_by';

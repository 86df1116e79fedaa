// The host names an app may use for a service, as virtual host domains. Without a namespace or
// addresses in the model: `orders` and `orders:<port>`, as before. With them, every name a pod
// uses for a Kubernetes Service (`orders.shop`, `orders.shop.svc`, `orders.shop.svc.cluster.local`,
// each with and without port) and each ClusterIP with port, which is the Host a client sends
// when it calls the IP (captured traffic keeps whatever Host the app wrote).
import type { Service } from '../model/types.js';

/** Kubernetes' default cluster domain; pods resolve `<svc>.<ns>.svc.<domain>`. */
export const CLUSTER_DOMAIN = 'cluster.local';

function withPort(host: string, port: number): string[] {
  return [host, `${host}:${port}`];
}

function ipWithPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

export function serviceDomains(service: Service): string[] {
  const { name, namespace, port } = service;
  const names = namespace === undefined
    ? [name]
    : [name, `${name}.${namespace}`, `${name}.${namespace}.svc`, `${name}.${namespace}.svc.${CLUSTER_DOMAIN}`];
  const addresses = (service.addresses ?? []).map((ip) => ipWithPort(ip, port));
  return [...names.flatMap((host) => withPort(host, port)), ...addresses];
}

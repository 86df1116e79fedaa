// Validation of how apps address a service (issue 25): Service.namespace and Service.addresses
// (its Kubernetes ClusterIPs). The translator turns them into virtual host domains, and Envoy
// refuses a route configuration where two virtual hosts share a domain, so addresses are unique.
import type { FieldError } from './errors.js';
import { DNS_LABEL, IPV4, IPV6 } from './patterns.js';
import type { MeshState, Service } from './types.js';

export const ADDRESSING_FIELDS = ['namespace', 'addresses'] as const;

const MAX_ADDRESSES = 8;

type Fields = Record<string, unknown>;

function show(value: unknown): string {
  return String(JSON.stringify(value) ?? value);
}

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkAddresses(addresses: unknown, at: string, errors: FieldError[]): string[] | undefined {
  if (!Array.isArray(addresses) || addresses.length > MAX_ADDRESSES) {
    errors.push({ path: at, reason: `must be a list of at most ${MAX_ADDRESSES} IP addresses, got ${show(addresses)}` });
    return undefined;
  }
  const before = errors.length;
  addresses.forEach((ip: unknown, i) => {
    if (typeof ip !== 'string' || !(IPV4.test(ip) || IPV6.test(ip))) errors.push({ path: `${at}/${i}`, reason: `${show(ip)} is not an IPv4 or IPv6 address` });
    else if (addresses.indexOf(ip) !== i) errors.push({ path: `${at}/${i}`, reason: `duplicate address ${show(ip)} (also at ${at}/${addresses.indexOf(ip)})` });
  });
  return errors.length === before ? [...(addresses as string[])].sort() : undefined;
}

/** `namespace`: a DNS label; `addresses`: distinct IP literals (ClusterIPs), sorted. */
export function checkServiceAddressing(input: Fields, path: string, errors: FieldError[]): Pick<Service, 'namespace' | 'addresses'> {
  const { namespace, addresses } = input;
  const out: Pick<Service, 'namespace' | 'addresses'> = {};
  if (namespace !== undefined) {
    if (typeof namespace !== 'string' || !DNS_LABEL.test(namespace)) errors.push({ path: `${path}/namespace`, reason: `must be a Kubernetes namespace name (a DNS label), got ${show(namespace)}` });
    else out.namespace = namespace;
  }
  if (addresses !== undefined) {
    const checked = checkAddresses(addresses, `${path}/addresses`, errors);
    if (checked) out.addresses = checked;
  }
  return out;
}

/** Rules between services: no address belongs to two services. */
export function checkAddressingReferences(state: MeshState): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(state) || !isObject(state.services)) return errors;
  const owner = new Map<string, string>();
  for (const name of Object.keys(state.services).sort()) {
    const addresses = (state.services[name] as Service | undefined)?.addresses;
    if (!Array.isArray(addresses)) continue;
    addresses.forEach((ip, i) => {
      const other = owner.get(ip);
      if (other !== undefined) errors.push({ path: `services/${name}/addresses/${i}`, reason: `address ${show(ip)} already belongs to service ${show(other)}` });
      else owner.set(ip, name);
    });
  }
  return errors;
}

// Endpoints registered by connected sidecars (`laneway envoy --register`, runtime/registrations.ts),
// merged into the defined model as one more source. A registration adds its address to the stable
// endpoints of its service, or to its lane's instance of the service (creating that override);
// one that does not fit the definitions is left out, with the reason, never an error for the rest.
import { deepFreeze } from '../model/deep-freeze.js';
import { STABLE, type Lane, type MeshState, type Service } from '../model/types.js';

export interface RegisteredEndpoint {
  service: string;
  /** STABLE for the stable instance. */
  lane: string;
  address: string;
}

export type RegistrationOutcome = { status: 'active' } | { status: 'conflict'; reason: string };

export const registrationKey = (r: RegisteredEndpoint) => `${r.service}|${r.lane}|${r.address}`;

function conflictOf(state: MeshState, r: RegisteredEndpoint): string | undefined {
  const service = state.services[r.service];
  if (!service) return `service "${r.service}" does not exist; define it first (laneway apply, or PUT /v1/services/${r.service})`;
  if (r.lane === STABLE) {
    return service.endpoints.includes(r.address) ? `${r.address} is already a stored endpoint of ${r.service} (stable); remove it there or stop registering it` : undefined;
  }
  const lane = state.lanes[r.lane];
  if (!lane) return `lane "${r.lane}" does not exist; create it first (laneway lane create ${r.lane})`;
  return lane.services[r.service]?.includes(r.address) ? `${r.address} is already a stored endpoint of ${r.service} in lane ${r.lane}; remove it there or stop registering it` : undefined;
}

/** `state` with the registrations that fit added; an outcome per registration key. Same input, same output. */
export function withRegistrations(state: MeshState, registrations: readonly RegisteredEndpoint[]): { state: MeshState; outcomes: Map<string, RegistrationOutcome> } {
  const outcomes = new Map<string, RegistrationOutcome>();
  if (registrations.length === 0) return { state, outcomes };
  const stable = new Map<string, string[]>();
  const laned = new Map<string, Map<string, string[]>>();
  for (const r of [...registrations].sort((a, b) => (registrationKey(a) < registrationKey(b) ? -1 : 1))) {
    const reason = conflictOf(state, r);
    outcomes.set(registrationKey(r), reason === undefined ? { status: 'active' } : { status: 'conflict', reason });
    if (reason !== undefined) continue;
    if (r.lane === STABLE) push(stable, r.service, r.address);
    else push(laned.get(r.lane) ?? laned.set(r.lane, new Map()).get(r.lane)!, r.service, r.address);
  }
  if (stable.size === 0 && laned.size === 0) return { state, outcomes };
  const services: Record<string, Service> = { ...state.services };
  for (const [name, addresses] of stable) services[name] = { ...services[name]!, endpoints: [...services[name]!.endpoints, ...addresses] };
  const lanes: Record<string, Lane> = { ...state.lanes };
  for (const [name, byService] of laned) {
    const lane = lanes[name]!;
    const overrides = { ...lane.services };
    for (const [service, addresses] of byService) overrides[service] = [...(overrides[service] ?? []), ...addresses];
    lanes[name] = { ...lane, services: overrides };
  }
  return { state: deepFreeze({ ...state, services, lanes }), outcomes };
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) {
    if (!list.includes(value)) list.push(value);
  } else map.set(key, [value]);
}

/** What the API shows beside the definitions: registered addresses per service (stable) and per lane. */
export function registeredEndpoints(registrations: readonly RegisteredEndpoint[], outcomes: Map<string, RegistrationOutcome>) {
  const stable: Record<string, string[]> = {};
  const lanes: Record<string, Record<string, string[]>> = {};
  for (const r of registrations) {
    if (outcomes.get(registrationKey(r))?.status !== 'active') continue;
    const into = r.lane === STABLE ? stable : (lanes[r.lane] ??= {});
    (into[r.service] ??= []).push(r.address);
  }
  return { stable, lanes };
}

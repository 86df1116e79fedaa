// Validation of the data-plane fields (issue 5): Service.dependsOn, Lane.fallbackOnUnhealthy and
// Settings.laneFrom. Pure checks in validate.ts's style: each pushes path-named errors and returns
// the normalized fields to spread into the validated object; checkDataplaneReferences checks the
// rules between objects. validate.ts calls these from its validators.
import type { FieldError } from './errors.js';
import { DNS_LABEL } from './patterns.js';
import type { Lane, LaneFrom, MeshState, Service, Settings } from './types.js';

/** Field names each validator must allow besides its own. */
export const DATAPLANE_FIELDS = {
  service: ['dependsOn'],
  lane: ['fallbackOnUnhealthy'],
  settings: ['laneFrom'],
} as const;

type Fields = Record<string, unknown>;

// RFC 7230 token: baggage keys and cookie names are tokens.
export const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/;
// Query parameter names that need no percent-encoding.
export const QUERY_NAME = /^[A-Za-z0-9._~-]{1,64}$/;
const LANE_FROM_NAMES: Record<keyof LaneFrom, { pattern: RegExp; what: string }> = {
  baggage: { pattern: TOKEN, what: 'a baggage key (a token: letters, digits and !#$%&\'*+.^_`|~-, at most 64)' },
  cookie: { pattern: TOKEN, what: 'a cookie name (a token: letters, digits and !#$%&\'*+.^_`|~-, at most 64)' },
  query: { pattern: QUERY_NAME, what: 'a query parameter name (letters, digits and ._~-, at most 64)' },
};

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return String(JSON.stringify(value) ?? value);
}

/** `dependsOn`: a list of distinct service names (DNS labels); the service itself is not one. */
export function checkServiceDataplane(input: Fields, path: string, errors: FieldError[]): Pick<Service, 'dependsOn'> {
  const { dependsOn } = input;
  if (dependsOn === undefined) return {};
  if (!Array.isArray(dependsOn)) {
    errors.push({ path: `${path}/dependsOn`, reason: `must be a list of service names, got ${show(dependsOn)}` });
    return {};
  }
  const before = errors.length;
  dependsOn.forEach((name: unknown, i) => {
    const at = `${path}/dependsOn/${i}`;
    if (typeof name !== 'string' || !DNS_LABEL.test(name)) errors.push({ path: at, reason: `${show(name)} is not a service name (a DNS label)` });
    else if (dependsOn.indexOf(name) !== i) errors.push({ path: at, reason: `duplicate service ${show(name)} (also at ${path}/dependsOn/${dependsOn.indexOf(name)})` });
    else if (name === input.name) errors.push({ path: at, reason: 'a service does not call itself through its own sidecar' });
  });
  return errors.length === before ? { dependsOn: [...(dependsOn as string[])].sort() } : {};
}

/** `fallbackOnUnhealthy`: a boolean; false is dropped, so an absent flag and false are the same lane. */
export function checkLaneDataplane(input: Fields, path: string, errors: FieldError[]): Pick<Lane, 'fallbackOnUnhealthy'> {
  const { fallbackOnUnhealthy } = input;
  if (fallbackOnUnhealthy === undefined) return {};
  if (typeof fallbackOnUnhealthy !== 'boolean') {
    errors.push({ path: `${path}/fallbackOnUnhealthy`, reason: `must be true or false, got ${show(fallbackOnUnhealthy)}` });
    return {};
  }
  return fallbackOnUnhealthy ? { fallbackOnUnhealthy: true } : {};
}

/** `laneFrom`: {baggage, cookie, query}, each a name or false (off); absent ones keep their default. */
export function checkSettingsDataplane(input: Fields, path: string, errors: FieldError[]): Pick<Settings, 'laneFrom'> {
  const { laneFrom } = input;
  if (laneFrom === undefined) return {};
  if (!isObject(laneFrom)) {
    errors.push({ path: `${path}/laneFrom`, reason: `must be an object with baggage, cookie and query, got ${show(laneFrom)}` });
    return {};
  }
  const before = errors.length;
  const out: LaneFrom = {};
  for (const key of Object.keys(laneFrom)) {
    const at = `${path}/laneFrom/${key}`;
    const rule = Object.hasOwn(LANE_FROM_NAMES, key) ? LANE_FROM_NAMES[key as keyof LaneFrom] : undefined;
    const value = laneFrom[key];
    if (!rule) errors.push({ path: at, reason: `unknown field (allowed: ${Object.keys(LANE_FROM_NAMES).join(', ')})` });
    else if (value !== false && (typeof value !== 'string' || !rule.pattern.test(value))) errors.push({ path: at, reason: `must be false (off) or ${rule.what}, got ${show(value)}` });
    else out[key as keyof LaneFrom] = value as string | false;
  }
  if (errors.length > before) return {};
  const ordered = (Object.keys(LANE_FROM_NAMES) as Array<keyof LaneFrom>).filter((k) => k in out).map((k) => [k, out[k]]);
  return { laneFrom: Object.fromEntries(ordered) as LaneFrom };
}

/** Rules between objects: every dependsOn names an existing service. */
export function checkDataplaneReferences(state: MeshState): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(state) || !isObject(state.services)) return errors;
  for (const name of Object.keys(state.services).sort()) {
    const dependsOn = (state.services[name] as Service | undefined)?.dependsOn;
    if (!Array.isArray(dependsOn)) continue;
    dependsOn.forEach((callee, i) => {
      if (typeof callee === 'string' && !Object.hasOwn(state.services, callee)) {
        errors.push({ path: `services/${name}/dependsOn/${i}`, reason: `service ${show(callee)} does not exist` });
      }
    });
  }
  return errors;
}

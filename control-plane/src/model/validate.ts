// Validation of definitions from any source. Every error names the field path and why it is wrong;
// each validator returns a normalized copy (fixed key order, defaults filled) when the input is valid.
import { DURATION_DESCRIPTION, parseDuration } from './duration.js';
import type { FieldError, Validated } from './errors.js';
import { DNS_LABEL, DOMAIN_SOURCE, ENDPOINT, HEADER_NAME, LABEL_KEY_MAX_LENGTH, LABEL_KEY_SOURCE, LABEL_VALUE_SOURCE, RFC3339 } from './patterns.js';
import { DEFAULT_SETTINGS, STABLE, type Lane, type MeshState, type Service, type Settings } from './types.js';
import {
  DATAPLANE_FIELDS,
  checkDataplaneReferences,
  checkLaneDataplane,
  checkServiceDataplane,
  checkSettingsDataplane,
} from './validate-dataplane.js';
import { checkSettingsObserve, OBSERVE_SETTINGS_FIELDS } from './validate-observe.js';
import { checkLaneForks } from './forks.js';
import { ADDRESSING_FIELDS, checkAddressingReferences, checkServiceAddressing } from './validate-addressing.js';

type Fields = Record<string, unknown>;

export { DNS_LABEL, HEADER_NAME, RFC3339 };
// Headers Envoy or HTTP itself owns; carrying a lane in them would break requests.
export const RESERVED_HEADERS = ['host', 'connection', 'content-length', 'content-type', 'transfer-encoding', 'te', 'upgrade', 'keep-alive', 'proxy-connection', 'expect'];
const LABEL_KEY = new RegExp(LABEL_KEY_SOURCE);
const LABEL_VALUE = new RegExp(LABEL_VALUE_SOURCE);
const DOMAIN = new RegExp(DOMAIN_SOURCE);
export const LIMITS = { description: 1024, owner: 253, labels: 64, labelValue: 63, labelPrefix: 253 };

const SERVICE_FIELDS = ['name', 'protocol', 'port', 'endpoints', ...DATAPLANE_FIELDS.service, ...ADDRESSING_FIELDS];
const LANE_FIELDS = ['name', 'fallback', 'services', 'owner', 'description', 'labels', 'expiresAt', ...DATAPLANE_FIELDS.lane, 'forks'];
const SETTINGS_FIELDS = ['laneHeader', 'servedByHeader', 'entryService', 'ingressDomain', 'defaultLaneTtl', 'maxLaneTtl', ...DATAPLANE_FIELDS.settings, ...OBSERVE_SETTINGS_FIELDS];

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(JSON.stringify(value) ?? value);
}

function typeReason(value: unknown, expected: string): string {
  return value === undefined ? 'is required' : `must be ${expected}, got ${show(value)}`;
}

function checkFields(input: Fields, allowed: string[], path: string, errors: FieldError[]): void {
  for (const key of Object.keys(input)) {
    if (!allowed.includes(key)) errors.push({ path: `${path}/${key}`, reason: `unknown field (allowed: ${allowed.join(', ')})` });
  }
}

function checkName(value: unknown, path: string, errors: FieldError[]): value is string {
  if (typeof value !== 'string') {
    errors.push({ path, reason: typeReason(value, 'a string') });
    return false;
  }
  if (!DNS_LABEL.test(value)) {
    errors.push({ path, reason: `${show(value)} is not a DNS label (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit)` });
    return false;
  }
  return true;
}

function checkString(value: unknown, max: number, path: string, errors: FieldError[]): value is string | undefined {
  if (value === undefined) return true;
  if (typeof value !== 'string') errors.push({ path, reason: typeReason(value, 'a string') });
  else if (value.length > max) errors.push({ path, reason: `must be at most ${max} characters, got ${value.length}` });
  else return true;
  return false;
}

function isPort(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/** Why `value` is not "host:port", or undefined when it is. */
export function endpointProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return typeReason(value, 'a "host:port" string');
  return ENDPOINT.test(value) ? undefined : `${show(value)} is not host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)`;
}

function checkEndpoints(value: unknown, path: string, errors: FieldError[]): value is string[] {
  if (!Array.isArray(value)) {
    errors.push({ path, reason: typeReason(value, 'a list of "host:port" strings') });
    return false;
  }
  const before = errors.length;
  const seen = new Map<string, number>();
  value.forEach((endpoint: unknown, i) => {
    const problem = endpointProblem(endpoint);
    if (problem) return errors.push({ path: `${path}/${i}`, reason: problem });
    const key = (endpoint as string).toLowerCase();
    const first = seen.get(key);
    if (first !== undefined) errors.push({ path: `${path}/${i}`, reason: `duplicate endpoint ${show(endpoint)} (also at ${path}/${first})` });
    else seen.set(key, i);
  });
  return errors.length === before;
}

function checkLabels(value: unknown, path: string, errors: FieldError[]): value is Record<string, string> | undefined {
  if (value === undefined) return true;
  if (!isObject(value)) {
    errors.push({ path, reason: typeReason(value, 'an object of string labels') });
    return false;
  }
  const before = errors.length;
  const entries = Object.entries(value);
  if (entries.length > LIMITS.labels) errors.push({ path, reason: `must have at most ${LIMITS.labels} labels, got ${entries.length}` });
  for (const [key, v] of entries) {
    if (key.length > LABEL_KEY_MAX_LENGTH || !LABEL_KEY.test(key)) {
      errors.push({ path: `${path}/${key}`, reason: `${show(key)} is not a label key ([prefix/]name; name 1-63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)` });
    } else if (typeof v !== 'string' || !LABEL_VALUE.test(v)) {
      errors.push({ path: `${path}/${key}`, reason: `${show(v)} is not a label value (empty, or 1-63 letters, digits, '-', '_', '.', starting and ending with a letter or digit)` });
    }
  }
  return errors.length === before;
}

function checkTimestamp(value: unknown, path: string, errors: FieldError[]): value is string | undefined {
  if (value === undefined) return true;
  if (typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value))) return true;
  errors.push({ path, reason: `must be an RFC 3339 timestamp such as "2030-01-31T18:00:00Z", got ${show(value)}` });
  return false;
}

function defaultPath(kind: string, input: unknown): string {
  const name = isObject(input) ? input.name : undefined;
  return typeof name === 'string' ? `${kind}/${name}` : kind;
}

function result<T>(errors: FieldError[], value: () => T): Validated<T> {
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: value() };
}

/** A service and its stable endpoints; an empty endpoint list is legal (nothing deployed yet). */
export function validateService(input: unknown, path = defaultPath('services', input)): Validated<Service> {
  if (!isObject(input)) return { ok: false, errors: [{ path, reason: typeReason(input, 'an object') }] };
  const errors: FieldError[] = [];
  checkFields(input, SERVICE_FIELDS, path, errors);
  const { name, protocol, port, endpoints = [] } = input;
  checkName(name, `${path}/name`, errors);
  if (protocol !== 'http' && protocol !== 'grpc') errors.push({ path: `${path}/protocol`, reason: protocol === undefined ? 'is required' : `must be "http" or "grpc", got ${show(protocol)}` });
  if (!isPort(port)) errors.push({ path: `${path}/port`, reason: port === undefined ? 'is required' : `must be an integer from 1 to 65535, got ${show(port)}` });
  checkEndpoints(endpoints, `${path}/endpoints`, errors);
  const extra = checkServiceDataplane(input, path, errors);
  const addressing = checkServiceAddressing(input, path, errors);
  return result(errors, () => ({ name, protocol, port, endpoints: [...(endpoints as string[])], ...extra, ...addressing }) as Service);
}

function checkLaneServices(value: unknown, path: string, errors: FieldError[]): void {
  if (!isObject(value)) return void errors.push({ path, reason: typeReason(value, 'an object of service name to endpoint list') });
  for (const [service, endpoints] of Object.entries(value)) {
    if (!checkName(service, `${path}/${service}`, errors)) continue;
    if (!checkEndpoints(endpoints, `${path}/${service}`, errors)) continue;
    if (endpoints.length === 0) errors.push({ path: `${path}/${service}`, reason: 'a lane must give at least one endpoint for each service it overrides' });
  }
}

export function validateLane(input: unknown, path = defaultPath('lanes', input)): Validated<Lane> {
  if (!isObject(input)) return { ok: false, errors: [{ path, reason: typeReason(input, 'an object') }] };
  const errors: FieldError[] = [];
  checkFields(input, LANE_FIELDS, path, errors);
  const { name, fallback, services = {}, owner, description, labels, expiresAt } = input;
  if (checkName(name, `${path}/name`, errors) && name === STABLE) errors.push({ path: `${path}/name`, reason: `"${STABLE}" is reserved for the mainline instances` });
  if (fallback !== undefined && fallback !== STABLE) checkName(fallback, `${path}/fallback`, errors);
  checkLaneServices(services, `${path}/services`, errors);
  checkString(owner, LIMITS.owner, `${path}/owner`, errors);
  checkString(description, LIMITS.description, `${path}/description`, errors);
  checkLabels(labels, `${path}/labels`, errors);
  checkTimestamp(expiresAt, `${path}/expiresAt`, errors);
  const extra = checkLaneDataplane(input, path, errors);
  const forks = checkLaneForks(input, path, errors);
  return result(errors, () => {
    const overrides = services as Record<string, string[]>;
    return {
      name: name as string,
      ...(fallback !== undefined && { fallback: fallback as string }),
      services: Object.fromEntries(Object.keys(overrides).sort().map((s) => [s, [...overrides[s]!]])),
      ...(owner !== undefined && { owner: owner as string }),
      ...(description !== undefined && { description: description as string }),
      ...(labels !== undefined && { labels: { ...(labels as Record<string, string>) } }),
      ...(expiresAt !== undefined && { expiresAt: expiresAt as string }),
      ...extra,
      ...forks,
    };
  });
}

function checkHeader(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'string' || !HEADER_NAME.test(value)) {
    errors.push({ path, reason: `must be a lowercase HTTP header name (letters, digits and !#$%&'*+.^_\`|~-, at most 128), got ${show(value)}` });
  } else if (RESERVED_HEADERS.includes(value)) {
    errors.push({ path, reason: `${show(value)} is reserved by HTTP and cannot carry lanes` });
  }
}

function checkDomain(value: unknown, path: string, errors: FieldError[]): void {
  if (typeof value !== 'string' || value.length > 253 || !DOMAIN.test(value)) {
    errors.push({ path, reason: `must be a lowercase DNS name such as "app.example.test", got ${show(value)}` });
  }
}

function checkDuration(value: unknown, path: string, errors: FieldError[]): number | undefined {
  if (value === undefined) return undefined;
  const seconds = parseDuration(value);
  if (seconds === undefined) errors.push({ path, reason: `must be ${DURATION_DESCRIPTION}, from 1s to 366d, got ${show(value)}` });
  return seconds;
}

/** Settings; laneHeader and servedByHeader default to "x-lane" and "x-lane-served-by". */
export function validateSettings(input: unknown, path = 'settings'): Validated<Settings> {
  if (!isObject(input)) return { ok: false, errors: [{ path, reason: typeReason(input, 'an object') }] };
  const errors: FieldError[] = [];
  checkFields(input, SETTINGS_FIELDS, path, errors);
  const { laneHeader = DEFAULT_SETTINGS.laneHeader, servedByHeader = DEFAULT_SETTINGS.servedByHeader, entryService, ingressDomain, defaultLaneTtl, maxLaneTtl } = input;
  checkHeader(laneHeader, `${path}/laneHeader`, errors);
  checkHeader(servedByHeader, `${path}/servedByHeader`, errors);
  if (laneHeader === servedByHeader) errors.push({ path: `${path}/servedByHeader`, reason: `must differ from laneHeader ${show(laneHeader)}` });
  if (entryService !== undefined) checkName(entryService, `${path}/entryService`, errors);
  if (ingressDomain !== undefined) checkDomain(ingressDomain, `${path}/ingressDomain`, errors);
  const defaultTtl = checkDuration(defaultLaneTtl, `${path}/defaultLaneTtl`, errors);
  const maxTtl = checkDuration(maxLaneTtl, `${path}/maxLaneTtl`, errors);
  if (defaultTtl !== undefined && maxTtl !== undefined && defaultTtl > maxTtl) errors.push({ path: `${path}/defaultLaneTtl`, reason: `${show(defaultLaneTtl)} is longer than maxLaneTtl ${show(maxLaneTtl)}` });
  const extra = checkSettingsDataplane(input, path, errors);
  const observe = checkSettingsObserve(input, path, errors);
  return result(errors, () => ({
    laneHeader: laneHeader as string,
    servedByHeader: servedByHeader as string,
    ...(entryService !== undefined && { entryService: entryService as string }),
    ...(ingressDomain !== undefined && { ingressDomain: ingressDomain as string }),
    ...(defaultLaneTtl !== undefined && { defaultLaneTtl: defaultLaneTtl as string }),
    ...(maxLaneTtl !== undefined && { maxLaneTtl: maxLaneTtl as string }),
    ...extra,
    ...observe,
  }));
}

// Objects already found valid on their own; only deep-frozen ones, which cannot have changed since.
// A write to a model of 10,000 lanes then checks the lane it wrote, not all of them again.
const knownValid = { services: new WeakSet<object>(), lanes: new WeakSet<object>() };

function isDeepFrozen(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (!Object.isFrozen(value)) return false;
  for (const child of Object.values(value)) if (!isDeepFrozen(child)) return false;
  return true;
}

function checkCollection(state: Fields, kind: 'services' | 'lanes', errors: FieldError[]): Record<string, Fields> {
  const items = state[kind];
  if (!isObject(items)) {
    errors.push({ path: kind, reason: typeReason(items, 'an object keyed by name') });
    return {};
  }
  const validate = kind === 'services' ? validateService : validateLane;
  const valid = knownValid[kind];
  for (const key of Object.keys(items).sort()) {
    const item = items[key];
    if (!(isObject(item) && valid.has(item))) {
      const check = validate(item, `${kind}/${key}`);
      if (!check.ok) errors.push(...check.errors);
      else if (isDeepFrozen(item)) valid.add(item as object);
    }
    if (isObject(item) && typeof item.name === 'string' && item.name !== key) errors.push({ path: `${kind}/${key}/name`, reason: `must equal its key "${key}", got ${show(item.name)}` });
  }
  return items as Record<string, Fields>;
}

/** Each fallback cycle once, starting at its alphabetically first lane: ["a", "b", "a"]. */
function fallbackCycles(lanes: Record<string, Fields>): string[][] {
  const cycles = new Map<string, string[]>();
  for (const start of Object.keys(lanes).sort()) {
    const walked: string[] = [];
    let current: unknown = start;
    while (typeof current === 'string' && Object.hasOwn(lanes, current) && !walked.includes(current)) {
      walked.push(current);
      current = lanes[current]!.fallback;
    }
    if (typeof current !== 'string' || !walked.includes(current)) continue;
    const loop = walked.slice(walked.indexOf(current));
    const first = loop.indexOf([...loop].sort()[0]!);
    const rotated = [...loop.slice(first), ...loop.slice(0, first)];
    cycles.set(rotated[0]!, [...rotated, rotated[0]!]);
  }
  return [...cycles.values()];
}

/** Every object's own rules plus the rules between objects; [] when the state is valid. */
export function validateMeshState(state: MeshState): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(state)) return [{ path: '', reason: typeReason(state, 'an object with settings, services and lanes') }];
  const settings = validateSettings(state.settings);
  if (!settings.ok) errors.push(...settings.errors);
  const services = checkCollection(state as unknown as Fields, 'services', errors);
  const lanes = checkCollection(state as unknown as Fields, 'lanes', errors);
  for (const name of Object.keys(lanes).sort()) {
    const lane = lanes[name]!;
    const { fallback } = lane;
    if (typeof fallback === 'string' && fallback !== STABLE && !Object.hasOwn(lanes, fallback)) errors.push({ path: `lanes/${name}/fallback`, reason: `lane ${show(fallback)} does not exist` });
    if (!isObject(lane.services)) continue;
    for (const service of Object.keys(lane.services)) {
      if (!Object.hasOwn(services, service)) errors.push({ path: `lanes/${name}/services/${service}`, reason: `service ${show(service)} does not exist` });
    }
  }
  for (const cycle of fallbackCycles(lanes)) errors.push({ path: `lanes/${cycle[0]}/fallback`, reason: `fallback cycle ${cycle.join(' -> ')}` });
  const entry = isObject(state.settings) ? state.settings.entryService : undefined;
  if (typeof entry === 'string' && !Object.hasOwn(services, entry)) errors.push({ path: 'settings/entryService', reason: `service ${show(entry)} does not exist` });
  errors.push(...checkDataplaneReferences(state));
  errors.push(...checkAddressingReferences(state));
  return errors;
}

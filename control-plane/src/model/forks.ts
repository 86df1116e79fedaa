// Workload forks of a lane (Kubernetes mode): each names a stable Deployment and what differs
// (images, env, replicas). Pure validation in validate.ts's style; whether the Deployment and its
// containers exist is checked by the Kubernetes lane backend, which can read the cluster.
import type { FieldError } from './errors.js';

export interface ForkContainer {
  /** Absent: the workload's only container. */
  name?: string;
  image?: string;
  /** Variables set (added, or replacing the template's value). */
  env?: Record<string, string>;
  /** Variables removed from the template. */
  removeEnv?: string[];
}

export interface LaneFork {
  /** "Deployment/<name>" of the stable workload, in the lane's namespace. */
  workload: string;
  replicas: number;
  containers: ForkContainer[];
}

export const FORK_KINDS = ['Deployment'] as const;
export const FORK_LIMITS = { forks: 50, containers: 20, env: 100, replicas: 20, imageName: 255 } as const;
export const DEFAULT_FORK_REPLICAS = 1;

// A Deployment name that also fits a label value (laneway.dev/fork-of): a DNS subdomain of at most 63.
export const WORKLOAD_NAME = /^[a-z0-9]([-a-z0-9.]{0,61}[a-z0-9])?$/;
/** The whole `workload` field, for the API's schema (the model explains other kinds in its own words). */
export const WORKLOAD_SOURCE = `^(?:${FORK_KINDS.join('|')})/${WORKLOAD_NAME.source.slice(1, -1)}$`;
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

// The OCI / Docker reference grammar (github.com/distribution/reference): [domain[:port]/]path[:tag][@digest].
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const NAME = `(?:${DOMAIN}/)?${PATH_COMPONENT}(?:/${PATH_COMPONENT})*`;
// ASCII classes, not \\w: clients that generate values from the pattern (Python's re) take \\w as Unicode.
const TAG = '[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}';
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
export const IMAGE_REFERENCE = new RegExp(`^(${NAME})(?::${TAG})?(?:@${DIGEST})?$`);

type Fields = Record<string, unknown>;

function isObject(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function show(value: unknown): string {
  return String(JSON.stringify(value) ?? value);
}

function unknownFields(input: Fields, allowed: readonly string[], path: string, errors: FieldError[]): void {
  for (const key of Object.keys(input)) if (!allowed.includes(key)) errors.push({ path: `${path}/${key}`, reason: `unknown field (allowed: ${allowed.join(', ')})` });
}

/** Why `value` is not an image reference such as "registry.example/orders:pr-42", or undefined. */
export function imageReferenceProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return `must be an image reference string, got ${show(value)}`;
  const match = IMAGE_REFERENCE.exec(value);
  if (!match) return `not a valid image reference: ${show(value)} (expected [registry/]repository[:tag][@digest], e.g. "registry.example/orders:pr-42")`;
  if (match[1]!.length > FORK_LIMITS.imageName) return `not a valid image reference: the repository name is longer than ${FORK_LIMITS.imageName} characters`;
  return undefined;
}

/** "Deployment/orders" -> the name; why not otherwise. */
export function workloadName(value: unknown): { name: string } | { problem: string } {
  if (typeof value !== 'string') return { problem: value === undefined ? 'is required ("Deployment/<name>")' : `must be "Deployment/<name>", got ${show(value)}` };
  const slash = value.indexOf('/');
  if (slash < 0) return { problem: `must be "<Kind>/<name>" such as "Deployment/orders", got ${show(value)}` };
  const kind = value.slice(0, slash);
  const name = value.slice(slash + 1);
  if (!(FORK_KINDS as readonly string[]).includes(kind)) return { problem: `kind ${show(kind)} cannot be forked: only ${FORK_KINDS.join(', ')} workloads can (e.g. "Deployment/orders")` };
  if (!WORKLOAD_NAME.test(name)) return { problem: `${show(name)} is not a Deployment name that fits a label (1-63 lowercase letters, digits, '-' and '.', starting and ending with a letter or digit)` };
  return { name };
}

function checkEnv(value: unknown, path: string, errors: FieldError[]): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isObject(value)) return void errors.push({ path, reason: `must be an object of variable name to string value, got ${show(value)}` });
  const entries = Object.entries(value);
  if (entries.length > FORK_LIMITS.env) errors.push({ path, reason: `must set at most ${FORK_LIMITS.env} variables, got ${entries.length}` });
  for (const [key, v] of entries) {
    if (!ENV_NAME.test(key)) errors.push({ path: `${path}/${key}`, reason: `${show(key)} is not a variable name (a C identifier: letters, digits and '_', not starting with a digit)` });
    else if (typeof v !== 'string') errors.push({ path: `${path}/${key}`, reason: `must be a string, got ${show(v)}` });
  }
  return Object.fromEntries(entries.map(([k, v]) => [k, v as string]).sort(([a], [b]) => (a! < b! ? -1 : 1)));
}

function checkRemoveEnv(value: unknown, set: Record<string, string> | undefined, path: string, errors: FieldError[]): string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value)) return void errors.push({ path, reason: `must be a list of variable names, got ${show(value)}` });
  if (value.length > FORK_LIMITS.env) errors.push({ path, reason: `must remove at most ${FORK_LIMITS.env} variables, got ${value.length}` });
  value.forEach((name: unknown, i) => {
    const at = `${path}/${i}`;
    if (typeof name !== 'string' || !ENV_NAME.test(name)) errors.push({ path: at, reason: `${show(name)} is not a variable name (a C identifier)` });
    else if (value.indexOf(name) !== i) errors.push({ path: at, reason: `duplicate variable ${show(name)} (also at ${path}/${value.indexOf(name)})` });
    else if (set && Object.hasOwn(set, name)) errors.push({ path: at, reason: `${show(name)} is also set in env; set it or remove it, not both` });
  });
  return [...(value as string[])].sort();
}

function checkContainer(input: unknown, path: string, errors: FieldError[]): ForkContainer {
  if (!isObject(input)) {
    errors.push({ path, reason: `must be an object with name, image, env or removeEnv, got ${show(input)}` });
    return {};
  }
  unknownFields(input, ['name', 'image', 'env', 'removeEnv'], path, errors);
  const { name, image } = input;
  if (name !== undefined && (typeof name !== 'string' || !CONTAINER_NAME.test(name))) errors.push({ path: `${path}/name`, reason: `${show(name)} is not a container name (a DNS label)` });
  const problem = image === undefined ? undefined : imageReferenceProblem(image);
  if (problem) errors.push({ path: `${path}/image`, reason: problem });
  const env = checkEnv(input.env, `${path}/env`, errors);
  const removeEnv = checkRemoveEnv(input.removeEnv, env, `${path}/removeEnv`, errors);
  return {
    ...(name !== undefined && { name: name as string }),
    ...(image !== undefined && { image: image as string }),
    ...(env !== undefined && { env }),
    ...(removeEnv !== undefined && { removeEnv }),
  };
}

function checkContainers(value: unknown, path: string, errors: FieldError[]): ForkContainer[] {
  if (!Array.isArray(value) || value.length === 0) {
    errors.push({ path, reason: value === undefined ? 'is required: at least one container to change' : `must be a non-empty list of containers, got ${show(value)}` });
    return [];
  }
  if (value.length > FORK_LIMITS.containers) errors.push({ path, reason: `must have at most ${FORK_LIMITS.containers} entries, got ${value.length}` });
  const containers = value.map((c: unknown, i) => checkContainer(c, `${path}/${i}`, errors));
  const seen = new Map<string, number>();
  containers.forEach((c, i) => {
    const key = c.name ?? '';
    const first = seen.get(key);
    if (first === undefined) return void seen.set(key, i);
    errors.push({ path: `${path}/${i}/name`, reason: c.name === undefined ? `only one entry may leave out the name (also at ${path}/${first})` : `duplicate container ${show(c.name)} (also at ${path}/${first})` });
  });
  return containers;
}

function checkReplicas(value: unknown, path: string, errors: FieldError[]): number {
  if (value === undefined) return DEFAULT_FORK_REPLICAS;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= FORK_LIMITS.replicas) return value;
  errors.push({ path, reason: `must be an integer from 0 to ${FORK_LIMITS.replicas}, got ${show(value)}` });
  return DEFAULT_FORK_REPLICAS;
}

function checkFork(input: unknown, path: string, errors: FieldError[]): LaneFork | undefined {
  if (!isObject(input)) return void errors.push({ path, reason: `must be an object with workload and containers, got ${show(input)}` });
  unknownFields(input, ['workload', 'replicas', 'containers'], path, errors);
  const workload = workloadName(input.workload);
  if ('problem' in workload) errors.push({ path: `${path}/workload`, reason: workload.problem });
  const replicas = checkReplicas(input.replicas, `${path}/replicas`, errors);
  const containers = checkContainers(input.containers, `${path}/containers`, errors);
  return { workload: input.workload as string, replicas, containers };
}

/** `forks`: a list of distinct workloads, each with its changes; normalized (replicas filled, env sorted). */
export function checkLaneForks(input: Fields, path: string, errors: FieldError[]): { forks?: LaneFork[] } {
  const { forks } = input;
  if (forks === undefined) return {};
  const at = `${path}/forks`;
  if (!Array.isArray(forks)) {
    errors.push({ path: at, reason: `must be a list of forks ({workload, replicas, containers}), got ${show(forks)}` });
    return {};
  }
  if (forks.length > FORK_LIMITS.forks) errors.push({ path: at, reason: `must have at most ${FORK_LIMITS.forks} forks, got ${forks.length}` });
  const before = errors.length;
  const checked = forks.map((f: unknown, i) => checkFork(f, `${at}/${i}`, errors));
  const seen = new Map<string, number>();
  checked.forEach((fork, i) => {
    if (!fork || typeof fork.workload !== 'string') return;
    const first = seen.get(fork.workload);
    if (first === undefined) return void seen.set(fork.workload, i);
    errors.push({ path: `${at}/${i}/workload`, reason: `${fork.workload} is already forked at ${at}/${first}: a lane forks a workload once (list its containers in one fork)` });
  });
  return errors.length === before ? { forks: checked as LaneFork[] } : {};
}

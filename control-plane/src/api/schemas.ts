// JSON Schemas of the API's objects: Fastify validates requests with them and the OpenAPI document
// is generated from them. Patterns and limits come from the model, which then checks what a schema
// cannot (endpoint syntax, references between objects, cycles).
import { DURATION_DESCRIPTION, DURATION_PATTERN } from '../model/duration.js';
import { DEFAULT_FORK_REPLICAS, ENV_NAME, FORK_LIMITS, IMAGE_REFERENCE, WORKLOAD_SOURCE } from '../model/forks.js';
import { COLLECTOR_MAX_LENGTH, COLLECTOR_SOURCE, DNS_LABEL_SOURCE, DOMAIN_SOURCE, ENDPOINT_SOURCE, HEADER_NAME_SOURCE, IP_SOURCE, LABEL_KEY_SOURCE, LABEL_VALUE_SOURCE, RFC3339_SOURCE } from '../model/patterns.js';
import { QUERY_NAME, TOKEN } from '../model/validate-dataplane.js';
import { LIMITS, RESERVED_HEADERS } from '../model/validate.js';
import { ERROR_CODES } from './errors.js';
import { IF_MATCH_SOURCE } from './preconditions.js';

type Schema = Record<string, unknown>;

const NAME_DESCRIPTION = "a DNS label (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit)";
export const NAME_SCHEMA: Schema = { type: 'string', pattern: DNS_LABEL_SOURCE, maxLength: 63, description: NAME_DESCRIPTION };
/** A lane's own name: a DNS label other than "stable", which names the mainline instances. */
export const LANE_NAME_SCHEMA: Schema = { ...NAME_SCHEMA, not: { const: 'stable', description: 'reserved for the mainline instances' } };
const ENDPOINT = {
  type: 'string', pattern: ENDPOINT_SOURCE, maxLength: 261, examples: ['10.0.0.5:8080'],
  description: 'host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)', title: 'a DNS name\'s last label starts with a letter; a port has no leading zeros',
};
// Rules between items a schema cannot state are checked by the model and answered 422 (see errors.ts).
const ENDPOINTS = { type: 'array', maxItems: 1000, uniqueItems: true, items: ENDPOINT, description: 'distinct endpoints; two that differ only in letter case are refused (422)' };
const TIMESTAMP = { type: 'string', pattern: RFC3339_SOURCE, maxLength: 64, description: 'an RFC 3339 timestamp such as "2030-01-31T18:00:00Z"' };
const DURATION = { type: 'string', pattern: DURATION_PATTERN, maxLength: 24, description: `${DURATION_DESCRIPTION}, from 1s to 366d`, examples: ['2h'] };
const HEADER = {
  type: 'string', pattern: HEADER_NAME_SOURCE, description: 'a lowercase HTTP header name',
  not: { enum: RESERVED_HEADERS, description: 'reserved by HTTP and cannot carry lanes' },
};

// `description` says what a valid value looks like (errors quote it); `title` says what a field means.

/** Fields the server sets; accepted in request bodies (so GET, edit, PUT works) and ignored, except resourceVersion. */
const READ_ONLY = {
  resourceVersion: { type: 'string', readOnly: true, maxLength: 64, description: 'changes on every change of the object; send it back (or its ETag as If-Match) to update only what you read' },
  createdAt: { ...TIMESTAMP, readOnly: true },
  updatedAt: { ...TIMESTAMP, readOnly: true },
};

export const SERVICE_SCHEMA: Schema = {
  $id: 'Service',
  type: 'object',
  description: 'A logical service and the endpoints of its stable instance.',
  required: ['protocol', 'port'],
  properties: {
    name: NAME_SCHEMA,
    protocol: { type: 'string', enum: ['http', 'grpc'] },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    endpoints: ENDPOINTS,
    dependsOn: { type: 'array', maxItems: 1000, uniqueItems: true, items: NAME_SCHEMA, description: 'services this service calls; its sidecar then gets only their routes and clusters; each must exist and not be the service itself (422)' },
    registered: { type: 'array', readOnly: true, items: { type: 'string' }, description: 'stable endpoints registered by connected sidecars (laneway envoy --register), served beside `endpoints`; never stored' },
    namespace: { ...NAME_SCHEMA, description: 'Kubernetes namespace: <name>.<namespace>, <name>.<namespace>.svc and <name>.<namespace>.svc.cluster.local are routed too' },
    addresses: { type: 'array', maxItems: 8, uniqueItems: true, items: { type: 'string', pattern: IP_SOURCE, maxLength: 45, description: 'an IPv4 or IPv6 address' }, description: 'ClusterIPs: <ip>:<port> is routed too (transparent capture); an address belongs to one service (422)' },
    ...READ_ONLY,
  },
  additionalProperties: false,
};

// The model (model/forks.ts) checks what these cannot: the image reference grammar, the kind, duplicates.
const ENV_VAR = { type: 'string', pattern: ENV_NAME.source, maxLength: 253 };
const FORK_CONTAINER = {
  type: 'object',
  properties: {
    name: { ...NAME_SCHEMA, title: 'the container to change; may be left out when the workload has exactly one' },
    image: { type: 'string', maxLength: 512, pattern: IMAGE_REFERENCE.source, examples: ['registry.example/orders:pr-42'], description: 'a valid image reference: [registry/]repository[:tag][@digest] (a repository name over 255 characters: 422)' },
    env: { type: 'object', maxProperties: FORK_LIMITS.env, propertyNames: ENV_VAR, additionalProperties: { type: 'string' }, title: 'variables to set' },
    removeEnv: { type: 'array', maxItems: FORK_LIMITS.env, uniqueItems: true, items: ENV_VAR, title: 'variables to remove; not also set in env (422)' },
  },
  additionalProperties: false,
};
const FORK = {
  type: 'object',
  required: ['workload', 'containers'],
  properties: {
    workload: { type: 'string', maxLength: 128, pattern: WORKLOAD_SOURCE, examples: ['Deployment/orders'], description: 'a Deployment as "Deployment/<name>" (only Deployment workloads can be forked); it must exist in the lane\'s namespace with the containers named, and be forked once per lane (422)' },
    replicas: { type: 'integer', minimum: 0, maximum: FORK_LIMITS.replicas, default: DEFAULT_FORK_REPLICAS },
    containers: { type: 'array', minItems: 1, maxItems: FORK_LIMITS.containers, items: FORK_CONTAINER },
  },
  additionalProperties: false,
};
/** What the API shows of a fork's status (Kubernetes mode); written by the status writer (sources/kubernetes/fork-status.ts). */
const FORK_STATUS = {
  type: 'object',
  required: ['workload', 'ready', 'replicas', 'readyReplicas', 'images', 'reason', 'message'],
  properties: {
    workload: { type: 'string', examples: ['Deployment/orders'] },
    deployment: { type: 'string', description: 'the fork Deployment, once created' },
    ready: { type: 'boolean' },
    replicas: { type: 'integer' },
    readyReplicas: { type: 'integer', description: 'ready pods running the fork\'s images' },
    images: { type: 'object', additionalProperties: { type: 'string' }, description: 'container name to the image it runs' },
    reason: { type: 'string', enum: ['Ready', 'WorkloadNotFound', 'Pending', 'ImagePullError', 'CrashLoop', 'QuotaRefused', 'NotReady'] },
    message: { type: 'string', description: 'why not ready, naming the pod, container and image where one is at fault' },
  },
};

export const LANE_SCHEMA: Schema = {
  $id: 'Lane',
  type: 'object',
  description: 'A lane: the services it overrides, each with the endpoints of its own instance.',
  properties: {
    name: LANE_NAME_SCHEMA,
    fallback: { ...NAME_SCHEMA, title: 'lane tried next when this lane has no instance of a service; "stable" or absent means stable; the lane must exist, with no cycle (422)' },
    services: { type: 'object', maxProperties: 1000, propertyNames: { pattern: DNS_LABEL_SOURCE, maxLength: 63 }, additionalProperties: { ...ENDPOINTS, minItems: 1 }, description: 'service name (an existing service, 422 otherwise) to the endpoints of this lane\'s instance' },
    owner: { type: 'string', maxLength: LIMITS.owner },
    description: { type: 'string', maxLength: LIMITS.description },
    labels: {
      type: 'object', maxProperties: LIMITS.labels,
      propertyNames: { pattern: LABEL_KEY_SOURCE, maxLength: 317, description: '[prefix/]name: prefix a lowercase DNS name, name 1-63 letters, digits, \'-\', \'_\', \'.\'' },
      additionalProperties: { type: 'string', pattern: LABEL_VALUE_SOURCE, maxLength: LIMITS.labelValue, description: 'empty, or 1-63 letters, digits, \'-\', \'_\', \'.\', starting and ending with a letter or digit' },
    },
    ttl: { ...DURATION, title: 'how long the lane lives after it is created or renewed' },
    expiresAt: { ...TIMESTAMP, description: 'an RFC 3339 timestamp such as "2030-01-31T18:00:00Z", later than now (422 otherwise)', title: 'when the lane is removed; set from ttl when only ttl is given' },
    expiresInSeconds: { type: 'integer', readOnly: true, description: 'seconds until expiresAt, when the answer was made' },
    fallbackOnUnhealthy: { type: 'boolean', description: 'when every endpoint of this lane\'s instance of a service is unhealthy, send its requests to stable' },
    forks: { type: 'array', maxItems: FORK_LIMITS.forks, items: FORK, title: 'Kubernetes mode only: stable Deployments copied into this lane with what differs (images, env, replicas); the control plane keeps one Deployment per fork' },
    registered: { type: 'object', readOnly: true, additionalProperties: { type: 'array', items: { type: 'string' } }, description: 'service name to endpoints registered by connected sidecars of this lane (laneway envoy --register), served beside `services`; never stored' },
    status: {
      type: 'object', readOnly: true,
      description: 'Kubernetes mode, for a lane with forks: each fork\'s status, once the Lane\'s status describes its current spec; absent otherwise',
      properties: { forks: { type: 'array', items: FORK_STATUS } },
    },
    ...READ_ONLY,
  },
  additionalProperties: false,
};

export const SETTINGS_SCHEMA: Schema = {
  $id: 'Settings',
  type: 'object',
  properties: {
    laneHeader: { ...HEADER, title: 'request header that carries the lane (default x-lane); servedByHeader must differ (422)' },
    servedByHeader: { ...HEADER, title: 'response header naming who served a request (default x-lane-served-by)' },
    entryService: { ...NAME_SCHEMA, title: 'service the ingress gateway sends requests to; it must exist (422)' },
    ingressDomain: { type: 'string', pattern: DOMAIN_SOURCE, maxLength: 253, description: 'a lowercase DNS name of two or more labels', title: 'the ingress takes the lane from the host "<lane>.<ingressDomain>"' },
    defaultLaneTtl: { ...DURATION, title: 'TTL given to lanes created without ttl or expiresAt; at most maxLaneTtl (422)' },
    maxLaneTtl: { ...DURATION, title: 'the longest lifetime a lane may be given; lanes must then expire' },
    laneFrom: {
      type: 'object',
      title: 'where requests without the lane header take their lane from; false turns a mechanism off',
      properties: Object.fromEntries(([['baggage', TOKEN], ['cookie', TOKEN], ['query', QUERY_NAME]] as const).map(([k, name]) => [k, { anyOf: [{ type: 'string', pattern: name.source, maxLength: 64 }, { type: 'boolean', const: false }] }])),
      additionalProperties: false,
    },
    hopRecords: { type: 'boolean', title: 'every proxy streams an access-log entry per request to the control plane (GET /v1/propagation)' },
    tracing: {
      type: 'object',
      title: 'lane-aware tracing: every proxy sends OpenTelemetry spans to an OTLP gRPC collector',
      required: ['collector'],
      properties: {
        collector: { type: 'string', pattern: COLLECTOR_SOURCE, maxLength: COLLECTOR_MAX_LENGTH, examples: ['otel-collector:4317'], title: 'the OTLP gRPC collector, host:port' },
        samplingPercent: { type: 'number', minimum: 0, maximum: 100, title: 'share of new requests traced (default 100)' },
      },
      additionalProperties: false,
    },
    resourceVersion: READ_ONLY.resourceVersion,
  },
  additionalProperties: false,
};

export const ERROR_SCHEMA: Schema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'message', 'details'],
  properties: {
    error: { type: 'string', enum: [...ERROR_CODES], description: 'a stable code: what kind of refusal this is' },
    message: { type: 'string', description: 'what went wrong, for people' },
    details: {
      type: 'array',
      items: { type: 'object', required: ['path', 'reason'], properties: { path: { type: 'string', examples: ['lanes/feature-x/fallback'] }, reason: { type: 'string' } } },
    },
  },
};

export const SHARED_SCHEMAS = [SERVICE_SCHEMA, LANE_SCHEMA, SETTINGS_SCHEMA, ERROR_SCHEMA];

export const ref = (id: string): Schema => ({ $ref: `${id}#` });
export const listOf = (id: string): Schema => ({ type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref(id) } } });

/** A JSON Merge Patch (RFC 7386) of `schema`: every field optional, null removes it. */
export function mergePatchOf(schema: Schema, description: string): Schema {
  const properties = schema.properties as Record<string, Schema>;
  // Required fields and the name cannot be removed, so they are not nullable.
  const kept = new Set(['name', ...((schema.required as string[] | undefined) ?? [])]);
  const nullable = (field: Schema): Schema => ({
    ...field,
    type: [field.type, 'null'],
    ...(Array.isArray(field.enum) && { enum: [...field.enum, null] }),
    // Maps (labels, services) merge entry by entry, so their entries may be null too.
    ...(typeof field.additionalProperties === 'object' && { additionalProperties: nullable(field.additionalProperties as Schema) }),
  });
  return {
    type: 'object',
    description,
    properties: Object.fromEntries(Object.entries(properties).map(([key, field]) => [key, field.readOnly || kept.has(key) ? field : nullable(field)])),
    additionalProperties: false,
  };
}

export const STATUS_TEXT: Record<number, string> = {
  400: 'the request does not match this document\'s schemas (a body, name, query or header): `details` names each field and why',
  401: 'no or unknown API token',
  403: 'the token\'s role may not do this',
  404: 'no such object',
  409: 'conflicts with other definitions (`details` names them)',
  412: 'If-Match (or the body\'s resourceVersion) is not the current resourceVersion',
  413: 'the body is larger than 1 MiB',
  415: 'the body is not JSON',
  414: 'a path parameter is longer than the server reads (1024 characters)',
  422: 'valid by the schemas, but breaks a rule they cannot state: a reference to an object that does not exist, a fallback cycle, a TTL outside 1s-366d or beyond settings.maxLaneTtl, a name that differs from the URL\'s, renewing a lane that has no TTL',
  507: 'the data directory refused the write (e.g. no space left on device); nothing was changed',
};

/**
 * Response entries for the error statuses a route can answer with; a write (it can conflict: 409)
 * can also find the disk full (507) and break a rule between objects (422).
 */
export function errorResponses(...statuses: number[]): Record<number, Schema> {
  const write = statuses.includes(409) ? [422, 507] : [];
  return Object.fromEntries([...new Set([400, 401, 403, ...statuses, ...write])].sort().map((s) => [s, { description: STATUS_TEXT[s], ...ref('Error') }]));
}


export const byName = (): Schema => ({ type: 'object', required: ['name'], properties: { name: NAME_SCHEMA } });
export const laneByName = (): Schema => ({ type: 'object', required: ['name'], properties: { name: LANE_NAME_SCHEMA } });

/**
 * OpenAPI links from an answer holding an object to operations on that object: by its name, and, for
 * writes, at the version the answer carried (If-Match from its ETag). `reads` take the name only.
 * `name` locates the name in the answer (a list's first item: "#/items/0/name", with no ETag to pass).
 */
export function linksTo(writes: string[], reads: string[] = [], name = '#/name'): Record<string, Schema> {
  const versioned = name === '#/name';
  const link = (operationId: string, write: boolean) => [operationId, {
    operationId,
    parameters: { 'path.name': `$response.body${name}`, ...(write && versioned && { 'header.if-match': '$response.header.etag' }) },
  }];
  return Object.fromEntries([...reads.map((id) => link(id, false)), ...writes.map((id) => link(id, true))]);
}

/** The precondition headers a write takes, documented (and checked as strings) like any other input. */
export const WRITE_HEADERS: Schema = {
  type: 'object',
  properties: {
    'if-match': { type: 'string', pattern: IF_MATCH_SOURCE, maxLength: 1024, description: 'apply only if the object is still at one of these resourceVersions: "*" (it exists) or a comma-separated list of entity tags ("12", W/"12") or bare versions (12); 412 otherwise' },
    'if-none-match': { type: 'string', enum: ['*'], description: '"*": create only; 412 if the object exists' },
  },
};

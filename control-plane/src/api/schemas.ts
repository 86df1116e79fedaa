// JSON Schemas of the API's objects: Fastify validates requests with them and the OpenAPI document
// is generated from them. Patterns and limits come from the model, which then checks what a schema
// cannot (endpoint syntax, references between objects, cycles).
import { DURATION_DESCRIPTION, DURATION_PATTERN } from '../model/duration.js';
import { DEFAULT_FORK_REPLICAS, ENV_NAME, FORK_LIMITS } from '../model/forks.js';
import { DNS_LABEL, HEADER_NAME, LIMITS } from '../model/validate.js';

type Schema = Record<string, unknown>;

const NAME_DESCRIPTION = "a DNS label (1-63 lowercase letters, digits and '-', starting and ending with a letter or digit)";
export const NAME_SCHEMA: Schema = { type: 'string', pattern: DNS_LABEL.source, maxLength: 63, description: NAME_DESCRIPTION };
const ENDPOINT = { type: 'string', maxLength: 261, description: 'host:port (host: IPv4, [IPv6] or DNS name; port 1-65535)', examples: ['10.0.0.5:8080'] };
const ENDPOINTS = { type: 'array', maxItems: 1000, items: ENDPOINT };
const TIMESTAMP = { type: 'string', maxLength: 64, description: 'an RFC 3339 timestamp such as "2030-01-31T18:00:00Z"' };
const DURATION = { type: 'string', pattern: DURATION_PATTERN, description: DURATION_DESCRIPTION, examples: ['2h'] };
const HEADER = { type: 'string', pattern: HEADER_NAME.source, description: 'a lowercase HTTP header name' };

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
  properties: {
    name: NAME_SCHEMA,
    protocol: { type: 'string', enum: ['http', 'grpc'] },
    port: { type: 'integer', minimum: 1, maximum: 65535 },
    endpoints: ENDPOINTS,
    dependsOn: { type: 'array', maxItems: 1000, items: NAME_SCHEMA, description: 'services this service calls; its sidecar then gets only their routes and clusters' },
    registered: { type: 'array', readOnly: true, items: { type: 'string' }, description: 'stable endpoints registered by connected sidecars (laneway envoy --register), served beside `endpoints`; never stored' },
    namespace: { ...NAME_SCHEMA, description: 'Kubernetes namespace: <name>.<namespace>, <name>.<namespace>.svc and <name>.<namespace>.svc.cluster.local are routed too' },
    addresses: { type: 'array', maxItems: 8, items: { type: 'string', maxLength: 45 }, description: 'ClusterIPs: <ip>:<port> is routed too (transparent capture)' },
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
    image: { type: 'string', maxLength: 512, examples: ['registry.example/orders:pr-42'], description: 'an image reference: [registry/]repository[:tag][@digest]' },
    env: { type: 'object', maxProperties: FORK_LIMITS.env, propertyNames: ENV_VAR, additionalProperties: { type: 'string' }, title: 'variables to set' },
    removeEnv: { type: 'array', maxItems: FORK_LIMITS.env, items: ENV_VAR, title: 'variables to remove' },
  },
  additionalProperties: false,
};
const FORK = {
  type: 'object',
  required: ['workload', 'containers'],
  properties: {
    workload: { type: 'string', maxLength: 128, examples: ['Deployment/orders'], description: '"Deployment/<name>": the stable workload in the lane\'s namespace' },
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
    name: NAME_SCHEMA,
    fallback: { ...NAME_SCHEMA, title: 'lane tried next when this lane has no instance of a service; "stable" or absent means stable' },
    services: { type: 'object', maxProperties: 1000, propertyNames: { maxLength: 63 }, additionalProperties: ENDPOINTS, description: 'service name to the endpoints of this lane\'s instance' },
    owner: { type: 'string', maxLength: LIMITS.owner },
    description: { type: 'string', maxLength: LIMITS.description },
    labels: { type: 'object', maxProperties: LIMITS.labels, additionalProperties: { type: 'string', maxLength: LIMITS.labelValue } },
    ttl: { ...DURATION, title: 'how long the lane lives after it is created or renewed' },
    expiresAt: { ...TIMESTAMP, description: 'when the lane is removed (RFC 3339); set from ttl when only ttl is given' },
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
    laneHeader: { ...HEADER, title: 'request header that carries the lane (default x-lane)' },
    servedByHeader: { ...HEADER, title: 'response header naming who served a request (default x-lane-served-by)' },
    entryService: { ...NAME_SCHEMA, title: 'service the ingress gateway sends requests to' },
    ingressDomain: { type: 'string', maxLength: 253, title: 'the ingress takes the lane from the host "<lane>.<ingressDomain>"' },
    defaultLaneTtl: { ...DURATION, title: 'TTL given to lanes created without ttl or expiresAt' },
    maxLaneTtl: { ...DURATION, title: 'the longest lifetime a lane may be given; lanes must then expire' },
    laneFrom: {
      type: 'object',
      title: 'where requests without the lane header take their lane from; false turns a mechanism off',
      properties: Object.fromEntries(['baggage', 'cookie', 'query'].map((k) => [k, { anyOf: [{ type: 'string', maxLength: 64 }, { type: 'boolean', const: false }] }])),
      additionalProperties: false,
    },
    hopRecords: { type: 'boolean', title: 'every proxy streams an access-log entry per request to the control plane (GET /v1/propagation)' },
    tracing: {
      type: 'object',
      title: 'lane-aware tracing: every proxy sends OpenTelemetry spans to an OTLP gRPC collector',
      required: ['collector'],
      properties: {
        collector: { type: 'string', maxLength: 260, examples: ['otel-collector:4317'], title: 'the OTLP gRPC collector, host:port' },
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
    error: { type: 'string', description: 'a stable code such as invalid_definition, not_found, conflict, precondition_failed' },
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
    properties: Object.fromEntries(Object.entries(properties).map(([key, field]) => [key, field.readOnly ? field : nullable(field)])),
    additionalProperties: false,
  };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'invalid request: `details` names each field and why',
  401: 'no or unknown API token',
  403: 'the token\'s role may not do this',
  404: 'no such object',
  409: 'conflicts with other definitions (`details` names them)',
  412: 'If-Match (or the body\'s resourceVersion) is not the current resourceVersion',
  413: 'the body is larger than 1 MiB',
  415: 'the body is not JSON',
  422: 'well-formed, but cannot be done as asked (e.g. renewing a lane that has no TTL)',
  507: 'the data directory refused the write (e.g. no space left on device); nothing was changed',
};

/** Response entries for the error statuses a route can answer with; a write (it can conflict: 409) can also find the disk full (507). */
export function errorResponses(...statuses: number[]): Record<number, Schema> {
  const storage = statuses.includes(409) ? [507] : [];
  return Object.fromEntries([...new Set([400, 401, 403, ...statuses, ...storage])].sort().map((s) => [s, { description: STATUS_TEXT[s], ...ref('Error') }]));
}

export const byName = (): Schema => ({ type: 'object', required: ['name'], properties: { name: NAME_SCHEMA } });

/** The precondition headers a write takes, documented (and checked as strings) like any other input. */
export const WRITE_HEADERS: Schema = {
  type: 'object',
  properties: {
    'if-match': { type: 'string', maxLength: 1024, description: 'apply only if the object is still at this resourceVersion (its ETag, e.g. "12"); 412 otherwise' },
    'if-none-match': { type: 'string', enum: ['*'], description: '"*": create only; 412 if the object exists' },
  },
};

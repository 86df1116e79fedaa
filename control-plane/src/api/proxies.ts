// /v1/proxies: every connected Envoy with its per-type sync status, and what the control plane sent
// each one as an Envoy-shaped /config_dump.
import type { FastifyInstance } from 'fastify';
import { configDumpJson } from '../debug/config-dump.js';
import { dumpInput, latestStream, proxyView } from '../debug/proxy-view.js';
import { isResourceKind, RESOURCE_KINDS, type ResourceKind } from '../debug/resources.js';
import type { RegistrationView } from '../runtime/registrations.js';
import type { ProxyStatus, ProxyStatusRegistry } from '../xds/proxy-status.js';
import { ApiError } from './errors.js';
import { REGISTRATION_VIEW } from './registrations.js';
import { errorResponses } from './schemas.js';

/** What the proxy routes need: the connected proxies, and this replica's id to show on them. */
export interface ProxyContext {
  status: ProxyStatusRegistry;
  replicaId: string;
  /** The endpoint a proxy's stream registered (`laneway envoy --register`), with its status. */
  registrationOf?: (streamId: number) => RegistrationView | undefined;
}

type ById = { Params: { id: string } };
type DumpQuery = ById & { Querystring: { resource?: string; state?: 'sent' | 'acked' } };

const tags = ['proxies'];
const TYPE_VIEW = {
  type: 'object',
  properties: {
    typeUrl: { type: 'string' },
    status: { type: 'string', enum: ['SYNCED', 'STALE', 'NACKED', 'NOT SENT', 'IGNORED'], description: 'as istioctl proxy-status: SYNCED acked what was sent; STALE sent, not yet acked; NACKED rejected (see nackError); NOT SENT requested, nothing sent yet; IGNORED never requested' },
    sentVersion: { type: ['string', 'null'] },
    ackedVersion: { type: ['string', 'null'] },
    nonce: { type: ['string', 'null'], description: 'nonce of the latest response' },
    nackError: { type: ['string', 'null'], description: "Envoy's error text when the latest response was rejected" },
    responsesSent: { type: 'integer' },
    nacks: { type: 'integer' },
    resources: { type: 'integer', description: 'resources in the latest response' },
  },
};
const PROXY_VIEW = {
  type: 'object',
  properties: {
    id: { type: 'string', description: 'the node id' },
    cluster: { type: 'string' },
    kind: { type: ['string', 'null'], enum: ['sidecar', 'ingress', null] },
    service: { type: ['string', 'null'], description: 'the service a sidecar fronts' },
    lane: { type: ['string', 'null'], description: 'node metadata laneway.lane' },
    replica: { type: 'string', description: 'the control-plane replica holding the stream' },
    connectedAt: { type: 'string' },
    streamId: { type: 'integer' },
    group: { type: 'string' },
    types: { type: 'object', properties: { CDS: TYPE_VIEW, EDS: TYPE_VIEW, LDS: TYPE_VIEW, RDS: TYPE_VIEW } },
    registration: { ...REGISTRATION_VIEW, description: 'the endpoint this sidecar registered (laneway envoy --register) and its status; absent when it registers none' },
  },
};

/** The proxy view, with the registration its stream made. */
function viewOf(ctx: ProxyContext, p: ProxyStatus) {
  const registration = ctx.registrationOf?.(p.streamId);
  return { ...proxyView(ctx.status, p, ctx.replicaId), ...(registration && { registration }) };
}
const KIND = ` *(?:${RESOURCE_KINDS.join('|')}) *`;
const RESOURCE_LIST = `^(?:${KIND}(?:,${KIND})*)?$`;
const ID_PARAMS = { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 256 } } };

function connected(ctx: ProxyContext, id: string): ProxyStatus {
  const proxy = latestStream(ctx.status, id);
  if (!proxy) throw new ApiError(404, 'not_found', `no proxy with node id "${id}" is connected to this replica (${ctx.replicaId})`, [{ path: `proxies/${id}`, reason: 'not connected' }]);
  return proxy;
}

function parseKinds(resource: string | undefined): ResourceKind[] {
  if (resource === undefined || resource === '') return [...RESOURCE_KINDS];
  const names = resource.split(',').map((s) => s.replace(/^ +| +$/g, ''));
  const bad = names.filter((n) => !isResourceKind(n));
  if (bad.length > 0) {
    const reason = `must be one or more of ${RESOURCE_KINDS.join(', ')} (comma-separated), got ${bad.map((b) => JSON.stringify(b)).join(', ')}`;
    throw new ApiError(400, 'bad_request', `querystring/resource: ${reason}`, [{ path: 'querystring/resource', reason }]);
  }
  return names as ResourceKind[];
}

export function registerProxyRoutes(app: FastifyInstance, ctx: ProxyContext): void {
  app.get('/v1/proxies', {
    schema: {
      tags, summary: 'Connected proxies and their xDS sync status',
      response: { 200: { type: 'object', properties: { replica: { type: 'string' }, items: { type: 'array', items: PROXY_VIEW } } }, ...errorResponses() },
    },
  }, async () => ({ replica: ctx.replicaId, items: ctx.status.list().map((p) => viewOf(ctx, p)) }));

  app.get<ById>('/v1/proxies/:id', {
    schema: { tags, summary: 'One connected proxy (by node id)', params: ID_PARAMS, response: { 200: PROXY_VIEW, ...errorResponses(404) } },
  }, async (request) => viewOf(ctx, connected(ctx, request.params.id)));

  app.get<DumpQuery>('/v1/proxies/:id/config_dump', {
    schema: {
      tags,
      summary: "What the control plane sent the proxy, in the shape of Envoy's admin /config_dump",
      params: ID_PARAMS,
      querystring: {
        type: 'object',
        properties: {
          resource: { type: 'string', pattern: RESOURCE_LIST, maxLength: 100, description: `a comma-separated list of ${RESOURCE_KINDS.join(', ')} (empty or absent: all)` },
          state: { type: 'string', enum: ['sent', 'acked'], description: 'sent (default): the latest responses; acked: the responses the proxy accepted' },
        },
        additionalProperties: false,
      },
      response: { 200: { type: 'object', description: 'envoy.admin.v3.ConfigDump as proto3 JSON' }, ...errorResponses(404) },
    },
  }, async (request) => {
    const kinds = parseKinds(request.query.resource);
    const proxy = connected(ctx, request.params.id);
    return configDumpJson(dumpInput(ctx.status, proxy, request.query.state ?? 'sent'), kinds);
  });
}

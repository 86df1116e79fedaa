// GET /v1/lanes/:name/links: the ways into a lane at the ingress (host subdomain, query parameter,
// cookie, header, baggage), as URLs and curl commands a tester can copy. Ingress addresses come from
// the connected ingress Envoys (their listener address and port).
import type { FastifyInstance } from 'fastify';
import { DEFAULT_LANE_FROM, type MeshState } from '../model/types.js';
import { proxyTargetFromNode } from '../runtime/node-target.js';
import type { ProxyStatusRegistry } from '../xds/proxy-status.js';
import { errorResponses, laneByName } from './schemas.js';
import { ApiError } from './errors.js';
import type { ApiContext } from './views.js';

export type EntryMechanism = 'subdomain' | 'query' | 'cookie' | 'header' | 'baggage';

export interface PreviewLink {
  mechanism: EntryMechanism;
  /** A URL that enters the lane by itself (subdomain, query); otherwise the ingress URL. */
  url: string;
  /** What the request must carry besides the URL (a cookie, a header). */
  carries?: string;
  curl: string;
}

/** "http://host:port" of every connected ingress Envoy; a wildcard listener shows as `requestHost`. */
export function ingressOrigins(status: ProxyStatusRegistry, requestHost: string): string[] {
  const origins = new Set<string>();
  for (const p of status.list()) {
    const target = proxyTargetFromNode({ id: p.nodeId, cluster: p.cluster, metadata: p.metadata });
    if ('error' in target || target.kind !== 'ingress') continue;
    const wildcard = target.listenerAddress === '0.0.0.0' || target.listenerAddress === '::';
    origins.add(`http://${wildcard ? requestHost : target.listenerAddress}:${target.listenerPort}`);
  }
  return [...origins].sort();
}

const enabled = (value: string | false | undefined, fallback: string | false): string | undefined => ((value === undefined ? fallback : value) || undefined);

/** The links into `lane` through the ingress at `origin`, for the mechanisms the settings turn on. */
export function previewLinks(state: MeshState, lane: string, origin: string): PreviewLink[] {
  const { laneFrom = {}, ingressDomain, laneHeader } = state.settings;
  const links: PreviewLink[] = [];
  const port = new URL(origin).port;
  if (ingressDomain) {
    const url = `http://${lane}.${ingressDomain}${port ? `:${port}` : ''}/`;
    links.push({ mechanism: 'subdomain', url, curl: `curl ${url}` });
  }
  const query = enabled(laneFrom.query, DEFAULT_LANE_FROM.query);
  if (query) links.push({ mechanism: 'query', url: `${origin}/?${query}=${lane}`, curl: `curl '${origin}/?${query}=${lane}'` });
  const cookie = enabled(laneFrom.cookie, DEFAULT_LANE_FROM.cookie);
  if (cookie) links.push({ mechanism: 'cookie', url: `${origin}/`, carries: `cookie ${cookie}=${lane}`, curl: `curl -b '${cookie}=${lane}' ${origin}/` });
  links.push({ mechanism: 'header', url: `${origin}/`, carries: `header ${laneHeader}: ${lane}`, curl: `curl -H '${laneHeader}: ${lane}' ${origin}/` });
  const baggage = enabled(laneFrom.baggage, DEFAULT_LANE_FROM.baggage);
  if (baggage) links.push({ mechanism: 'baggage', url: `${origin}/`, carries: `header baggage: ${baggage}=${lane}`, curl: `curl -H 'baggage: ${baggage}=${lane}' ${origin}/` });
  return links;
}

const LINK = {
  type: 'object',
  properties: {
    mechanism: { type: 'string', enum: ['subdomain', 'query', 'cookie', 'header', 'baggage'] },
    url: { type: 'string' }, carries: { type: 'string' }, curl: { type: 'string' },
  },
};

export function registerPreviewLinkRoute(app: FastifyInstance, ctx: Pick<ApiContext, 'getState'>, status: ProxyStatusRegistry): void {
  app.get<{ Params: { name: string } }>('/v1/lanes/:name/links', {
    schema: {
      tags: ['lanes'],
      operationId: 'getLaneLinks',
      summary: 'Ingress URLs and commands that enter a lane (subdomain, query, cookie, header, baggage)',
      params: laneByName(),
      response: {
        200: { type: 'object', properties: { lane: { type: 'string' }, ingresses: { type: 'array', items: { type: 'object', properties: { origin: { type: 'string' }, links: { type: 'array', items: LINK } } } } } },
        ...errorResponses(404),
      },
    },
  }, async (request) => {
    const { name } = request.params;
    const state = ctx.getState();
    if (!Object.hasOwn(state.lanes, name)) throw new ApiError(404, 'not_found', `lane "${name}" does not exist`, [{ path: `lanes/${name}`, reason: 'does not exist' }]);
    const origins = ingressOrigins(status, request.hostname.replace(/:\d+$/, ''));
    return { lane: name, ingresses: origins.map((origin) => ({ origin, links: previewLinks(state, name, origin) })) };
  });
}

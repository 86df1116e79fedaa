// GET /v1/explain: where a call to a service goes for a lane, why, and (from=) whether the calling
// proxy actually holds that route.
import type { FastifyInstance } from 'fastify';
import { checkFrom, type FromCheck } from '../debug/explain-proxy.js';
import { explain, requestFor, UnknownServiceError, type Explanation } from '../debug/explain.js';
import type { SourceLookup } from '../debug/sources.js';
import type { MeshState } from '../model/types.js';
import type { ProxyStatusRegistry } from '../xds/proxy-status.js';
import { ApiError } from './errors.js';
import { errorResponses } from './schemas.js';

/** What explaining needs: the served model, where objects are defined, and the proxies' status. */
export interface ExplainContext {
  status: ProxyStatusRegistry;
  getState: () => MeshState;
  sourceOf: SourceLookup;
  /** Services seen dropping a lane (hop records): one line each, for the answer's `warnings`. */
  laneWarnings?: (lane: string) => string[];
}

type ExplainQuery = { Querystring: { service: string; lane?: string; from?: string } };

const QUERY = {
  type: 'object',
  required: ['service'],
  properties: {
    service: { type: 'string', minLength: 1, maxLength: 63, description: 'the called service' },
    lane: { type: 'string', maxLength: 512, description: 'the request lane (absent: no lane); any value, as a request could carry it' },
    from: { type: 'string', minLength: 1, maxLength: 63, description: 'the calling service (or "ingress"): check its connected proxies hold the route' },
  },
  additionalProperties: false,
};

export function registerExplainRoutes(app: FastifyInstance, ctx: ExplainContext): void {
  app.get<ExplainQuery>('/v1/explain', {
    schema: {
      tags: ['proxies'],
      summary: 'Where a call to a service goes for a lane, and why',
      querystring: QUERY,
      response: { 200: { type: 'object', description: 'chain walked, winning lane and why, Envoy route and cluster, endpoints and their source' }, ...errorResponses(404) },
    },
  }, async (request): Promise<Explanation & { from?: FromCheck; warnings?: string[] }> => {
    const { service, lane, from } = request.query;
    const state = ctx.getState();
    let answer: Explanation;
    try {
      answer = await explain(state, service, lane, ctx.sourceOf);
    } catch (err) {
      if (err instanceof UnknownServiceError) throw new ApiError(404, 'not_found', err.message, [{ path: `services/${service}`, reason: 'does not exist' }]);
      throw err;
    }
    // A service that drops the lane sends every later hop to stable, whatever this route says.
    const warnings = lane === undefined ? [] : (ctx.laneWarnings?.(lane) ?? []);
    const withWarnings = warnings.length > 0 ? { ...answer, warnings } : answer;
    if (from === undefined) return withWarnings;
    const expected = { cluster: answer.cluster, endpoints: answer.endpoints };
    return { ...withWarnings, from: checkFrom(ctx.status, from, requestFor(state, service, lane), expected) };
  });
}

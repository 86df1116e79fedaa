// The debugging routes as one group: proxy status and config dumps, explain, Prometheus metrics,
// and (LANEWAY_TEST_FAULTS=1 only) test fault injection.
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { FAULT_KINDS, FAULT_RESOURCE_NAME, type FaultInjector, type FaultKind } from '../debug/faults.js';
import { registerMetricsRoute } from '../runtime/metrics.js';
import { ApiError } from './errors.js';
import { registerExplainRoutes, type ExplainContext } from './explain.js';
import { registerProxyRoutes, type ProxyContext } from './proxies.js';
import { errorResponses } from './schemas.js';

export interface DebugContext extends ExplainContext, ProxyContext {
  /** Serves GET /metrics when given. */
  metrics?: Registry;
  /** TEST ONLY: serves /v1/debug/faults when given. */
  faults?: FaultInjector;
}

type FaultBody = { Body: { proxy: string; kind?: FaultKind } };
type FaultQuery = { Querystring: { proxy?: string } };

function registerFaultRoutes(app: FastifyInstance, faults: FaultInjector): void {
  const tags = ['testing'];
  app.post<FaultBody>('/v1/debug/faults', {
    schema: {
      tags, summary: `TEST ONLY: add a resource Envoy rejects ("${FAULT_RESOURCE_NAME}") to a proxy's config`,
      body: { type: 'object', required: ['proxy'], properties: { proxy: { type: 'string', maxLength: 256 }, kind: { type: 'string', enum: [...FAULT_KINDS] } }, additionalProperties: false },
      response: { 200: { type: 'object' }, ...errorResponses(404) },
    },
  }, async (request) => {
    const { proxy, kind = 'listener' } = request.body;
    const result = faults.inject(proxy, kind);
    if ('error' in result) throw new ApiError(404, 'not_found', result.error, [{ path: `proxies/${proxy}`, reason: 'not connected' }]);
    request.audit = { target: `debug/faults/${result.group}`, resourceVersion: '', outcome: 'created' };
    return { proxy, kind, resource: FAULT_RESOURCE_NAME, group: result.group };
  });
  app.delete<FaultQuery>('/v1/debug/faults', {
    schema: {
      tags, summary: 'TEST ONLY: remove injected faults (of one proxy\'s group, or all)',
      querystring: { type: 'object', properties: { proxy: { type: 'string', maxLength: 256 } }, additionalProperties: false },
      response: { 200: { type: 'object' }, ...errorResponses() },
    },
  }, async (request) => {
    const cleared = faults.clear(request.query.proxy);
    request.audit = { target: 'debug/faults', resourceVersion: '', outcome: 'deleted' };
    return { cleared };
  });
}

/** Registers every debugging route on `app` (use it as a buildApi plugin). */
export function registerDebugRoutes(app: FastifyInstance, ctx: DebugContext): void {
  registerProxyRoutes(app, ctx);
  registerExplainRoutes(app, ctx);
  if (ctx.metrics) registerMetricsRoute(app, ctx.metrics);
  if (ctx.faults) registerFaultRoutes(app, ctx.faults);
}

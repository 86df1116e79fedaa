// GET /v1/injection: is this replica's injection webhook on, and which opted-in pods of the watched
// namespace run without the sidecar, and why (the same list laneway_pods_uninjected counts).
import type { FastifyInstance } from 'fastify';
import type { UninjectedPod } from '../webhook/uninjected.js';
import { errorResponses } from './schemas.js';

export interface InjectionContext {
  /** The watched namespace (Kubernetes mode); absent: no pods are watched. */
  namespace?: string;
  /** This replica's webhook is up (--webhook-port, and its certificate was obtained). */
  webhookServing(): boolean;
  uninjected(): UninjectedPod[];
}

const UNINJECTED = {
  type: 'object',
  properties: {
    pod: { type: 'string' },
    lane: { type: 'string', description: 'the pod\'s laneway.dev/lane label, or stable' },
    reason: { type: 'string', enum: ['webhook-not-called', 'invalid-annotation', 'host-network', 'no-service-name', 'invalid-name'] },
    message: { type: 'string' },
  },
};

export function registerInjectionRoutes(app: FastifyInstance, ctx: InjectionContext): void {
  app.get('/v1/injection', {
    schema: {
      tags: ['proxies'],
      summary: 'Sidecar injection: whether this replica serves the webhook, and the opted-in pods running without the sidecar',
      response: {
        200: {
          type: 'object',
          properties: {
            namespace: { type: ['string', 'null'] },
            webhook: { type: 'boolean', description: 'this replica serves the admission webhook now (--webhook-port, certificate obtained)' },
            uninjected: { type: 'array', items: UNINJECTED },
          },
        },
        ...errorResponses(),
      },
    },
  }, async () => ({ namespace: ctx.namespace ?? null, webhook: ctx.webhookServing(), uninjected: ctx.uninjected() }));
}

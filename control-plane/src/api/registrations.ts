// GET /v1/registrations: endpoints registered by connected sidecars (`laneway envoy --register`),
// each with its status: active (served), conflict (does not fit the definitions) or refused.
import type { FastifyInstance } from 'fastify';
import type { RegistrationView } from '../runtime/registrations.js';
import { errorResponses } from './schemas.js';

export const REGISTRATION_VIEW = {
  type: 'object',
  properties: {
    service: { type: 'string' },
    lane: { type: 'string', description: '"stable" for the stable instance' },
    address: { type: 'string', description: 'host:port of the app' },
    status: { type: 'string', enum: ['active', 'conflict', 'refused'], description: 'active: served; conflict: does not fit the definitions (see reason); refused: not accepted (see reason)' },
    reason: { type: 'string' },
    nodes: { type: 'array', items: { type: 'string' }, description: 'node ids of the connected Envoys holding it' },
    removeAt: { type: 'string', format: 'date-time', description: 'while no Envoy holds it: when it is removed (the grace period)' },
  },
};

export function registerRegistrationRoutes(app: FastifyInstance, views: () => RegistrationView[]): void {
  app.get('/v1/registrations', {
    schema: {
      tags: ['registrations'], summary: 'Endpoints registered by connected sidecars (laneway envoy --register)',
      response: { 200: { type: 'object', properties: { items: { type: 'array', items: REGISTRATION_VIEW } } }, ...errorResponses() },
    },
  }, async () => ({ items: views() }));
}

/** Registered (active) addresses per service (stable) and per lane and service, for the definitions' views. */
export interface RegisteredLookup {
  stable: Record<string, string[]>;
  lanes: Record<string, Record<string, string[]>>;
}

// The REST API: a Fastify instance with every route registered; the caller decides where it listens.
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MeshState, Settings } from '../model/types.js';
import type { FileStore } from '../sources/store.js';
import { ApiError, invalidDefinition, registerErrorHandling, sendError } from './errors.js';
import { registerLaneRoutes } from './lanes.js';
import { registerServiceRoutes } from './services.js';

export const BODY_LIMIT = 1024 * 1024;

export interface ApiOptions {
  /** Where writes go. */
  store: FileStore;
  /** The state being served (store merged with other sources); reads come from here. */
  getState: () => MeshState;
  /** Readiness for /readyz; absent means never ready. */
  ready?: () => boolean;
  /** A pino logger. */
  logger: FastifyBaseLogger;
}

export type ApiContext = Pick<ApiOptions, 'store' | 'getState'>;

function registerSettingsRoutes(app: FastifyInstance, { store, getState }: ApiContext): void {
  app.get('/v1/settings', async () => getState().settings);
  app.put('/v1/settings', async (request) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidDefinition([{ path: 'settings', reason: 'the body must be a JSON object' }]);
    return store.putSettings(body as Settings);
  });
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const app = Fastify({ loggerInstance: options.logger, bodyLimit: BODY_LIMIT });
  // Only JSON bodies: text/plain would otherwise reach handlers as a string instead of a 415.
  app.removeContentTypeParser('text/plain');
  registerErrorHandling(app);

  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    if (options.ready?.()) return { status: 'ready' };
    return sendError(reply, new ApiError(503, 'not_ready', 'the control plane is not ready yet'));
  });
  registerServiceRoutes(app, options);
  registerLaneRoutes(app, options);
  registerSettingsRoutes(app, options);
  return app;
}

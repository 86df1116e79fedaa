// The REST API: a Fastify instance with every route registered; the caller decides where it listens.
import type { SecureContextOptions } from 'node:tls';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { MeshState } from '../model/types.js';
import type { FileStore } from '../sources/store.js';
import { registerAccessControl } from './access.js';
import { ApiError, registerErrorHandling, sendError } from './errors.js';
import { storeLaneBackend, type LaneBackend } from './lane-backend.js';
import { registerLaneServiceRoutes } from './lane-services.js';
import { registerLaneRoutes } from './lanes.js';
import { registerOpenApi } from './openapi.js';
import { registerUnknownRoutes, ROUTE_ERROR_OPTIONS } from './route-errors.js';
import { SHARED_SCHEMAS } from './schemas.js';
import { registerServiceRoutes } from './services.js';
import { registerSettingsRoutes } from './settings.js';
import type { TokenRegistry } from './tokens.js';
import type { RegisteredLookup } from './registrations.js';
import type { ApiContext, Collection } from './views.js';

export const BODY_LIMIT = 1024 * 1024;
export const API_VERSION = '1.0.0';

/** Registers more routes (e.g. debugging) in the API's scope: same access control, errors and OpenAPI document. */
export type ApiPlugin = (app: FastifyInstance) => void;

export interface ApiOptions {
  /** Where writes go. */
  store: FileStore;
  /** The state being served (store merged with other sources); reads come from here. */
  getState: () => MeshState;
  /** Readiness for /readyz; absent means never ready. */
  ready?: () => boolean;
  /** A pino logger. */
  logger: FastifyBaseLogger;
  /** Tokens callers must present; absent or empty: only loopback clients are answered. */
  tokens?: TokenRegistry;
  /** Objects another source (the config directory) defines; the API refuses to write them. */
  definedElsewhere?: (kind: Collection | 'settings', name: string) => boolean;
  /** The clock for TTLs and time left (tests pass a fixed one). */
  now?: () => Date;
  /** Kubernetes mode: objects defined elsewhere are cluster objects (the 409 says so). */
  kubernetes?: boolean;
  /** Where /v1/lanes keeps lanes; absent: the store (Kubernetes mode: Lane objects, lane-backend-kubernetes.ts). */
  lanes?: LaneBackend;
  /** Endpoints registered by sidecars, shown beside the definitions. */
  registered?: () => RegisteredLookup;
  /** More route groups, registered after the built-in ones. */
  plugins?: ApiPlugin[];
  /** Serve https with this certificate (runtime/tls-servers.ts); absent: plain http. */
  https?: SecureContextOptions;
}

const AJV_OPTIONS = {
  // Fastify's defaults coerce types and drop unknown fields silently; a bad field must be a 400 naming it.
  coerceTypes: false,
  removeAdditional: false,
  useDefaults: false,
  allErrors: true,
  verbose: true,
  allowUnionTypes: true,
};

function registerHealthRoutes(app: FastifyInstance, ready: (() => boolean) | undefined, store: FileStore): void {
  const schema = (summary: string, status: string) => ({
    tags: ['operations'], summary, security: [],
    response: { 200: { type: 'object', properties: { status: { type: 'string', enum: [status] } } } },
  });
  app.get('/healthz', { schema: schema('Liveness: the process answers', 'ok'), config: { access: 'public' } }, async () => ({ status: 'ok' }));
  app.get('/readyz', {
    schema: { ...schema('Readiness: definitions are loaded and served', 'ready'), response: { ...schema('', 'ready').response, 503: { description: 'not ready yet, or the data directory refuses writes (the message says which)', $ref: 'Error#' } } },
    config: { access: 'public' },
  }, async (_request, reply) => {
    if (!ready?.()) return sendError(reply, new ApiError(503, 'not_ready', 'the control plane is not ready yet'));
    const storage = store.storageProblem();
    if (storage) return sendError(reply, new ApiError(503, 'not_ready', `${storage.message} (since ${storage.since})`, [{ path: 'dataDir', reason: storage.code }]));
    return { status: 'ready' };
  });
}

export function buildApi(options: ApiOptions): FastifyInstance {
  const common = { loggerInstance: options.logger, bodyLimit: BODY_LIMIT, ajv: { customOptions: AJV_OPTIONS }, ...ROUTE_ERROR_OPTIONS };
  // An https instance differs from an http one only in its raw server's type.
  const app = (options.https ? Fastify({ ...common, https: options.https }) : Fastify(common)) as unknown as FastifyInstance;
  // Only JSON bodies: text/plain would otherwise reach handlers as a string instead of a 415.
  app.removeContentTypeParser('text/plain');
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, app.getDefaultJsonParser('error', 'error'));
  // Response schemas document the answers; JSON.stringify sends exactly what the handler returns.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  for (const schema of SHARED_SCHEMAS) app.addSchema(schema);
  registerErrorHandling(app);
  registerUnknownRoutes(app);
  registerAccessControl(app, options.tokens);
  registerOpenApi(app, API_VERSION, (options.tokens?.size ?? 0) > 0);

  const ctx: ApiContext = {
    store: options.store,
    getState: options.getState,
    now: options.now ?? (() => new Date()),
    definedElsewhere: options.definedElsewhere ?? (() => false),
    ...(options.kubernetes && { kubernetes: true }),
    ...(options.registered && { registered: options.registered }),
  };
  const lanes = options.lanes ?? storeLaneBackend(ctx);
  app.register(async (scope) => {
    registerHealthRoutes(scope, options.ready, options.store);
    registerServiceRoutes(scope, ctx);
    registerLaneRoutes(scope, ctx, lanes);
    registerLaneServiceRoutes(scope, ctx, lanes);
    registerSettingsRoutes(scope, ctx);
    for (const plugin of options.plugins ?? []) plugin(scope);
  });
  return app;
}


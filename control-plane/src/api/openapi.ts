// The OpenAPI document, generated from the routes' JSON Schemas, at /openapi.json, and a browsable
// page at /docs. Both are public: they describe the API, they do not expose its data.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { STATUS_TEXT } from './schemas.js';

const DESCRIPTION = `Define services and traffic lanes for Envoy. Every object has a \`resourceVersion\`, sent as
its \`ETag\`; send it back as \`If-Match\` so that two people editing the same object cannot
silently overwrite each other (412 when it changed). Every error, the framework's included, is
\`{error, message, details: [{path, reason}]}\`: 400 when a request does not match this document,
422 when it does but breaks a rule between fields or objects, 404 for a path no route has, 405 (with
\`Allow\`) for a method a path does not take, 414 for a path parameter over 1024 characters.`;

const SECURITY = {
  tokens: 'This server has API tokens: send `Authorization: Bearer <token>`; role `viewer` reads, `admin` also writes (401 without a known token, 403 for a viewer\'s write).',
  loopback: 'This server has no API tokens: it answers clients on its own host (loopback) without credentials, as admin, and others with 401. With tokens configured (--tokens-file, LANEWAY_API_TOKENS) every route but health, metrics and this document needs `Authorization: Bearer <token>`, and the document says so.',
};

const PARAM_TOO_LONG = { description: STATUS_TEXT[414], content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };

/** A 414 entry for every operation with path parameters: Fastify refuses longer ones before routing. */
function withParamLimit(document: { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>> }) {
  for (const [path, operations] of Object.entries(document.paths ?? {})) {
    if (!path.includes('{')) continue;
    for (const operation of Object.values(operations)) operation.responses = { ...operation.responses, 414: PARAM_TOO_LONG };
  }
  return document;
}

/** `tokens`: the server has API tokens; the document's security says what this server requires. */
export function registerOpenApi(app: FastifyInstance, version: string, tokens: boolean): void {
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, access: 'public' };
  });
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Laneway API', version, description: `${DESCRIPTION}\n\n${tokens ? SECURITY.tokens : SECURITY.loopback}` },
      tags: [
        { name: 'lanes', description: 'lanes, their service overrides and expiry' },
        { name: 'services', description: 'services and their stable endpoints' },
        { name: 'settings', description: 'mesh-wide settings' },
        { name: 'operations', description: 'health, readiness and this document' },
        { name: 'propagation', description: 'which services forward the lane, from hop records' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token (role viewer or admin)' } } },
      // Without tokens, loopback clients need no credentials: the empty requirement says so.
      security: tokens ? [{ bearer: [] }] : [{}],
    },
    transformObject: (document) => withParamLimit(('openapiObject' in document ? document.openapiObject : {}) as never) as never,
    refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => (typeof json.$id === 'string' ? json.$id : `schema-${i}`) },
  });
  app.register(swaggerUi, { routePrefix: '/docs', staticCSP: true });
  app.register(async (scope) => {
    scope.get('/openapi.json', {
      schema: { tags: ['operations'], summary: 'This API\'s OpenAPI 3.1 document', security: [], response: { 200: { type: 'object', additionalProperties: true } } },
      config: { access: 'public' },
    }, async () => app.swagger());
  });
}

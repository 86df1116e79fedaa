// The OpenAPI document, generated from the routes' JSON Schemas, at /openapi.json, and a browsable
// page at /docs. Both are public: they describe the API, they do not expose its data.
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';

const DESCRIPTION = `Define services and traffic lanes for Envoy. Every object has a \`resourceVersion\`, sent as
its \`ETag\`; send it back as \`If-Match\` so that two people editing the same object cannot
silently overwrite each other (412 when it changed). Errors are \`{error, message, details: [{path, reason}]}\`.
With API tokens configured, send \`Authorization: Bearer <token>\`: role \`viewer\` reads, \`admin\` also writes.`;

export function registerOpenApi(app: FastifyInstance, version: string): void {
  app.addHook('onRoute', (route) => {
    if (route.url === '/docs' || route.url.startsWith('/docs/')) route.config = { ...route.config, access: 'public' };
  });
  app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Laneway API', version, description: DESCRIPTION },
      tags: [
        { name: 'lanes', description: 'lanes, their service overrides and expiry' },
        { name: 'services', description: 'services and their stable endpoints' },
        { name: 'settings', description: 'mesh-wide settings' },
        { name: 'operations', description: 'health, readiness and this document' },
        { name: 'propagation', description: 'which services forward the lane, from hop records' },
      ],
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token (role viewer or admin)' } } },
      security: [{ bearer: [] }],
    },
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

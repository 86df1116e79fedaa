// /v1/settings: the lane header, served-by header, entry service, ingress domain and lane TTL defaults.
import type { FastifyInstance } from 'fastify';
import type { Settings } from '../model/types.js';
import { invalidDefinition } from './errors.js';
import { preconditionsOf, setVersionHeader } from './preconditions.js';
import { errorResponses, ref, WRITE_HEADERS } from './schemas.js';
import { assertWritable, definitionFields, settingsView, type ApiContext } from './views.js';

export function registerSettingsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['settings'];
  const config = { objectPath: () => 'settings' };
  app.get('/v1/settings', {
    schema: { tags, summary: 'Get the settings', response: { 200: ref('Settings'), ...errorResponses() } }, config,
  }, async (_request, reply) => {
    const view = settingsView(ctx, ctx.getState().settings);
    setVersionHeader(reply, view.resourceVersion);
    return view;
  });

  app.put<{ Body: Record<string, unknown> }>('/v1/settings', {
    schema: { headers: WRITE_HEADERS, tags, summary: 'Replace the settings (absent headers get their defaults)', body: ref('Settings'), response: { 200: ref('Settings'), ...errorResponses(409, 412, 413, 415) } }, config,
  }, async (request, reply) => {
    const body = request.body;
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidDefinition([{ path: 'settings', reason: 'the body must be a JSON object' }]);
    assertWritable(ctx, 'settings', '');
    const result = await ctx.store.putSettings(definitionFields(body) as unknown as Settings, preconditionsOf(request, 'settings'));
    request.audit = { target: 'settings', resourceVersion: result.meta.resourceVersion, outcome: result.changed ? 'updated' : 'unchanged' };
    setVersionHeader(reply, result.meta.resourceVersion);
    return settingsView(ctx, result.value);
  });
}

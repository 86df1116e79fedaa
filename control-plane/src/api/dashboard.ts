// The dashboard: its static files (built by `npm run build` into dist/ui) at /ui, and the read
// routes it needs beyond the lane API: the lane x service matrix, a lane-change event stream and a
// lane's preview links. Registered as an API plugin, so access control and errors are the API's.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { MeshState } from '../model/types.js';
import type { ProxyStatusRegistry } from '../xds/proxy-status.js';
import { registerLaneWatchRoute } from './lane-watch.js';
import { registerMatrixRoute } from './matrix.js';
import { registerPreviewLinkRoute } from './preview-links.js';
import { errorResponses } from './schemas.js';

export interface DashboardContext {
  getState: () => MeshState;
  status: ProxyStatusRegistry;
  /** The built dashboard; default: dashboardDir(). */
  uiDir?: string;
}

/**
 * dist/ui beside the compiled control plane (dist/control-plane/src/api -> dist/ui), or, when run
 * from source (control-plane/src/api), the repository's dist/ui; LANEWAY_UI_DIR overrides both.
 */
export function dashboardDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LANEWAY_UI_DIR) return env.LANEWAY_UI_DIR;
  const up3 = fileURLToPath(new URL('../../../', import.meta.url));
  return /[\\/]dist[\\/]$/.test(up3) ? join(up3, 'ui') : join(up3, 'dist', 'ui');
}

function registerStaticFiles(app: FastifyInstance, uiDir: string): void {
  if (!existsSync(join(uiDir, 'index.html'))) {
    app.log.warn({ uiDir }, 'dashboard not built: /ui answers 404 (run npm run build)');
    app.get('/ui/*', { schema: { hide: true }, config: { access: 'page' } }, async (_request, reply) =>
      reply.status(404).type('text/plain').send(`the dashboard is not built (no ${uiDir}/index.html): run npm run build`));
    return;
  }
  // Every static route is a page route: anyone with tokens configured, loopback only without.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/ui/')) route.config = { ...route.config, access: 'page' };
  });
  app.get('/ui', { schema: { hide: true }, config: { access: 'page' } }, async (_request, reply) => reply.redirect('/ui/', 302));
  app.register(fastifyStatic, {
    root: uiDir,
    prefix: '/ui/',
    schemaHide: true,
    // The shell must not be cached stale after an upgrade; the bundle's name carries its hash.
    setHeaders: (res, path) => res.header('cache-control', path.endsWith('.html') ? 'no-cache' : 'public, max-age=31536000, immutable'),
  });
}

function registerWhoAmI(app: FastifyInstance): void {
  app.get('/v1/whoami', {
    schema: {
      tags: ['operations'], summary: 'Who the caller is: the token\'s name and role (viewer reads, admin also writes)',
      response: { 200: { type: 'object', properties: { name: { type: 'string' }, role: { type: 'string', enum: ['admin', 'viewer'] } } }, ...errorResponses() },
    },
  }, async (request) => ({ name: request.caller?.name, role: request.caller?.role }));
}

export function registerDashboard(app: FastifyInstance, ctx: DashboardContext): void {
  registerStaticFiles(app, ctx.uiDir ?? dashboardDir());
  registerWhoAmI(app);
  registerMatrixRoute(app, ctx.getState);
  registerLaneWatchRoute(app, ctx.getState);
  registerPreviewLinkRoute(app, ctx, ctx.status);
}

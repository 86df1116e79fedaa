// Who may call what, and a log line for every write naming who did it, to what, and the version
// it made. Without tokens the API answers only clients on this host (loopback).
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './errors.js';
import type { Caller, TokenRegistry } from './tokens.js';

/**
 * public: anyone (health, docs); read: viewer or admin; write: admin. Default: by HTTP method.
 * page: the dashboard's static files, which hold no data: anyone when tokens are configured (the
 * page asks for a token and sends it on every API call), else loopback clients only, as the API.
 */
export type Access = 'public' | 'read' | 'write' | 'page';

export interface WriteAudit {
  /** "lanes/feature-x", "settings" */
  target: string;
  resourceVersion: string;
  outcome: 'created' | 'updated' | 'unchanged' | 'deleted';
}

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    caller?: Caller;
    audit?: WriteAudit;
  }
}

const READ_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const LOCAL_CALLER: Caller = { name: 'local', role: 'admin' };

export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const v4 = address.startsWith('::ffff:') ? address.slice(7) : address;
  return v4.startsWith('127.') || address === '::1';
}

function bearerToken(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  return match?.[1];
}

function unauthenticated(message: string, reason: string): ApiError {
  return new ApiError(401, 'unauthenticated', message, [{ path: 'headers/authorization', reason }]);
}

function identify(request: FastifyRequest, tokens: TokenRegistry | undefined): Caller {
  if (!tokens || tokens.size === 0) {
    if (isLoopback(request.socket.remoteAddress)) return LOCAL_CALLER;
    throw unauthenticated('no API tokens are configured, so the API answers only clients on its own host; configure --tokens-file or LANEWAY_API_TOKENS', 'no tokens are configured');
  }
  const token = bearerToken(request);
  if (token === undefined) throw unauthenticated('this API needs a token: send "Authorization: Bearer <token>"', 'missing bearer token');
  const caller = tokens.find(token);
  if (!caller) throw unauthenticated('the API token is not known', 'unknown token');
  return caller;
}

export function registerAccessControl(app: FastifyInstance, tokens: TokenRegistry | undefined): void {
  app.decorateRequest('caller', undefined);
  app.decorateRequest('audit', undefined);
  app.addHook('onRequest', async (request, reply) => {
    const access = request.routeOptions.config?.access ?? (READ_METHODS.has(request.method) ? 'read' : 'write');
    if (access === 'public' || (access === 'page' && tokens && tokens.size > 0)) return;
    try {
      request.caller = identify(request, tokens);
    } catch (err) {
      reply.header('www-authenticate', 'Bearer realm="laneway"');
      throw err;
    }
    if (access === 'write' && request.caller.role !== 'admin') {
      throw new ApiError(403, 'forbidden', `token "${request.caller.name}" has role ${request.caller.role}, which may only read`, [{ path: 'headers/authorization', reason: 'needs role admin' }]);
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    if (READ_METHODS.has(request.method)) return;
    const fields = {
      who: request.caller?.name ?? 'unauthenticated',
      role: request.caller?.role,
      action: `${request.method} ${request.routeOptions.url ?? request.url.split('?')[0]}`,
      status: reply.statusCode,
    };
    if (reply.statusCode < 400 && request.audit) request.log.info({ ...fields, ...request.audit }, `write ${request.audit.outcome}: ${request.audit.target}`);
    else request.log.info({ ...fields, url: request.url.slice(0, 200) }, 'write refused');
  });
}

// Answers for requests no route takes, in the API's one error shape: 405 with `Allow` when the path
// exists with other methods (OPTIONS: 204 with `Allow`), 404 otherwise; and Fastify's and Node's
// refusals before routing (a path parameter too long: 414, a malformed URL or request: 400).
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, FastifyServerOptions } from 'fastify';
import { ApiError, sendError, type ErrorBody } from './errors.js';

/** The longest path parameter the router reads; longer ones are a 414 (the schemas allow at most 256). */
export const MAX_PARAM_LENGTH = 1024;

interface KnownPath {
  pattern: RegExp;
  method: string;
}

/** "/v1/lanes/:name" -> /^\/v1\/lanes\/[^/]+$/; "*" matches the rest of the path. */
function pathPattern(url: string): RegExp {
  const parts = url.split(/(:[A-Za-z0-9_]+|\*)/).map((part) => {
    if (part === '*') return '.*';
    if (part.startsWith(':')) return '[^/]+';
    return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  });
  return new RegExp(`^${parts.join('')}$`);
}

function allowedMethods(known: KnownPath[], path: string): string[] {
  const methods = new Set(known.filter((k) => k.pattern.test(path)).map((k) => k.method));
  if (methods.size > 0) methods.add('OPTIONS');
  return [...methods].sort();
}

/** 404 for unknown paths, 405 (or 204 for OPTIONS) for known paths asked with another method. */
export function registerUnknownRoutes(app: FastifyInstance): void {
  const known: KnownPath[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) known.push({ pattern: pathPattern(route.url), method });
  });
  // onRequest, before access control and body parsing: the answer depends on the path alone.
  app.addHook('onRequest', async (request, reply) => {
    if (!request.is404) return;
    const path = request.url.split('?')[0]!;
    const allowed = allowedMethods(known, path);
    if (allowed.length === 0) return sendError(reply, new ApiError(404, 'not_found', `no route ${request.method} ${path}`));
    reply.header('allow', allowed.join(', '));
    if (request.method === 'OPTIONS') return reply.status(204).send();
    return sendError(reply, new ApiError(405, 'method_not_allowed', `${request.method} is not allowed on ${path}; allowed: ${allowed.join(', ')}`, [{ path: 'request/method', reason: `must be one of ${allowed.join(', ')}` }]));
  });
}

function frameworkError(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
    sendError(reply, new ApiError(414, 'uri_too_long', `a path parameter is longer than ${MAX_PARAM_LENGTH} characters`, [{ path: 'request/url', reason: `path parameters must be at most ${MAX_PARAM_LENGTH} characters` }]));
    return;
  }
  if (error.code === 'FST_ERR_BAD_URL') {
    sendError(reply, new ApiError(400, 'bad_request', 'the URL is malformed (an invalid percent-encoding)', [{ path: 'request/url', reason: 'is not a valid URL' }]));
    return;
  }
  sendError(reply, new ApiError(500, 'internal', 'internal error; see the control plane log'));
}

/** Requests Node's HTTP parser refuses (no request object exists): written to the socket in our shape. */
function clientError(error: Error & { code?: string }, socket: Socket): void {
  if (!socket.writable) return;
  const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body: ErrorBody = tooLarge
    ? { error: 'bad_request', message: 'the request headers are too large', details: [{ path: 'headers', reason: 'must be at most 16 KiB in all' }] }
    : { error: 'bad_request', message: 'the request is not valid HTTP', details: [{ path: 'request', reason: 'is not valid HTTP/1.1' }] };
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${tooLarge ? 'Request Header Fields Too Large' : 'Bad Request'}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: ${Buffer.byteLength(text)}\r\nconnection: close\r\n\r\n${text}`);
}

/** Fastify constructor options that give its own refusals the API's error shape. */
export const ROUTE_ERROR_OPTIONS: Pick<FastifyServerOptions, 'routerOptions' | 'frameworkErrors' | 'clientErrorHandler'> = {
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
  frameworkErrors: frameworkError,
  clientErrorHandler: clientError,
};

// Optimistic concurrency: every object has a resourceVersion, sent as its ETag; a write carrying
// If-Match (or the resourceVersion it read, in the body) applies only to that version.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Preconditions } from '../sources/store.js';
import { ApiError } from './errors.js';

// An entity tag's characters (RFC 9110 etagc, ASCII only) without the comma that separates the list.
const ETAG_CHARS = '[\\x21\\x23-\\x2b\\x2d-\\x7e]+';
const TAG = `(?:W/)?"${ETAG_CHARS}"|${ETAG_CHARS}`;
/** If-Match: "*", or entity tags ("12", W/"12") or bare versions (12: people type them with curl), comma-separated. */
export const IF_MATCH_SOURCE = `^(?:${TAG})(?:[ \\t]*,[ \\t]*(?:${TAG}))*$`;
const IF_MATCH = new RegExp(IF_MATCH_SOURCE);
const QUOTED = /^(?:W\/)?"(.+)"$/;

/** The versions an If-Match header names ("*" for any); the route's header schema checked its syntax. */
function parseIfMatch(value: string): string[] {
  if (!IF_MATCH.test(value)) {
    throw new ApiError(400, 'bad_request', `if-match: ${JSON.stringify(value.slice(0, 80))} is not a list of entity tags`, [{ path: 'headers/if-match', reason: 'must be "*" or one or more quoted resourceVersions such as "\\"12\\""' }]);
  }
  return value.split(',').map((part) => {
    const tag = part.trim();
    return QUOTED.exec(tag)?.[1] ?? tag;
  });
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The preconditions a write request states: If-Match, If-None-Match: *, or the body's resourceVersion. */
export function preconditionsOf(request: FastifyRequest, objectPath: string): Preconditions {
  const ifMatch = header(request, 'if-match');
  const ifNoneMatch = header(request, 'if-none-match');
  const body = request.body as { resourceVersion?: unknown } | undefined;
  const bodyVersion = typeof body === 'object' && body !== null && typeof body.resourceVersion === 'string' ? body.resourceVersion : undefined;
  const preconditions: Preconditions = {};
  if (ifMatch !== undefined) preconditions.ifMatch = parseIfMatch(ifMatch);
  if (ifNoneMatch !== undefined) {
    if (ifNoneMatch !== '*') {
      throw new ApiError(400, 'bad_request', 'if-none-match: only "*" (create only) is supported on writes', [{ path: 'headers/if-none-match', reason: 'must be "*"' }]);
    }
    preconditions.ifNoneMatch = true;
  }
  if (bodyVersion !== undefined) {
    if (preconditions.ifMatch && !preconditions.ifMatch.includes(bodyVersion) && !preconditions.ifMatch.includes('*')) {
      throw new ApiError(400, 'bad_request', `${objectPath}/resourceVersion: ${JSON.stringify(bodyVersion)} disagrees with If-Match`, [{ path: `${objectPath}/resourceVersion`, reason: `${JSON.stringify(bodyVersion)} disagrees with If-Match ${ifMatch}` }]);
    }
    preconditions.ifMatch ??= [bodyVersion];
  }
  return preconditions;
}

export function setVersionHeader(reply: FastifyReply, resourceVersion: string): void {
  reply.header('etag', `"${resourceVersion}"`);
}

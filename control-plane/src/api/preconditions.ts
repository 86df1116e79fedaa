// Optimistic concurrency: every object has a resourceVersion, sent as its ETag; a write carrying
// If-Match (or the resourceVersion it read, in the body) applies only to that version.
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Preconditions } from '../sources/store.js';
import { ApiError } from './errors.js';

const ENTITY_TAG = /^(?:W\/)?"([^"]*)"$|^([^",\s]+)$/;

function parseTags(header: string, name: string): string[] {
  const tags = header.split(',').map((part) => part.trim()).filter((part) => part !== '');
  if (tags.length === 0) throw new ApiError(400, 'bad_request', `${name} is empty`, [{ path: `headers/${name}`, reason: 'must be "*" or one or more quoted resourceVersions' }]);
  return tags.map((tag) => {
    if (tag === '*') return '*';
    const match = ENTITY_TAG.exec(tag);
    // Bare versions (If-Match: 7) are accepted too: people type them with curl.
    const version = match?.[1] ?? match?.[2];
    if (version === undefined || version === '') {
      throw new ApiError(400, 'bad_request', `${name}: ${JSON.stringify(tag.slice(0, 80))} is not an entity tag`, [{ path: `headers/${name}`, reason: 'must be "*" or one or more quoted resourceVersions such as "\\"12\\""' }]);
    }
    return version;
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
  if (ifMatch !== undefined) preconditions.ifMatch = parseTags(ifMatch, 'if-match');
  if (ifNoneMatch !== undefined) {
    if (parseTags(ifNoneMatch, 'if-none-match').join() !== '*') {
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

// The API's one error shape, {error, message, details}, for our own errors and Fastify's alike:
// bad input is always a 4xx naming what to fix, never a 500.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, describeErrors, NotFoundError, PreconditionFailedError, ValidationError, type FieldError } from '../model/errors.js';
import { StorageError } from '../sources/store-health.js';
import { fieldErrorsFromSchema, type SchemaFailure } from './schema-errors.js';

/** Every `error` code an answer can carry; the OpenAPI document lists them (schemas.ts ERROR_SCHEMA). */
export const ERROR_CODES = [
  'invalid_definition', 'not_found', 'conflict', 'precondition_failed', 'unprocessable', 'unauthenticated', 'forbidden',
  'unsupported_media_type', 'payload_too_large', 'method_not_allowed', 'uri_too_long', 'bad_request', 'not_ready',
  'insufficient_storage', 'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface ErrorBody {
  error: ErrorCode;
  message: string;
  details: FieldError[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly details: FieldError[] = [],
  ) {
    super(message);
  }
}

export function invalidDefinition(errors: FieldError[]): ApiError {
  return new ApiError(400, 'invalid_definition', describeErrors(errors), errors);
}

/**
 * A definition the schemas accept that breaks a rule they cannot state (a reference to a missing
 * object, a fallback cycle, a TTL range, a name differing from the URL's): 422, so that 400 always
 * means "does not match the OpenAPI document".
 */
export function unprocessableDefinition(errors: FieldError[]): ApiError {
  return new ApiError(422, 'invalid_definition', describeErrors(errors), errors);
}

/** The request body as the model object named `name`; the body's own `name`, if any, must agree. */
export function namedBody(body: unknown, collection: 'services' | 'lanes', name: string): Record<string, unknown> {
  const path = `${collection}/${name}`;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalidDefinition([{ path, reason: `the body must be a JSON object, got ${Array.isArray(body) ? 'a list' : JSON.stringify(body) ?? 'nothing'}` }]);
  }
  const given = (body as { name?: unknown }).name;
  if (given !== undefined && given !== name) {
    throw unprocessableDefinition([{ path: `${path}/name`, reason: `${JSON.stringify(given)} does not match the name in the URL "${name}"` }]);
  }
  return { ...body, name };
}

/** Where a route's request parts sit in the model's paths; set by routes as `config.objectPath`. */
export type ObjectPath = (params: Record<string, string>, body: unknown) => string;

declare module 'fastify' {
  interface FastifyContextConfig {
    objectPath?: ObjectPath;
  }
}

function fromSchemaFailure(err: FastifyError, request: FastifyRequest): ApiError {
  const context = err.validationContext ?? 'body';
  const objectPath = request.routeOptions.config?.objectPath?.(request.params as Record<string, string>, request.body);
  const prefix = context === 'querystring' ? 'query' : context === 'headers' ? 'headers' : objectPath ?? context;
  const details = fieldErrorsFromSchema(err.validation as unknown as SchemaFailure[], prefix);
  return new ApiError(400, context === 'body' ? 'invalid_definition' : 'bad_request', describeErrors(details), details);
}

function fromFastify(err: FastifyError, request: FastifyRequest): ApiError | undefined {
  if (err.validation) return fromSchemaFailure(err, request);
  const field = (path: string, reason: string) => [{ path, reason }];
  switch (err.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(415, 'unsupported_media_type', 'content-type must be application/json', field('headers/content-type', 'must be application/json'));
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new ApiError(413, 'payload_too_large', 'the body is larger than 1 MiB', field('body', 'must be at most 1 MiB'));
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new ApiError(400, 'bad_request', 'body: must not be empty when content-type is application/json', field('body', 'must not be empty when content-type is application/json'));
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(400, 'bad_request', 'body: is not valid JSON', field('body', 'is not valid JSON'));
  }
  const status = err.statusCode ?? 500;
  return status >= 400 && status < 500 ? new ApiError(status, 'bad_request', err.message, field('request', err.message)) : undefined;
}

function toApiError(err: unknown, request: FastifyRequest): ApiError | undefined {
  if (err instanceof ApiError) return err;
  if (err instanceof PreconditionFailedError) return new ApiError(412, 'precondition_failed', err.message, [{ path: err.path, reason: err.currentVersion === undefined ? 'does not exist' : `resourceVersion is ${err.currentVersion}` }]);
  // The route's schema passed, so what the model refuses is a rule between fields or objects.
  if (err instanceof ValidationError) return unprocessableDefinition(err.errors);
  if (err instanceof ConflictError) return new ApiError(409, 'conflict', err.message, err.details);
  // 507: the server cannot store what was asked; the message names the data directory and the cause.
  if (err instanceof StorageError) return new ApiError(507, 'insufficient_storage', err.message, [{ path: 'dataDir', reason: err.code }]);
  if (err instanceof NotFoundError) return new ApiError(404, 'not_found', err.message, [{ path: `${err.kind}s/${err.objectName}`, reason: 'does not exist' }]);
  return typeof err === 'object' && err !== null ? fromFastify(err as FastifyError, request) : undefined;
}

export function sendError(reply: FastifyReply, error: ApiError): FastifyReply {
  const body: ErrorBody = { error: error.code, message: error.message, details: error.details };
  return reply.status(error.status).type('application/json').send(body);
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const known = toApiError(err, request);
    if (known) return sendError(reply, known);
    request.log.error({ err }, 'request failed');
    return sendError(reply, new ApiError(500, 'internal', 'internal error; see the control plane log'));
  });
  app.setNotFoundHandler((request, reply) => {
    sendError(reply, new ApiError(404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
}

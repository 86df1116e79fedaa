// One service override of a lane (add, replace or drop it without rewriting the lane), and renew.
import type { FastifyInstance } from 'fastify';
import { NotFoundError } from '../model/errors.js';
import { ApiError } from './errors.js';
import type { LaneBackend } from './lane-backend.js';
import { writeLane } from './lanes.js';
import { planRenewal } from './lane-ttl.js';
import { preconditionsOf } from './preconditions.js';
import { errorResponses, LANE_NAME_SCHEMA, LANE_SCHEMA, laneByName, NAME_SCHEMA, ref, WRITE_HEADERS } from './schemas.js';
import type { ApiContext } from './views.js';

type ByLaneService = { Params: { name: string; service: string } };
type Body = Record<string, unknown>;

const laneProperties = LANE_SCHEMA.properties as Record<string, Record<string, unknown>>;
const OVERRIDE_SCHEMA = {
  type: 'object',
  required: ['endpoints'],
  properties: { endpoints: { ...(laneProperties.services!.additionalProperties as object), description: 'endpoints of the lane\'s instance of the service' } },
  additionalProperties: false,
};
const RENEW_SCHEMA = {
  type: 'object',
  properties: { ttl: { ...laneProperties.ttl, description: 'new TTL from now; default: the lane\'s own ttl, then settings.defaultLaneTtl' } },
  additionalProperties: false,
};
const LANE_SERVICE_PARAMS = { type: 'object', required: ['name', 'service'], properties: { name: LANE_NAME_SCHEMA, service: NAME_SCHEMA } };
const overridePath = (params: Record<string, string>) => `lanes/${params.name}/services/${params.service}`;

function notOverridden(name: string, service: string): ApiError {
  return new ApiError(404, 'not_found', `lane "${name}" does not override service "${service}"`, [{ path: `lanes/${name}/services/${service}`, reason: 'does not exist' }]);
}

export function registerLaneServiceRoutes(app: FastifyInstance, ctx: ApiContext, lanes: LaneBackend): void {
  const tags = ['lanes'];
  app.put<ByLaneService & { Body: { endpoints: unknown } }>('/v1/lanes/:name/services/:service', {
    schema: { headers: WRITE_HEADERS,
      tags, summary: 'Add or replace one service override of a lane (201 when it is new)', params: LANE_SERVICE_PARAMS, body: OVERRIDE_SCHEMA,
      response: { 200: ref('Lane'), 201: ref('Lane'), ...errorResponses(404, 409, 412, 413, 415) },
    },
    config: { objectPath: overridePath },
  }, async (request, reply) => {
    const { name, service } = request.params;
    let added = false as boolean;
    return writeLane(ctx, lanes, request, reply, name, (current) => {
      if (!current) throw new NotFoundError('lane', name);
      added = !Object.hasOwn(current.lane.services, service);
      return { ...current.lane, services: { ...current.lane.services, [service]: request.body.endpoints } };
    }, preconditionsOf(request, `lanes/${name}`), () => (added ? 201 : 200));
  });

  app.delete<ByLaneService>('/v1/lanes/:name/services/:service', {
    schema: { headers: WRITE_HEADERS, tags, summary: 'Drop one service override of a lane', params: LANE_SERVICE_PARAMS, response: { 200: ref('Lane'), ...errorResponses(404, 409, 412) } },
    config: { objectPath: overridePath },
  }, async (request, reply) => {
    const { name, service } = request.params;
    return writeLane(ctx, lanes, request, reply, name, (current) => {
      if (!current) throw new NotFoundError('lane', name);
      if (!Object.hasOwn(current.lane.services, service)) throw notOverridden(name, service);
      const { [service]: _dropped, ...services } = current.lane.services;
      return { ...current.lane, services };
    }, preconditionsOf(request, `lanes/${name}`));
  });

  app.post<{ Params: { name: string }; Body: { ttl?: string } | undefined }>('/v1/lanes/:name/renew', {
    schema: {
      headers: WRITE_HEADERS, operationId: 'renewLane', tags, summary: 'Push a lane\'s expiry to now + ttl', params: laneByName(), body: RENEW_SCHEMA,
      response: { 200: ref('Lane'), ...errorResponses(404, 409, 412, 413, 415, 422) },
    },
    config: { objectPath: (params) => `lanes/${params.name}` },
  }, async (request, reply) => {
    const { name } = request.params;
    return writeLane(ctx, lanes, request, reply, name, (current) => {
      if (!current) throw new NotFoundError('lane', name);
      const had = { ttl: current.ttl, expiresAt: current.lane.expiresAt };
      const renewed = planRenewal(request.body?.ttl, had, ctx.getState().settings, ctx.now().getTime(), `lanes/${name}`);
      return { ...current.lane, ...renewed };
    }, preconditionsOf(request, `lanes/${name}`));
  });
}

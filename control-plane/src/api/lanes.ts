// /v1/lanes: lanes and the service instances they override, over a lane backend (lane-backend.ts:
// the embedded store, or Lane objects in Kubernetes mode). Reads show the served (merged) state
// with the backend's version of each lane; writes go to the backend, whose validation decides.
import { randomInt } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError, PreconditionFailedError } from '../model/errors.js';
import type { Lane } from '../model/types.js';
import { DNS_LABEL } from '../model/patterns.js';
import type { Preconditions } from '../sources/store.js';
import { ApiError, invalidDefinition, namedBody } from './errors.js';
import type { HeldLane, LaneBackend, LaneWrite } from './lane-backend.js';
import { planExpiry } from './lane-ttl.js';
import { applyMergePatch } from './merge-patch.js';
import { preconditionsOf, setVersionHeader } from './preconditions.js';
import { errorResponses, LANE_SCHEMA, laneByName, linksTo, listOf, mergePatchOf, ref, WRITE_HEADERS } from './schemas.js';
import { definitionFields, registeredField, servedObject, type ApiContext, type Versioned } from './views.js';

type ByName = { Params: { name: string } };
type Body = Record<string, unknown>;
type LaneQuery = { Querystring: { owner?: string; label?: string; service?: string } };

/** Stateful clients (and tests) chain a lane write to reading, changing and deleting that lane, at its version. */
const LANE_LINKS = linksTo(['putLane', 'patchLane', 'renewLane', 'deleteLane'], ['getLane', 'getLaneLinks']);
/** The path of a lane being created: its name when the body gives a valid one, as the model would name it. */
function createdLanePath(body: unknown): string {
  const name = (body as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && DNS_LABEL.test(name) ? `lanes/${name}` : 'lanes';
}
const lanePath = (params: Record<string, string>) => `lanes/${params.name}`;
const NAME_PREFIX = { type: 'string', pattern: '^[a-z0-9][-a-z0-9]{0,56}$', description: 'the server appends 5 random letters and digits to make the name' };
const CREATE_SCHEMA = {
  type: 'object',
  description: 'A lane to create; give `name`, or `namePrefix` to have one generated.',
  properties: { ...(LANE_SCHEMA.properties as object), namePrefix: NAME_PREFIX },
  oneOf: [{ required: ['name'] }, { required: ['namePrefix'] }],
  additionalProperties: false,
};

// A term: a key (not empty after spaces are trimmed) and an optional =value; no other '=' or ','.
const LABEL_TERM = ' *[^=, ][^=,]*(?:=[^=,]*)?';
const LIST_QUERY = { type: 'object', additionalProperties: false, properties: {
  owner: { type: 'string', maxLength: 253, description: 'only lanes with this owner' },
  label: { type: 'string', pattern: `^${LABEL_TERM}(?:,${LABEL_TERM})*$`, maxLength: 512, description: 'comma-separated key=value (or key) terms, all of which must match' },
  service: { type: 'string', maxLength: 63, description: 'only lanes that override this service' },
} };

export type LaneView = Versioned<Lane> & { ttl?: string; expiresInSeconds?: number; registered?: Record<string, string[]>; status?: HeldLane['status'] };

/** A lane as its backend holds it, with the seconds it has left (and in Kubernetes mode its forks' status). */
export function laneView(ctx: ApiContext, { lane, ttl, resourceVersion, createdAt, updatedAt, status }: HeldLane): LaneView {
  const view: LaneView = { ...lane, ...registeredField(ctx.registered?.().lanes[lane.name]), ...(ttl && { ttl }), resourceVersion, ...(createdAt && { createdAt }), ...(updatedAt && { updatedAt }), ...(status && { status }) };
  if (lane.expiresAt) view.expiresInSeconds = Math.max(0, Math.floor((Date.parse(lane.expiresAt) - ctx.now().getTime()) / 1000));
  return view;
}

/** Runs a lane write and answers with the lane; `desired` gives the whole requested lane, ttl/expiresAt as asked. */
export async function writeLane(
  ctx: ApiContext,
  lanes: LaneBackend,
  request: FastifyRequest,
  reply: FastifyReply,
  name: string,
  desired: (current: HeldLane | undefined) => Body,
  preconditions: Preconditions,
  status: (result: LaneWrite) => number = (result) => (result.created ? 201 : 200),
) {
  const path = `lanes/${name}`;
  const result = await lanes.update(name, (current) => {
    const { ttl, expiresAt, ...definition } = definitionFields(desired(current));
    const had = current && { ttl: current.ttl, expiresAt: current.lane.expiresAt };
    const expiry = planExpiry({ ttl, expiresAt }, had, ctx.getState().settings, ctx.now().getTime(), path);
    return { lane: { ...definition, name, ...(expiry.expiresAt && { expiresAt: expiry.expiresAt }) }, ...(expiry.ttl && { ttl: expiry.ttl }) };
  }, preconditions);
  const { resourceVersion } = result.held;
  request.audit = { target: path, resourceVersion, outcome: result.created ? 'created' : result.changed ? 'updated' : 'unchanged' };
  setVersionHeader(reply, resourceVersion);
  return reply.status(status(result)).send(laneView(ctx, result.held));
}

function labelSelector(text: string | undefined): Array<[string, string | undefined]> {
  if (text === undefined) return [];
  return text.split(',').map((term) => {
    const [key, value, extra] = term.replace(/^ +| +$/g, '').split('=');
    if (!key || extra !== undefined) throw new ApiError(400, 'bad_request', `query/label: ${JSON.stringify(term)} is not key=value or key`, [{ path: 'query/label', reason: 'must be comma-separated key=value or key terms' }]);
    return [key, value];
  });
}

function matchesQuery(lane: Lane, query: LaneQuery['Querystring'], selector: Array<[string, string | undefined]>): boolean {
  if (query.owner !== undefined && lane.owner !== query.owner) return false;
  if (query.service !== undefined && !Object.hasOwn(lane.services, query.service)) return false;
  const labels = lane.labels ?? {};
  return selector.every(([key, value]) => Object.hasOwn(labels, key) && (value === undefined || labels[key] === value));
}

function generatedName(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return prefix + Array.from({ length: 5 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

async function createLane(ctx: ApiContext, lanes: LaneBackend, request: FastifyRequest<{ Body: Body }>, reply: FastifyReply) {
  const { namePrefix, ...body } = request.body;
  if (typeof body.name === 'string' && namePrefix !== undefined) throw invalidDefinition([{ path: 'lanes/namePrefix', reason: 'give name or namePrefix, not both' }]);
  if (typeof body.name !== 'string' && typeof namePrefix !== 'string') throw invalidDefinition([{ path: 'lanes/name', reason: 'is required (or give namePrefix to have one generated)' }]);
  for (let attempt = 1; ; attempt++) {
    const name = typeof body.name === 'string' ? body.name : generatedName(namePrefix as string);
    try {
      reply.header('location', `/v1/lanes/${name}`);
      return await writeLane(ctx, lanes, request, reply, name, () => body, { ifNoneMatch: true });
    } catch (err) {
      if (!(err instanceof PreconditionFailedError)) throw err;
      if (typeof body.name !== 'string' && attempt < 5) continue;
      throw new ApiError(409, 'conflict', `lane "${name}" already exists; PUT /v1/lanes/${name} replaces it`, [{ path: `lanes/${name}`, reason: 'already exists' }]);
    }
  }
}

function listLanes(ctx: ApiContext, lanes: LaneBackend, query: LaneQuery['Querystring']) {
  const selector = labelSelector(query.label);
  const served = ctx.getState().lanes;
  const matching = Object.keys(served).sort().map((name) => served[name]!).filter((lane) => matchesQuery(lane, query, selector));
  return { items: matching.map((lane) => laneView(ctx, lanes.shown(lane))) };
}

/** JSON Merge Patch of a lane's definition; a TTL or expiry in the patch is applied as on PUT. */
async function patchLane(ctx: ApiContext, lanes: LaneBackend, request: FastifyRequest<ByName & { Body: Body }>, reply: FastifyReply) {
  const { name } = request.params;
  const { ttl, expiresAt, ...patch } = definitionFields(namedBody(request.body, 'lanes', name));
  return writeLane(ctx, lanes, request, reply, name, (current) => {
    if (!current) throw new NotFoundError('lane', name);
    const { expiresAt: _kept, ...definition } = current.lane;
    return { ...(applyMergePatch(definition, patch) as Body), ttl, expiresAt };
  }, preconditionsOf(request, `lanes/${name}`));
}

export function registerLaneRoutes(app: FastifyInstance, ctx: ApiContext, lanes: LaneBackend): void {
  const tags = ['lanes'];
  const one = { params: laneByName(), tags };
  app.get<LaneQuery>('/v1/lanes', {
    schema: {
      tags, summary: 'List lanes (sorted by name), optionally filtered',
      querystring: LIST_QUERY,
      response: { 200: listOf('Lane'), ...errorResponses() },
    },
  }, async (request) => listLanes(ctx, lanes, request.query));

  app.post<{ Body: Body }>('/v1/lanes', {
    links: { 201: LANE_LINKS },
    schema: { operationId: 'createLane', tags, summary: 'Create a lane (409 if the name is taken)', body: CREATE_SCHEMA, response: { 201: ref('Lane'), ...errorResponses(409, 413, 415, 422) } },
    config: { objectPath: (_params, body) => createdLanePath(body) },
  }, (request, reply) => createLane(ctx, lanes, request, reply));

  app.get<ByName>('/v1/lanes/:name', {
    schema: { ...one, operationId: 'getLane', summary: 'Get a lane', response: { 200: ref('Lane'), ...errorResponses(404) } },
    config: { objectPath: lanePath },
  }, async (request, reply) => {
    const view = laneView(ctx, lanes.shown(servedObject(ctx, 'lanes', request.params.name)));
    setVersionHeader(reply, view.resourceVersion);
    return view;
  });

  app.put<ByName & { Body: Body }>('/v1/lanes/:name', {
    links: { 200: LANE_LINKS, 201: LANE_LINKS },
    schema: { headers: WRITE_HEADERS, ...one, operationId: 'putLane', summary: 'Create or replace a lane (If-Match: only that version; If-None-Match: * only create)', body: ref('Lane'), response: { 200: ref('Lane'), 201: ref('Lane'), ...errorResponses(409, 412, 413, 415, 422) } },
    config: { objectPath: lanePath },
  }, async (request, reply) => {
    const { name } = request.params;
    const body = namedBody(request.body, 'lanes', name);
    return writeLane(ctx, lanes, request, reply, name, () => body, preconditionsOf(request, `lanes/${name}`));
  });

  app.patch<ByName & { Body: Body }>('/v1/lanes/:name', {
    links: { 200: LANE_LINKS },
    schema: { headers: WRITE_HEADERS, ...one, operationId: 'patchLane', summary: 'Change some fields of a lane (JSON Merge Patch: null removes a field)', consumes: ['application/merge-patch+json', 'application/json'], body: mergePatchOf(LANE_SCHEMA, 'fields to change; null removes one'), response: { 200: ref('Lane'), ...errorResponses(404, 409, 412, 413, 415, 422) } },
    config: { objectPath: lanePath },
  }, (request, reply) => patchLane(ctx, lanes, request, reply));

  app.delete<ByName>('/v1/lanes/:name', {
    schema: { headers: WRITE_HEADERS, ...one, operationId: 'deleteLane', summary: 'Delete a lane (409 while another lane falls back to it)', response: { 200: ref('Lane'), ...errorResponses(404, 409, 412) } },
    config: { objectPath: lanePath },
  }, async (request) => {
    const { name } = request.params;
    const held = await lanes.delete(name, preconditionsOf(request, `lanes/${name}`));
    request.audit = { target: `lanes/${name}`, resourceVersion: held.resourceVersion, outcome: 'deleted' };
    return laneView(ctx, held);
  });
}

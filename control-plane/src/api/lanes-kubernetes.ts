// /v1/lanes in Kubernetes mode: reads show the served lanes with their Lane object's
// metadata.resourceVersion; writes go to the Lane objects (sources/kubernetes/lane-writer.ts), so
// every replica sees them through its watch. Endpoints come from pods labelled laneway.dev/lane.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ConflictError, NotFoundError, PreconditionFailedError, ValidationError } from '../model/errors.js';
import type { Lane } from '../model/types.js';
import { validateLane } from '../model/validate.js';
import type { KubeLaneWriter } from '../sources/kubernetes/lane-writer.js';
import { laneExpiry, LANE_LABEL, type KubeLane, type LaneSpec } from '../sources/kubernetes/mapping.js';
import type { Preconditions } from '../sources/store.js';
import { ApiError, invalidDefinition, namedBody } from './errors.js';
import { planExpiry } from './lane-ttl.js';
import { CREATE_SCHEMA, generatedName, labelSelector, matchesQuery, type LaneQuery } from './lanes.js';
import { applyMergePatch } from './merge-patch.js';
import { preconditionsOf, setVersionHeader } from './preconditions.js';
import { byName, errorResponses, LANE_SCHEMA, listOf, mergePatchOf, ref, WRITE_HEADERS } from './schemas.js';
import { definitionFields, type ApiContext, type LaneView } from './views.js';

type ByName = { Params: { name: string } };
type Body = Record<string, unknown>;

export interface KubeLaneAccess {
  writer: KubeLaneWriter;
  /** The Lane object as the watch last saw it. */
  laneObject(name: string): KubeLane | undefined;
}

const SPEC_FIELDS = ['fallback', 'owner', 'description', 'fallbackOnUnhealthy'] as const;

/** The Lane's expiry as written (expiresAt), else creation time + ttl. */
function expiryOf(obj: KubeLane): string | undefined {
  return typeof obj.spec?.expiresAt === 'string' ? obj.spec.expiresAt : laneExpiry(obj);
}

/** The lane as the API shows it: the Lane's spec, endpoints from the served state, Kubernetes' resourceVersion. */
function kubeLaneView(ctx: ApiContext, obj: KubeLane, served: Lane | undefined): LaneView {
  const spec = obj.spec ?? {};
  const expiresAt = expiryOf(obj);
  const created = obj.metadata?.creationTimestamp;
  const view: LaneView = {
    name: obj.metadata?.name ?? '',
    ...(spec.fallback !== undefined && spec.fallback !== 'stable' && { fallback: spec.fallback }),
    services: served?.services ?? {},
    ...(spec.owner !== undefined && { owner: spec.owner }),
    ...(spec.description !== undefined && { description: spec.description }),
    ...(expiresAt && { expiresAt }),
    ...(spec.fallbackOnUnhealthy === true && { fallbackOnUnhealthy: true }),
    ...(spec.ttl && { ttl: spec.ttl }),
    resourceVersion: obj.metadata?.resourceVersion ?? '',
    ...(created && { createdAt: new Date(created).toISOString() }),
  };
  if (expiresAt) view.expiresInSeconds = Math.max(0, Math.floor((Date.parse(expiresAt) - ctx.now().getTime()) / 1000));
  return view;
}

function check(path: string, current: KubeLane | undefined, given: Preconditions): void {
  const version = current?.metadata?.resourceVersion;
  if (given.ifNoneMatch && current) throw new PreconditionFailedError(path, `${path} already exists (resourceVersion ${version}); the request asked to create it only`, version);
  const wanted = given.ifMatch;
  if (!wanted || wanted.length === 0) return;
  if (!current) throw new PreconditionFailedError(path, `${path} does not exist, but the request expected resourceVersion ${wanted.join(' or ')}`, undefined);
  if (!wanted.includes('*') && !wanted.includes(version!)) {
    throw new PreconditionFailedError(path, `${path} is at resourceVersion ${version}, not ${wanted.join(' or ')}: it changed since you read it; read it again and retry`, version);
  }
}

/** The Lane spec for a requested lane, checked by the model's validators first. */
function specFor(ctx: ApiContext, name: string, body: Body, current: KubeLane | undefined): LaneSpec {
  const path = `lanes/${name}`;
  const { ttl, expiresAt, services, ...definition } = definitionFields(body);
  if (services !== undefined && services !== null && !(typeof services === 'object' && !Array.isArray(services) && Object.keys(services).length === 0)) {
    throw invalidDefinition([{ path: `${path}/services`, reason: `in Kubernetes mode a lane's endpoints are its pods: label them ${LANE_LABEL}=${name} instead of listing services here` }]);
  }
  if (definition.labels !== undefined && definition.labels !== null) {
    throw invalidDefinition([{ path: `${path}/labels`, reason: 'labels are not stored on Lane objects in Kubernetes mode; use kubectl label lane' }]);
  }
  delete definition.labels;
  const had = current && { ...(current.spec?.ttl && { ttl: current.spec.ttl }), ...(expiryOf(current) && { expiresAt: expiryOf(current) }) };
  const expiry = planExpiry({ ttl, expiresAt }, had, ctx.getState().settings, ctx.now().getTime(), path);
  const checked = validateLane({ ...definition, name, services: {}, ...(expiry.expiresAt && { expiresAt: expiry.expiresAt }) }, path);
  if (!checked.ok) throw new ValidationError(checked.errors);
  const lane = checked.value;
  if (lane.fallback !== undefined && lane.fallback !== name && !Object.hasOwn(ctx.getState().lanes, lane.fallback)) {
    throw invalidDefinition([{ path: `${path}/fallback`, reason: `lane "${lane.fallback}" does not exist` }]);
  }
  const spec: LaneSpec = {};
  for (const field of SPEC_FIELDS) if (lane[field] !== undefined) (spec as Record<string, unknown>)[field] = lane[field];
  if (expiry.ttl) spec.ttl = expiry.ttl;
  if (lane.expiresAt) spec.expiresAt = lane.expiresAt;
  return spec;
}

function sameSpec(a: LaneSpec | undefined, b: LaneSpec): boolean {
  const norm = (s: LaneSpec | undefined) => JSON.stringify(Object.fromEntries(Object.entries(s ?? {}).filter(([k, v]) => !(k === 'fallbackOnUnhealthy' && v === false)).sort()));
  return norm(a) === norm(b);
}

/** Reads the Lane, checks preconditions, writes it; retried on a lost race only when the caller gave no precondition. */
async function writeKubeLane(ctx: ApiContext, kube: KubeLaneAccess, request: FastifyRequest, reply: FastifyReply, name: string, desired: (current: KubeLane | undefined) => Body, preconditions: Preconditions) {
  const path = `lanes/${name}`;
  const unconditional = !preconditions.ifMatch && !preconditions.ifNoneMatch;
  for (let attempt = 1; ; attempt++) {
    const current = await kube.writer.get(name);
    check(path, current, preconditions);
    const spec = specFor(ctx, name, desired(current), current);
    try {
      const unchanged = current !== undefined && sameSpec(current.spec, spec);
      const written = unchanged ? current : current ? await kube.writer.replace(current, spec, current.metadata!.resourceVersion!) : await kube.writer.create(name, spec);
      const outcome = !current ? 'created' : unchanged ? 'unchanged' : 'updated';
      const version = written.metadata?.resourceVersion ?? '';
      request.audit = { target: path, resourceVersion: version, outcome };
      setVersionHeader(reply, version);
      return reply.status(current ? 200 : 201).send(kubeLaneView(ctx, written, ctx.getState().lanes[name]));
    } catch (err) {
      if (!(err instanceof PreconditionFailedError) || !unconditional || attempt >= 3) throw err;
    }
  }
}

function currentDefinition(current: KubeLane): Body {
  const spec = current.spec ?? {};
  return Object.fromEntries(SPEC_FIELDS.filter((f) => spec[f] !== undefined && !(f === 'fallbackOnUnhealthy' && spec[f] === false)).map((f) => [f, spec[f]]));
}

/** Registers /v1/lanes and /v1/lanes/:name backed by Lane objects (instead of registerLaneRoutes). */
export function kubernetesLaneRoutes(kube: KubeLaneAccess) {
  return (app: FastifyInstance, ctx: ApiContext): void => {
    const tags = ['lanes'];
    const one = { params: byName(), tags };
    const lanePath = (params: Record<string, string>) => `lanes/${params.name}`;
    const shown = (name: string): LaneView => {
      const obj = kube.laneObject(name);
      if (!obj) throw new NotFoundError('lane', name);
      return kubeLaneView(ctx, obj, ctx.getState().lanes[name]);
    };

    app.get<LaneQuery>('/v1/lanes', {
      schema: { tags, summary: 'List lanes (sorted by name), optionally filtered', querystring: { type: 'object', additionalProperties: false, properties: { owner: { type: 'string' }, label: { type: 'string' }, service: { type: 'string' } } }, response: { 200: listOf('Lane'), ...errorResponses() } },
    }, async (request) => {
      const selector = labelSelector(request.query.label);
      const lanes = ctx.getState().lanes;
      const items = Object.keys(lanes).sort().map((name) => lanes[name]!).filter((lane) => matchesQuery(lane, request.query, selector));
      return { items: items.flatMap((lane) => (kube.laneObject(lane.name) ? [shown(lane.name)] : [])) };
    });

    app.post<{ Body: Body }>('/v1/lanes', {
      schema: { tags, summary: 'Create a Lane object (409 if the name is taken)', body: CREATE_SCHEMA, response: { 201: ref('Lane'), ...errorResponses(409, 413, 415, 422) } },
      config: { objectPath: () => 'lanes' },
    }, async (request, reply) => {
      const { namePrefix, ...body } = request.body;
      if (typeof body.name === 'string' && namePrefix !== undefined) throw invalidDefinition([{ path: 'lanes/namePrefix', reason: 'give name or namePrefix, not both' }]);
      if (typeof body.name !== 'string' && typeof namePrefix !== 'string') throw invalidDefinition([{ path: 'lanes/name', reason: 'is required (or give namePrefix to have one generated)' }]);
      for (let attempt = 1; ; attempt++) {
        const name = typeof body.name === 'string' ? body.name : generatedName(namePrefix as string);
        try {
          reply.header('location', `/v1/lanes/${name}`);
          return await writeKubeLane(ctx, kube, request, reply, name, () => body, { ifNoneMatch: true });
        } catch (err) {
          if (!(err instanceof PreconditionFailedError)) throw err;
          if (typeof body.name !== 'string' && attempt < 5) continue;
          throw new ApiError(409, 'conflict', `lane "${name}" already exists; PUT /v1/lanes/${name} replaces it`, [{ path: `lanes/${name}`, reason: 'already exists' }]);
        }
      }
    });

    app.get<ByName>('/v1/lanes/:name', {
      schema: { ...one, summary: 'Get a lane (resourceVersion: the Lane object\'s)', response: { 200: ref('Lane'), ...errorResponses(404) } },
      config: { objectPath: lanePath },
    }, async (request, reply) => {
      const view = shown(request.params.name);
      setVersionHeader(reply, view.resourceVersion);
      return view;
    });

    app.put<ByName & { Body: Body }>('/v1/lanes/:name', {
      schema: { headers: WRITE_HEADERS, ...one, summary: 'Create or replace a Lane object (If-Match: only that resourceVersion; If-None-Match: * only create)', body: ref('Lane'), response: { 200: ref('Lane'), 201: ref('Lane'), ...errorResponses(409, 412, 413, 415, 422) } },
      config: { objectPath: lanePath },
    }, async (request, reply) => {
      const { name } = request.params;
      const body = namedBody(request.body, 'lanes', name);
      return writeKubeLane(ctx, kube, request, reply, name, () => body, preconditionsOf(request, `lanes/${name}`));
    });

    app.patch<ByName & { Body: Body }>('/v1/lanes/:name', {
      schema: { headers: WRITE_HEADERS, ...one, summary: 'Change some fields of a Lane object (JSON Merge Patch)', consumes: ['application/merge-patch+json', 'application/json'], body: mergePatchOf(LANE_SCHEMA, 'fields to change; null removes one'), response: { 200: ref('Lane'), ...errorResponses(404, 409, 412, 413, 415, 422) } },
      config: { objectPath: lanePath },
    }, async (request, reply) => {
      const { name } = request.params;
      const { ttl, expiresAt, ...patch } = definitionFields(namedBody(request.body, 'lanes', name));
      return writeKubeLane(ctx, kube, request, reply, name, (current) => {
        if (!current) throw new NotFoundError('lane', name);
        return { ...(applyMergePatch(currentDefinition(current), patch) as Body), ttl, expiresAt };
      }, preconditionsOf(request, `lanes/${name}`));
    });

    app.delete<ByName>('/v1/lanes/:name', {
      schema: { headers: WRITE_HEADERS, ...one, summary: 'Delete a Lane object (409 while another lane falls back to it)', response: { 200: ref('Lane'), ...errorResponses(404, 409, 412) } },
      config: { objectPath: lanePath },
    }, async (request) => {
      const { name } = request.params;
      const current = await kube.writer.get(name);
      if (!current) throw new NotFoundError('lane', name);
      check(`lanes/${name}`, current, preconditionsOf(request, `lanes/${name}`));
      const dependants = Object.values(ctx.getState().lanes).filter((l) => l.fallback === name).map((l) => l.name).sort();
      if (dependants.length > 0) {
        throw new ConflictError(`lane "${name}" is the fallback of ${dependants.map((d) => `"${d}"`).join(', ')}; change their fallback first`, dependants.map((d) => ({ path: `lanes/${d}/fallback`, reason: `lane "${d}" falls back to "${name}"` })));
      }
      const version = current.metadata!.resourceVersion!;
      await kube.writer.delete(name, version);
      request.audit = { target: `lanes/${name}`, resourceVersion: version, outcome: 'deleted' };
      return kubeLaneView(ctx, current, ctx.getState().lanes[name]);
    });
  };
}

// /v1/services: the stable instance of each service. Reads show the served (merged) state; writes
// go to the store, whose validation decides what is accepted.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { NotFoundError } from '../model/errors.js';
import type { Service } from '../model/types.js';
import type { Preconditions, ServiceChange } from '../sources/store.js';
import { namedBody } from './errors.js';
import { applyMergePatch } from './merge-patch.js';
import { preconditionsOf, setVersionHeader } from './preconditions.js';
import { byName, errorResponses, linksTo, listOf, mergePatchOf, ref, SERVICE_SCHEMA, WRITE_HEADERS } from './schemas.js';
import { assertWritable, definitionFields, servedObject, serviceView, type ApiContext } from './views.js';

type ByName = { Params: { name: string } };
type Body = Record<string, unknown>;

const servicePath = (params: Record<string, string>) => `services/${params.name}`;

async function writeService(ctx: ApiContext, request: FastifyRequest, reply: FastifyReply, name: string, change: ServiceChange, preconditions: Preconditions) {
  assertWritable(ctx, 'services', name);
  const result = await ctx.store.updateService(name, change, preconditions);
  request.audit = { target: `services/${name}`, resourceVersion: result.meta.resourceVersion, outcome: result.created ? 'created' : result.changed ? 'updated' : 'unchanged' };
  setVersionHeader(reply, result.meta.resourceVersion);
  return reply.status(result.created ? 201 : 200).send(serviceView(ctx, result.value));
}

export function registerServiceRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const tags = ['services'];
  const one = { params: byName(), tags };
  const config = { objectPath: servicePath };
  // Stateful clients (and tests) chain a service's creation (PUT) to reading, changing and deleting it, at its version.
  const links = linksTo(['patchService', 'deleteService'], ['getService']);

  app.get('/v1/services', {
    links: { 200: linksTo(['patchService', 'deleteService'], ['getService'], '#/items/0/name') },
    schema: { tags, summary: 'List services (sorted by name)', response: { 200: listOf('Service'), ...errorResponses() } },
  }, async () => {
    const services = ctx.getState().services;
    return { items: Object.keys(services).sort().map((name) => serviceView(ctx, services[name]!)) };
  });

  app.get<ByName>('/v1/services/:name', {
    schema: { ...one, operationId: 'getService', summary: 'Get a service', response: { 200: ref('Service'), ...errorResponses(404) } }, config,
  }, async (request, reply) => {
    const view = serviceView(ctx, servedObject(ctx, 'services', request.params.name));
    setVersionHeader(reply, view.resourceVersion);
    return view;
  });

  app.put<ByName & { Body: Body }>('/v1/services/:name', {
    links: { 200: links, 201: links },
    schema: { headers: WRITE_HEADERS, ...one, operationId: 'putService', summary: 'Create or replace a service (If-Match: only that version; If-None-Match: * only create)', body: ref('Service'), response: { 200: ref('Service'), 201: ref('Service'), ...errorResponses(409, 412, 413, 415) } }, config,
  }, async (request, reply) => {
    const { name } = request.params;
    const service = definitionFields(namedBody(request.body, 'services', name));
    return writeService(ctx, request, reply, name, () => service, preconditionsOf(request, `services/${name}`));
  });

  app.patch<ByName & { Body: Body }>('/v1/services/:name', {
    links: { 200: links },
    schema: { headers: WRITE_HEADERS, ...one, operationId: 'patchService', summary: 'Change some fields of a service (JSON Merge Patch)', consumes: ['application/merge-patch+json', 'application/json'], body: mergePatchOf(SERVICE_SCHEMA, 'fields to change; null removes one'), response: { 200: ref('Service'), ...errorResponses(404, 409, 412, 413, 415) } }, config,
  }, async (request, reply) => {
    const { name } = request.params;
    const patch = definitionFields(namedBody(request.body, 'services', name));
    return writeService(ctx, request, reply, name, (current) => {
      if (!current) throw new NotFoundError('service', name);
      return applyMergePatch(current.value, patch) as Service;
    }, preconditionsOf(request, `services/${name}`));
  });

  app.delete<ByName>('/v1/services/:name', {
    schema: { headers: WRITE_HEADERS, ...one, operationId: 'deleteService', summary: 'Delete a service (409 while a lane overrides it or it is the entry service)', response: { 200: ref('Service'), ...errorResponses(404, 409, 412) } }, config,
  }, async (request) => {
    const { name } = request.params;
    assertWritable(ctx, 'services', name);
    const { value, meta } = await ctx.store.deleteService(name, preconditionsOf(request, `services/${name}`));
    request.audit = { target: `services/${name}`, resourceVersion: meta.resourceVersion, outcome: 'deleted' };
    return { ...value, resourceVersion: meta.resourceVersion, createdAt: meta.createdAt, updatedAt: meta.updatedAt };
  });
}

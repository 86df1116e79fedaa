// /v1/services: the stable instance of each service. Reads show the served (merged) state; writes
// go to the store, whose validation decides what is accepted.
import type { FastifyInstance } from 'fastify';
import type { Service } from '../model/types.js';
import { ApiError, namedBody } from './errors.js';
import type { ApiContext } from './server.js';

type ByName = { Params: { name: string } };

export function registerServiceRoutes(app: FastifyInstance, { store, getState }: ApiContext): void {
  app.get('/v1/services', async () => {
    const services = getState().services;
    return { items: Object.keys(services).sort().map((name) => services[name]) };
  });

  app.get<ByName>('/v1/services/:name', async (request) => {
    const { services } = getState();
    const { name } = request.params;
    if (!Object.hasOwn(services, name)) throw new ApiError(404, 'not_found', `service "${name}" does not exist`, [{ path: `services/${name}`, reason: 'does not exist' }]);
    return services[name];
  });

  app.put<ByName>('/v1/services/:name', async (request, reply) => {
    const service = namedBody(request.body, 'services', request.params.name) as unknown as Service;
    const { value, created } = await store.putService(service);
    return reply.status(created ? 201 : 200).send(value);
  });

  app.delete<ByName>('/v1/services/:name', async (request) => store.deleteService(request.params.name));
}

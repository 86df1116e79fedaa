// /v1/lanes: lanes and the service instances they override. Reads show the served (merged) state;
// writes go to the store, whose validation decides what is accepted.
import type { FastifyInstance } from 'fastify';
import type { Lane } from '../model/types.js';
import { ApiError, namedBody } from './errors.js';
import type { ApiContext } from './server.js';

type ByName = { Params: { name: string } };

export function registerLaneRoutes(app: FastifyInstance, { store, getState }: ApiContext): void {
  app.get('/v1/lanes', async () => {
    const lanes = getState().lanes;
    return { items: Object.keys(lanes).sort().map((name) => lanes[name]) };
  });

  app.get<ByName>('/v1/lanes/:name', async (request) => {
    const { lanes } = getState();
    const { name } = request.params;
    if (!Object.hasOwn(lanes, name)) throw new ApiError(404, 'not_found', `lane "${name}" does not exist`, [{ path: `lanes/${name}`, reason: 'does not exist' }]);
    return lanes[name];
  });

  app.put<ByName>('/v1/lanes/:name', async (request, reply) => {
    const lane = namedBody(request.body, 'lanes', request.params.name) as unknown as Lane;
    const { value, created } = await store.putLane(lane);
    return reply.status(created ? 201 : 200).send(value);
  });

  app.delete<ByName>('/v1/lanes/:name', async (request) => store.deleteLane(request.params.name));
}

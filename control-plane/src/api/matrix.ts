// GET /v1/matrix: for a page of lanes and every (filtered) service, which instance serves a call in
// that lane after fallback resolution. Paged and filtered on the server, so a page of 1,000 lanes x
// 200 services costs one page of cells, not the whole grid.
import type { FastifyInstance } from 'fastify';
import { resolveLane } from '../model/resolve.js';
import { STABLE, type Lane, type MeshState } from '../model/types.js';
import { errorResponses } from './schemas.js';

/** own: the lane's own instance; inherited: a lane up its fallback chain; stable: no lane in the chain has one. */
export type CellKind = 'own' | 'inherited' | 'stable';

export interface MatrixCell {
  kind: CellKind;
  /** The lane whose instance serves, or "stable". */
  instance: string;
  /** The serving lane sends to stable when every endpoint of its instance is unhealthy (fallbackOnUnhealthy). */
  healthFallback?: true;
}

export interface MatrixRow {
  lane: string;
  owner?: string;
  cells: MatrixCell[];
}

export interface MatrixPage {
  services: string[];
  rows: MatrixRow[];
  /** Lanes matching the filter (rows are a page of them). */
  total: number;
  offset: number;
  limit: number;
}

export interface MatrixQuery {
  offset?: number;
  limit?: number;
  /** Substring of the lane name. */
  lane?: string | undefined;
  /** Substring of the service name. */
  service?: string | undefined;
  owner?: string | undefined;
}

export const MATRIX_MAX_LIMIT = 500;
const DEFAULT_LIMIT = 50;

export function matrixCell(state: MeshState, lane: string, service: string): MatrixCell {
  const resolution = resolveLane(state, service, lane);
  if (resolution.lane === STABLE) return { kind: 'stable', instance: STABLE };
  const kind: CellKind = resolution.lane === lane ? 'own' : 'inherited';
  return { kind, instance: resolution.lane, ...(state.lanes[resolution.lane]?.fallbackOnUnhealthy && { healthFallback: true as const }) };
}

function laneMatches(lane: Lane, query: MatrixQuery): boolean {
  if (query.lane && !lane.name.includes(query.lane)) return false;
  return query.owner === undefined || query.owner === '' || lane.owner === query.owner;
}

export function matrixPage(state: MeshState, query: MatrixQuery): MatrixPage {
  const offset = query.offset ?? 0;
  const limit = Math.min(query.limit ?? DEFAULT_LIMIT, MATRIX_MAX_LIMIT);
  const services = Object.keys(state.services).sort().filter((s) => !query.service || s.includes(query.service));
  const lanes = Object.keys(state.lanes).sort().map((n) => state.lanes[n]!).filter((l) => laneMatches(l, query));
  const rows = lanes.slice(offset, offset + limit).map((lane) => ({
    lane: lane.name,
    ...(lane.owner !== undefined && { owner: lane.owner }),
    cells: services.map((service) => matrixCell(state, lane.name, service)),
  }));
  return { services, rows, total: lanes.length, offset, limit };
}

const CELL = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['own', 'inherited', 'stable'] },
    instance: { type: 'string', description: 'the lane whose instance serves, or "stable"' },
    healthFallback: { type: 'boolean', description: 'the serving lane falls back to stable when its instance is unhealthy' },
  },
};

export function registerMatrixRoute(app: FastifyInstance, getState: () => MeshState): void {
  app.get<{ Querystring: Record<keyof MatrixQuery, string | undefined> }>('/v1/matrix', {
    schema: {
      tags: ['lanes'],
      summary: 'Which instance serves each service in each lane after fallback (a page of lanes)',
      querystring: {
        type: 'object', additionalProperties: false,
        properties: {
          offset: { type: 'string', pattern: '^[0-9]{1,7}$', description: 'first lane of the page (lanes sorted by name)' },
          limit: { type: 'string', pattern: '^[0-9]{1,4}$', description: `lanes per page (default ${DEFAULT_LIMIT}, at most ${MATRIX_MAX_LIMIT})` },
          lane: { type: 'string', maxLength: 63, description: 'only lanes whose name contains this' },
          service: { type: 'string', maxLength: 63, description: 'only services whose name contains this' },
          owner: { type: 'string', maxLength: 256, description: 'only lanes with this owner' },
        },
      },
      response: {
        200: {
          type: 'object',
          properties: {
            services: { type: 'array', items: { type: 'string' } },
            rows: { type: 'array', items: { type: 'object', properties: { lane: { type: 'string' }, owner: { type: 'string' }, cells: { type: 'array', items: CELL } } } },
            total: { type: 'integer' }, offset: { type: 'integer' }, limit: { type: 'integer' },
          },
        },
        ...errorResponses(),
      },
    },
  }, async (request) => {
    const { offset, limit, ...filters } = request.query;
    return matrixPage(getState(), { ...filters, offset: Number(offset ?? 0), limit: Math.max(1, Number(limit ?? DEFAULT_LIMIT)) });
  });
}

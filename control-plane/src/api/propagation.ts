// GET /v1/propagation: per service, whether it forwards the lane (ok), drops it (named by a trace),
// likely drops it (by volume) or has no data yet; each problem with its evidence and advice.
import type { FastifyInstance } from 'fastify';
import type { PropagationView } from '../observe/view.js';
import { errorResponses } from './schemas.js';

const COUNTS = { type: 'object', additionalProperties: { type: 'integer' } };

const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['rule', 'lane', 'instances', 'requests', 'exampleTraces', 'advice'],
  properties: {
    rule: { type: 'string', enum: ['trace', 'volume'], description: 'trace: seen dropping the lane within one trace; volume: received requests in the lane and sent none with it' },
    lane: { type: 'string' },
    instances: { type: 'array', items: { type: 'object', required: ['nodeId'], properties: { nodeId: { type: 'string' }, lane: { type: 'string', description: 'the instance\'s own lane' } } } },
    requests: { type: 'integer', description: 'trace: requests sent without the lane; volume: requests received in the lane' },
    exampleTraces: { type: 'array', items: { type: 'string', description: 'W3C trace id' } },
    firstSeen: { type: 'string', format: 'date-time' },
    lastSeen: { type: 'string', format: 'date-time' },
    advice: { type: 'string', description: 'what is wrong and what to fix, in one line' },
  },
};

const SERVICE_SCHEMA = {
  type: 'object',
  required: ['service', 'status', 'received', 'sent', 'problems'],
  properties: {
    service: { type: 'string' },
    status: { type: 'string', enum: ['ok', 'drops-lane', 'likely-drops-lane', 'no-data'] },
    received: { type: 'object', properties: { inLanes: COUNTS, withoutLane: { type: 'integer' } }, description: 'requests sent to the service in the window, by lane' },
    sent: { type: 'object', properties: { withLane: COUNTS, withoutLane: { type: 'integer' } }, description: 'requests its sidecars sent in the window, by lane' },
    problems: { type: 'array', items: PROBLEM_SCHEMA },
  },
};

export const PROPAGATION_SCHEMA = {
  type: 'object',
  required: ['hopRecords', 'windowSeconds', 'records', 'services'],
  properties: {
    hopRecords: { type: 'boolean', description: 'settings.hopRecords: whether proxies are told to send hop records' },
    windowSeconds: { type: 'integer', description: 'the window the volume rule and the counts cover' },
    records: {
      type: 'object',
      description: 'hop records received since the start: used, ignored (not a routed request), and rejected by reason (malformed, no_node, unknown_proxy, over_limit: over a proxy\'s rate)',
      properties: {
        used: { type: 'integer' }, ignored: { type: 'integer' }, rejected: COUNTS,
        capped: { type: 'integer', description: 'used records a bound of the analysis left out (services, lanes or findings tracked)' },
        indexedTraces: { type: 'integer', description: 'traces waiting to be judged (at most 20,000)' },
      },
    },
    services: { type: 'array', items: SERVICE_SCHEMA },
  },
};

export function registerPropagationRoutes(app: FastifyInstance, view: () => PropagationView): void {
  app.get('/v1/propagation', {
    schema: {
      tags: ['propagation'],
      summary: 'Which services forward the lane, from hop records (settings.hopRecords)',
      response: { 200: PROPAGATION_SCHEMA, ...errorResponses() },
    },
  }, async () => view());
}

// Hop records end to end: the AccessLogService sink (observe/hop-intake.ts) feeding the
// propagation analysis, GET /v1/propagation, and a Prometheus gauge per service. One call from
// control-plane.ts.
import type { FastifyInstance } from 'fastify';
import { Gauge, type Registry } from 'prom-client';
import type { DebugContext } from '../api/debug-routes.js';
import { registerPropagationRoutes } from '../api/propagation.js';
import type { MeshState } from '../model/types.js';
import { HopIntake } from '../observe/hop-intake.js';
import { DEFAULT_PROPAGATION_LIMITS, PropagationAnalysis, type PropagationStatus } from '../observe/propagation.js';
import { propagationView, type PropagationView } from '../observe/view.js';

const STATUSES: PropagationStatus[] = ['ok', 'drops-lane', 'likely-drops-lane', 'no-data'];
const HOP_OUTCOMES = ['used', 'ignored'] as const;

export interface PropagationWiring {
  intake: HopIntake;
  view(): PropagationView;
  /** One line per service seen dropping `lane` (for laneway explain). */
  laneWarnings(lane: string): string[];
  /** Registers GET /v1/propagation: pass it in buildApi's plugins. */
  plugin: (app: FastifyInstance) => void;
  /** Adds the gauges to the registry /metrics serves. */
  registerMetrics(registry: Registry): void;
  /** Into the debugging context: the gauges on its registry, and warnings for laneway explain. */
  attach(debug: DebugContext): void;
}

export function wirePropagation(getState: () => MeshState, now: () => number = Date.now): PropagationWiring {
  const limits = DEFAULT_PROPAGATION_LIMITS;
  const analysis = new PropagationAnalysis(limits);
  const intake = new HopIntake(analysis, () => {
    const { laneHeader, servedByHeader } = getState().settings;
    return { laneHeader: laneHeader.toLowerCase(), servedByHeader: servedByHeader.toLowerCase() };
  }, now);
  const windowSeconds = (limits.volume.bucketMs * limits.volume.buckets) / 1000;
  const view = () => propagationView(getState(), analysis, intake, windowSeconds, now());
  const wiring: PropagationWiring = {
    intake,
    view,
    laneWarnings: (lane) => view().services.flatMap((s) => s.problems.filter((p) => p.lane === lane).map((p) => `${s.service} ${p.rule === 'trace' ? 'drops' : 'likely drops'} lane ${lane}: requests in ${lane} that pass through it reach later services without their lane (laneway doctor: ${p.advice})`)),
    plugin: (app) => registerPropagationRoutes(app, view),
    registerMetrics(registry) {
      new Gauge({
        name: 'laneway_propagation_status',
        help: 'per service, 1 for its lane propagation status (ok, drops-lane, likely-drops-lane, no-data) from hop records',
        labelNames: ['service', 'status'],
        registers: [registry],
        collect() {
          this.reset();
          for (const s of view().services) for (const status of STATUSES) this.set({ service: s.service, status }, s.status === status ? 1 : 0);
        },
      });
      new Gauge({
        name: 'laneway_hop_records',
        help: 'hop records received since the start, by outcome (used, ignored, or the reason they were rejected)',
        labelNames: ['outcome'],
        registers: [registry],
        collect() {
          const { records } = view();
          for (const outcome of HOP_OUTCOMES) this.set({ outcome }, records[outcome]);
          for (const [reason, n] of Object.entries(records.rejected)) this.set({ outcome: reason }, n);
          this.set({ outcome: 'capped' }, records.capped);
        },
      });
    },
    attach(debug) {
      if (debug.metrics) wiring.registerMetrics(debug.metrics);
      debug.laneWarnings = wiring.laneWarnings;
    },
  };
  return wiring;
}

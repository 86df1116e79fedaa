// What GET /v1/propagation, `laneway doctor` and the metrics show: the analysis' report over the
// model's services plus the intake's counts.
import type { MeshState } from '../model/types.js';
import type { HopCounts, HopIntake } from './hop-intake.js';
import type { PropagationAnalysis, ServicePropagation } from './propagation.js';

export interface PropagationView {
  hopRecords: boolean;
  windowSeconds: number;
  records: HopCounts & { capped: number; indexedTraces: number };
  services: ServicePropagation[];
}

export function propagationView(state: MeshState, analysis: PropagationAnalysis, intake: HopIntake, windowSeconds: number, now: number): PropagationView {
  const services = analysis.report(Object.keys(state.services), now, state.settings.laneHeader.toLowerCase());
  const { used, ignored, rejected } = intake.counts;
  return {
    hopRecords: state.settings.hopRecords === true,
    windowSeconds,
    records: { used, ignored, rejected: { ...rejected }, capped: analysis.overLimit, indexedTraces: analysis.indexedTraces },
    services,
  };
}

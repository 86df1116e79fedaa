// The webhook's counters and the uninjected-pod gauge, created unregistered: the control plane adds
// them to its /metrics registry (runtime/metrics.ts) when the webhook or Kubernetes mode is on.
import { Counter, Gauge } from 'prom-client';
import type { AdmissionOutcome } from './admission.js';

export interface InjectionMetrics {
  admissions: Counter;
  uninjected: Gauge;
  count(outcome: AdmissionOutcome): void;
}

export function injectionMetrics(): InjectionMetrics {
  const admissions = new Counter({
    name: 'laneway_webhook_admissions_total',
    help: 'admission reviews answered by the sidecar injector: result injected, skipped (reason says why) or error (bad request)',
    labelNames: ['result', 'reason'],
    registers: [],
  });
  const uninjected = new Gauge({
    name: 'laneway_pods_uninjected',
    help: 'pods in the watched namespace that opted into injection but run without the sidecar, by reason (webhook-not-called: the webhook was down or not configured when the pod was created)',
    labelNames: ['reason'],
    registers: [],
  });
  admissions.inc({ result: 'injected', reason: '' }, 0);
  uninjected.set({ reason: 'webhook-not-called' }, 0);
  return {
    admissions,
    uninjected,
    count: (o) => admissions.inc({ result: o.result, reason: o.result === 'injected' ? '' : o.reason }),
  };
}

// Pods that asked for the sidecar but run without it: with failurePolicy Ignore, a webhook that was
// down when a pod was created lets the pod in as it is. The Kubernetes source sees every pod of its
// namespace; this names those the injection would have patched, and why they were not.
import { injectionDecision, LANE_LABEL, type InjectablePod, type NamespaceInfo } from './decision.js';

export interface UninjectedPod {
  pod: string;
  /** The pod's laneway.dev/lane label, or "stable". */
  lane: string;
  /** webhook-not-called: injection would patch it, so the API server did not call the webhook (down, or not configured). */
  reason: 'webhook-not-called' | 'invalid-annotation' | 'host-network' | 'no-service-name' | 'invalid-name';
  message: string;
}

export interface ObservedPod extends InjectablePod {
  metadata?: InjectablePod['metadata'] & { deletionTimestamp?: unknown };
  status?: { phase?: string };
}

const OPTED_IN_SKIPS = new Set(['invalid-annotation', 'host-network', 'no-service-name', 'invalid-name']);

/** Sorted by pod name. */
export function uninjectedPods(pods: readonly ObservedPod[], namespace: NamespaceInfo): UninjectedPod[] {
  const out: UninjectedPod[] = [];
  for (const pod of pods) {
    if (pod.metadata?.deletionTimestamp || pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') continue;
    const decision = injectionDecision(pod, namespace);
    const name = pod.metadata?.name ?? '';
    const lane = pod.metadata?.labels?.[LANE_LABEL] || 'stable';
    if (decision.inject) out.push({ pod: name, lane, reason: 'webhook-not-called', message: 'opted in, created without the sidecar: the webhook was not reachable or not configured then; recreate the pod' });
    else if (OPTED_IN_SKIPS.has(decision.reason)) out.push({ pod: name, lane, reason: decision.reason as UninjectedPod['reason'], message: decision.message });
  }
  return out.sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}

// One AdmissionReview (admission.k8s.io/v1) in, one answer out: pure. Anything that is not a Pod
// being created is allowed untouched; a body that is not an AdmissionReview is a 400 (with
// failurePolicy Ignore the API server then admits the pod as it is).
import { injectionDecision, INJECT_NAMESPACE_LABEL, type InjectablePod, type SkipReason } from './decision.js';
import { injectionPatch } from './patch.js';
import type { InjectionSettings } from './settings.js';

export type AdmissionOutcome =
  | { result: 'injected'; namespace: string; pod: string; service: string; lane: string; capture: boolean }
  | { result: 'skipped'; reason: SkipReason | 'not-a-pod-create'; message: string; namespace: string; pod: string }
  | { result: 'error'; reason: 'bad-request'; message: string };

export interface AdmissionAnswer {
  status: number;
  body: unknown;
  outcome: AdmissionOutcome;
}

interface AdmissionRequest {
  uid: string;
  kind?: { group?: string; version?: string; kind?: string };
  resource?: { group?: string; resource?: string };
  subResource?: string;
  operation?: string;
  namespace?: string;
  name?: string;
  object?: unknown;
}

// Opted-in-but-refused pods get a warning the user sees in kubectl; pods that never asked get none.
const WARN_REASONS: ReadonlySet<string> = new Set(['invalid-annotation', 'host-network', 'no-service-name', 'invalid-name']);

function badRequest(message: string): AdmissionAnswer {
  return { status: 400, body: { error: 'bad_request', message }, outcome: { result: 'error', reason: 'bad-request', message } };
}

function requestOf(review: unknown): AdmissionRequest | string {
  if (typeof review !== 'object' || review === null || Array.isArray(review)) return 'the body is not a JSON object';
  const { apiVersion, kind, request } = review as Record<string, unknown>;
  if (kind !== 'AdmissionReview' || apiVersion !== 'admission.k8s.io/v1') return `expected kind AdmissionReview, apiVersion admission.k8s.io/v1; got kind ${JSON.stringify(kind)}, apiVersion ${JSON.stringify(apiVersion)}`;
  if (typeof request !== 'object' || request === null) return 'request: missing';
  const uid = (request as { uid?: unknown }).uid;
  if (typeof uid !== 'string' || uid === '') return 'request.uid: missing';
  return request as AdmissionRequest;
}

function isPodCreate(request: AdmissionRequest): boolean {
  const { kind, resource } = request;
  return request.operation === 'CREATE' && !request.subResource && kind?.kind === 'Pod' && (kind.group ?? '') === '' && (resource?.resource ?? 'pods') === 'pods'
    && typeof request.object === 'object' && request.object !== null && !Array.isArray(request.object);
}

const isRecord = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v);
const stringMap = (v: unknown) => v === undefined || (isRecord(v) && Object.values(v as object).every((x) => typeof x === 'string'));
const containerList = (v: unknown) => v === undefined || (Array.isArray(v) && v.every((c) => isRecord(c) && typeof c.name === 'string'));

/** The API server sends typed Pods; anyone else may send anything: check what injection reads. */
function podShapeError(pod: InjectablePod): string | undefined {
  const { metadata, spec } = pod as { metadata?: Record<string, unknown>; spec?: Record<string, unknown> };
  if (metadata !== undefined && !isRecord(metadata)) return 'metadata is not an object';
  if (spec !== undefined && !isRecord(spec)) return 'spec is not an object';
  if (!stringMap(metadata?.labels) || !stringMap(metadata?.annotations)) return 'metadata.labels and metadata.annotations must map strings to strings';
  if (!containerList(spec?.containers) || !containerList(spec?.initContainers)) return 'spec.containers and spec.initContainers must be lists of containers with names';
  if (spec?.volumes !== undefined && !Array.isArray(spec.volumes)) return 'spec.volumes is not a list';
  return undefined;
}

function reviewAnswer(uid: string, extra: Record<string, unknown>): unknown {
  return { apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response: { uid, allowed: true, ...extra } };
}

function podName(request: AdmissionRequest, pod: InjectablePod): string {
  return request.name || pod.metadata?.name || `${pod.metadata?.generateName ?? ''}*`;
}

/**
 * Answers `review`. `namespaceOptedIn`: the API server called the entry of the
 * MutatingWebhookConfiguration whose namespaceSelector matches laneway.dev/inject=enabled (the
 * review carries no namespace labels, and reading them would cost an API call per pod).
 */
export function answerAdmission(review: unknown, namespaceOptedIn: boolean, settings: InjectionSettings): AdmissionAnswer {
  const request = requestOf(review);
  if (typeof request === 'string') return badRequest(request);
  const namespace = request.namespace ?? '';
  if (!isPodCreate(request)) {
    const what = `${request.operation ?? '?'} ${request.kind?.kind ?? '?'}${request.subResource ? `/${request.subResource}` : ''}`;
    return { status: 200, body: reviewAnswer(request.uid, {}), outcome: { result: 'skipped', reason: 'not-a-pod-create', message: `only pod creation is injected, not ${what}`, namespace, pod: request.name ?? '' } };
  }
  const pod = request.object as InjectablePod;
  const shape = podShapeError(pod);
  if (shape) return badRequest(`request.object: ${shape}`);
  const name = podName(request, pod);
  const decision = injectionDecision(pod, { name: namespace, labels: namespaceOptedIn ? { [INJECT_NAMESPACE_LABEL]: 'enabled' } : {} });
  if (!decision.inject) {
    const why = { auditAnnotations: { injection: `skipped: ${decision.reason}` }, ...(WARN_REASONS.has(decision.reason) && { warnings: [`laneway: sidecar not injected: ${decision.message}`] }) };
    return { status: 200, body: reviewAnswer(request.uid, why), outcome: { result: 'skipped', reason: decision.reason, message: decision.message, namespace, pod: name } };
  }
  const patch = Buffer.from(JSON.stringify(injectionPatch(pod, decision, settings))).toString('base64');
  return {
    status: 200,
    body: reviewAnswer(request.uid, { patchType: 'JSONPatch', patch, auditAnnotations: { injection: 'injected' } }),
    outcome: { result: 'injected', namespace, pod: name, service: decision.service, lane: decision.lane, capture: decision.capture },
  };
}

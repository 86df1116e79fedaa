import { DNS_LABEL } from '../model/validate.js';

// Whether a pod gets the sidecar, and why not: pure, so the webhook, the uninjected-pod count and
// the tests all decide the same way. Order matters: the first rule that applies names the reason.

export const INJECT_NAMESPACE_LABEL = 'laneway.dev/inject';
export const INJECT_ANNOTATION = 'laneway.dev/inject';
export const CAPTURE_ANNOTATION = 'laneway.dev/capture';
export const SERVICE_ANNOTATION = 'laneway.dev/service';
export const INJECTED_ANNOTATION = 'laneway.dev/injected';
export const EXCLUDE_PORTS_ANNOTATION = 'laneway.dev/exclude-outbound-ports';
export const EXCLUDE_CIDRS_ANNOTATION = 'laneway.dev/exclude-outbound-cidrs';
export const LANE_LABEL = 'laneway.dev/lane';
/** The control plane's own pods carry this label value (deploy/kubernetes/control-plane.yaml). */
export const CONTROL_PLANE_LABEL = 'app.kubernetes.io/name';
export const CONTROL_PLANE_NAME = 'laneway';
export const PROXY_CONTAINER = 'laneway-proxy';
export const CAPTURE_CONTAINER = 'laneway-capture';
export const SYSTEM_NAMESPACES: readonly string[] = ['kube-system', 'kube-public', 'kube-node-lease'];

export interface PodContainer {
  name: string;
  [field: string]: unknown;
}

/** The parts of a Pod injection reads (and patches). */
export interface InjectablePod {
  metadata?: { name?: string; generateName?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: { containers?: PodContainer[]; initContainers?: PodContainer[]; volumes?: Array<{ name: string }>; hostNetwork?: boolean };
}

export interface NamespaceInfo {
  name: string;
  labels: Record<string, string>;
}

export type SkipReason =
  | 'system-namespace'
  | 'control-plane-pod'
  | 'already-injected'
  | 'pod-opted-out'
  | 'not-opted-in'
  | 'invalid-annotation'
  | 'host-network'
  | 'no-service-name'
  | 'invalid-name';

export interface Injection {
  inject: true;
  service: string;
  lane: string;
  capture: boolean;
  excludePorts: string;
  excludeCidrs: string;
  /** "namespace" (label on the namespace) or "pod" (annotation). */
  optedInBy: 'namespace' | 'pod';
}

export interface Skip {
  inject: false;
  reason: SkipReason;
  message: string;
}

export type InjectionDecision = Injection | Skip;

const skip = (reason: SkipReason, message: string): Skip => ({ inject: false, reason, message });

const PORT_LIST = /^\d{1,5}(,\d{1,5})*$/;
/** IPv4 only, as the capture script (deploy/capture/laneway-capture.sh) installs IPv4 rules and exits on anything else. */
function isCidrList(list: string): boolean {
  return list.split(',').every((item) => {
    const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(item);
    return m !== null && m.slice(1, 5).every((o) => Number(o) <= 255) && (m[5] === undefined || Number(m[5]) <= 32);
  });
}

function boolAnnotation(annotations: Record<string, string>, key: string): boolean | undefined | 'invalid' {
  const value = annotations[key];
  if (value === undefined) return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  return 'invalid';
}

/** A pod is injected when it carries the sidecar or its marker: never patch it again. */
export function isInjected(pod: InjectablePod): boolean {
  const named = (list: PodContainer[] | undefined) => (list ?? []).some((c) => c.name === PROXY_CONTAINER);
  return pod.metadata?.annotations?.[INJECTED_ANNOTATION] !== undefined || named(pod.spec?.initContainers) || named(pod.spec?.containers);
}

/** The service a pod fronts: annotation laneway.dev/service, else label app.kubernetes.io/name, else app. */
export function serviceOf(pod: InjectablePod): string | undefined {
  const labels = pod.metadata?.labels ?? {};
  return pod.metadata?.annotations?.[SERVICE_ANNOTATION] || labels['app.kubernetes.io/name'] || labels.app || undefined;
}

/** Skips that hold whatever the pod or namespace opted into. */
function excluded(pod: InjectablePod, namespace: NamespaceInfo): Skip | undefined {
  if (SYSTEM_NAMESPACES.includes(namespace.name)) return skip('system-namespace', `namespace ${namespace.name} is never injected`);
  if (pod.metadata?.labels?.[CONTROL_PLANE_LABEL] === CONTROL_PLANE_NAME) return skip('control-plane-pod', `the control plane's own pods (${CONTROL_PLANE_LABEL}=${CONTROL_PLANE_NAME}) are never injected`);
  if (isInjected(pod)) return skip('already-injected', `the pod already has ${PROXY_CONTAINER} or the ${INJECTED_ANNOTATION} annotation`);
  return undefined;
}

function optIn(annotations: Record<string, string>, namespace: NamespaceInfo): Skip | 'namespace' | 'pod' {
  const byPod = boolAnnotation(annotations, INJECT_ANNOTATION);
  if (byPod === 'invalid') return skip('invalid-annotation', `${INJECT_ANNOTATION}: "${annotations[INJECT_ANNOTATION]}" is neither "true" nor "false"`);
  if (byPod === false) return skip('pod-opted-out', `the pod says ${INJECT_ANNOTATION}: "false"`);
  if (byPod === true) return 'pod';
  if (namespace.labels[INJECT_NAMESPACE_LABEL] === 'enabled') return 'namespace';
  return skip('not-opted-in', `neither namespace label ${INJECT_NAMESPACE_LABEL}=enabled nor pod annotation ${INJECT_ANNOTATION}: "true"`);
}

/** The capture settings a pod asks for, or why they are refused (they become the capture script's env). */
function captureOf(annotations: Record<string, string>): Skip | { capture: boolean; excludePorts: string; excludeCidrs: string } {
  const capture = boolAnnotation(annotations, CAPTURE_ANNOTATION);
  if (capture === 'invalid') return skip('invalid-annotation', `${CAPTURE_ANNOTATION}: "${annotations[CAPTURE_ANNOTATION]}" is neither "true" nor "false"`);
  const ports = (annotations[EXCLUDE_PORTS_ANNOTATION] ?? '').replace(/\s+/g, '');
  if (ports && (!PORT_LIST.test(ports) || ports.split(',').some((p) => Number(p) < 1 || Number(p) > 65535))) {
    return skip('invalid-annotation', `${EXCLUDE_PORTS_ANNOTATION}: "${annotations[EXCLUDE_PORTS_ANNOTATION]}" is not a comma-separated list of ports (1-65535)`);
  }
  const cidrs = (annotations[EXCLUDE_CIDRS_ANNOTATION] ?? '').replace(/\s+/g, '');
  if (cidrs && !isCidrList(cidrs)) return skip('invalid-annotation', `${EXCLUDE_CIDRS_ANNOTATION}: "${annotations[EXCLUDE_CIDRS_ANNOTATION]}" is not a comma-separated list of IPv4 CIDRs (10.0.0.0/8,169.254.169.254/32)`);
  return { capture: capture !== false, excludePorts: ports, excludeCidrs: cidrs };
}

/** Inject or not, and why. `namespace` is the pod's namespace and its labels. */
export function injectionDecision(pod: InjectablePod, namespace: NamespaceInfo): InjectionDecision {
  const never = excluded(pod, namespace);
  if (never) return never;
  const annotations = pod.metadata?.annotations ?? {};
  const optedInBy = optIn(annotations, namespace);
  if (typeof optedInBy === 'object') return optedInBy;
  // Capture rules in the host's network namespace would capture the node's traffic.
  if (pod.spec?.hostNetwork) return skip('host-network', 'the pod uses the host network; its sidecar would capture the node\'s traffic');
  const capture = captureOf(annotations);
  if ('inject' in capture) return capture;
  const service = serviceOf(pod);
  if (!service) return skip('no-service-name', `no service name: set label app.kubernetes.io/name or app, or annotation ${SERVICE_ANNOTATION}`);
  const lane = pod.metadata?.labels?.[LANE_LABEL] || 'stable';
  // Both end up in the sidecar's bootstrap: only names the model accepts, nothing that could change its YAML.
  if (!DNS_LABEL.test(service)) return skip('invalid-name', `service name "${service}" (from ${SERVICE_ANNOTATION}, app.kubernetes.io/name or app) is not a DNS label`);
  if (!DNS_LABEL.test(lane)) return skip('invalid-name', `${LANE_LABEL}: "${lane}" is not a lane name (a DNS label)`);
  return { inject: true, service, lane, optedInBy, ...capture };
}

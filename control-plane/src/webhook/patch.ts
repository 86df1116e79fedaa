// Injection as a JSON Patch (RFC 6902) against the pod as admitted: pure, same pod + settings, same
// bytes. The capture container and the sidecar go first among the init containers, so the pod's own
// init containers already run with the sidecar up and their traffic captured.
import { INJECTED_ANNOTATION, type InjectablePod, type Injection } from './decision.js';
import { captureContainer, injectedVolumes, proxyContainer } from './sidecar.js';
import type { InjectionSettings } from './settings.js';

export interface PatchOperation {
  op: 'add';
  path: string;
  value: unknown;
}

/** JSON Pointer escaping of one path segment (RFC 6901). */
export function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

/** What the pod's marker annotation says: what it was injected as. */
export function injectedMarker(decision: Injection): string {
  return `${decision.service}/${decision.lane}; capture ${decision.capture ? 'on' : 'off'}`;
}

function addToList(path: string, existing: unknown[] | undefined, items: unknown[], atFront: boolean): PatchOperation[] {
  if (!existing) return [{ op: 'add', path, value: items }];
  return items.map((value, i) => ({ op: 'add', path: atFront ? `${path}/${i}` : `${path}/-`, value }));
}

/** The patch that injects `decision` into `pod` (which injectionDecision said to inject). */
export function injectionPatch(pod: InjectablePod, decision: Injection, settings: InjectionSettings): PatchOperation[] {
  const initContainers = [...(decision.capture ? [captureContainer(decision, settings)] : []), proxyContainer(decision, settings)];
  const annotations = pod.metadata?.annotations;
  const marker = injectedMarker(decision);
  return [
    ...addToList('/spec/initContainers', pod.spec?.initContainers, initContainers, true),
    ...addToList('/spec/volumes', pod.spec?.volumes, injectedVolumes(), false),
    annotations
      ? { op: 'add', path: `/metadata/annotations/${pointerSegment(INJECTED_ANNOTATION)}`, value: marker }
      : { op: 'add', path: '/metadata/annotations', value: { [INJECTED_ANNOTATION]: marker } },
  ];
}

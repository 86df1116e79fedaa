// One service's share of every proxy's config, remembered across models with the objects it was
// made from: the settings, the service's definition and the lanes that can route it anywhere but
// stable (the lane index's entry, every other lane resolves to stable for it). In a later frozen
// model where those are the very same objects, the share is the same and is reused without
// looking inside. A lane write thus re-examines the few services its lanes touch, not the 190
// services that the 20 affected proxies see in the bench topology.
import type { Lane, MeshState, Service, Settings } from '../model/types.js';
import type { LaneIndex } from './lane-index.js';

interface Inputs {
  settings: Settings;
  service: Service;
  laneNames: readonly string[];
  lanes: readonly Lane[];
}

const NO_LANES: readonly string[] = [];

export class ServiceMemo<P> {
  private readonly entries = new Map<string, { inputs: Inputs; parts: P }>();

  /** What was remembered for `service`, if it was made from the same objects as `state` holds now. */
  get(state: MeshState, index: LaneIndex, service: string): P | undefined {
    const entry = this.entries.get(service);
    if (!entry) return undefined;
    if (sameInputs(entry.inputs, state, index, service)) return entry.parts;
    this.entries.delete(service);
    return undefined;
  }

  /** Remembers `parts` as made from `state`; only a frozen model's objects can be trusted to stay as they are. */
  set(state: MeshState, index: LaneIndex, service: string, parts: P): void {
    const definition = state.services[service];
    const laneNames = index.get(service) ?? NO_LANES;
    const lanes = laneNames.map((name) => state.lanes[name]!);
    if (!definition || !Object.isFrozen(definition) || !Object.isFrozen(state.settings) || !lanes.every((lane) => Object.isFrozen(lane))) return;
    this.entries.set(service, { inputs: { settings: state.settings, service: definition, laneNames, lanes }, parts });
  }
}

function sameInputs(inputs: Inputs, state: MeshState, index: LaneIndex, service: string): boolean {
  if (inputs.settings !== state.settings || inputs.service !== state.services[service]) return false;
  const laneNames = index.get(service) ?? NO_LANES;
  if (laneNames !== inputs.laneNames) {
    if (laneNames.length !== inputs.laneNames.length) return false;
    for (let i = 0; i < laneNames.length; i++) if (laneNames[i] !== inputs.laneNames[i]) return false;
  }
  for (let i = 0; i < laneNames.length; i++) if (state.lanes[laneNames[i]!] !== inputs.lanes[i]) return false;
  return true;
}

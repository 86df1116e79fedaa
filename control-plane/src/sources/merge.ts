// Combines the store (written by the API) with the YAML directory into the one served MeshState.
import { deepFreeze } from '../model/deep-freeze.js';
import type { FieldError } from '../model/errors.js';
import type { MeshState } from '../model/types.js';
import { validateMeshState } from '../model/validate.js';
import type { YamlDefinitions } from './yaml-dir.js';

function sortedByName<T>(...records: Array<Record<string, T>>): Record<string, T> {
  const merged = Object.assign({}, ...records) as Record<string, T>;
  return Object.fromEntries(Object.keys(merged).sort().map((name) => [name, merged[name]!]));
}

/**
 * One record of both sources. Without YAML definitions of that kind, the store's own (frozen)
 * record as it is: a write to a store of 10,000 lanes must not copy and sort them all again.
 * Order never reaches the output: the translator and the API sort by name themselves
 * (test/unit/translate-determinism.test.ts builds every map in reverse and expects the same bytes).
 */
function combined<T>(store: Record<string, T>, yaml: Record<string, T>): Record<string, T> {
  return isEmpty(yaml) ? store : sortedByName(store, yaml);
}

function isEmpty(record: Record<string, unknown>): boolean {
  for (const _ in record) return false;
  return true;
}

/**
 * Store plus YAML definitions, validated as a whole; `errors` non-empty means "keep the last good
 * state". On a name collision the YAML definition wins, silently: files are declarative (GitOps),
 * so the file is what the operator committed to; YAML settings, when given, replace the store's.
 */
export function mergeSources(store: MeshState, yaml: YamlDefinitions): { state: MeshState; errors: FieldError[] } {
  // Nothing from files: the store's state, which every store write validated as a whole already.
  if (isEmpty(yaml.services) && isEmpty(yaml.lanes) && yaml.settings === undefined && Object.isFrozen(store)) return { state: store, errors: [] };
  const state: MeshState = {
    settings: yaml.settings ?? store.settings,
    services: combined(store.services, yaml.services),
    lanes: combined(store.lanes, yaml.lanes),
  };
  // Frozen: the publisher and its memo take it as an immutable value (model/deep-freeze.ts).
  return { state: deepFreeze(state), errors: validateMeshState(state) };
}

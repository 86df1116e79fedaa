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
 * Store plus YAML definitions, validated as a whole; `errors` non-empty means "keep the last good
 * state". On a name collision the YAML definition wins, silently: files are declarative (GitOps),
 * so the file is what the operator committed to; YAML settings, when given, replace the store's.
 */
export function mergeSources(store: MeshState, yaml: YamlDefinitions): { state: MeshState; errors: FieldError[] } {
  const state: MeshState = {
    settings: yaml.settings ?? store.settings,
    // Sorted so equal definitions give equal bytes whichever source and order they came from.
    services: sortedByName(store.services, yaml.services),
    lanes: sortedByName(store.lanes, yaml.lanes),
  };
  // Frozen: the publisher and its memo take it as an immutable value (model/deep-freeze.ts).
  return { state: deepFreeze(state), errors: validateMeshState(state) };
}

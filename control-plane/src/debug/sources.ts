// Where a service or lane definition came from: the store (REST API) or a YAML file. The merged
// model does not record it, so it is worked out the way sources/merge.ts combines them: a YAML
// definition wins over the store's, and among files the first in name order wins.
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeshState } from '../model/types.js';
import { parseDefinitionsFile, type YamlDefinitions } from '../sources/yaml-dir.js';

export type DefinitionSource =
  | { kind: 'store' }
  /** `file` is absent when no file on disk defines it now (edited since it was loaded). */
  | { kind: 'yaml'; dir: string; file?: string }
  | { kind: 'unknown' };

export type Collection = 'services' | 'lanes';

export type SourceLookup = (collection: Collection, name: string) => Promise<DefinitionSource>;

export interface SourceInputs {
  storeState: () => MeshState;
  yamlDefinitions?: () => YamlDefinitions;
  configDir?: string;
}

async function yamlFileDefining(dir: string, collection: Collection, name: string): Promise<string | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) => !f.startsWith('.') && /\.ya?ml$/.test(f)).sort();
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => undefined);
    const parsed = text === undefined ? undefined : parseDefinitionsFile(text);
    if (parsed && 'defs' in parsed && Object.hasOwn(parsed.defs[collection], name)) return file;
  }
  return undefined;
}

export function definitionSources(inputs: SourceInputs): SourceLookup {
  return async (collection, name) => {
    const yaml = inputs.yamlDefinitions?.();
    if (yaml && inputs.configDir && Object.hasOwn(yaml[collection], name)) {
      const file = await yamlFileDefining(inputs.configDir, collection, name);
      return { kind: 'yaml', dir: inputs.configDir, ...(file !== undefined && { file }) };
    }
    if (Object.hasOwn(inputs.storeState()[collection], name)) return { kind: 'store' };
    return { kind: 'unknown' };
  };
}

/** "store", "yaml lanes.yaml", for tables. */
export function describeSource(source: DefinitionSource): string {
  if (source.kind === 'yaml') return source.file ? `yaml ${source.file}` : `yaml (${source.dir})`;
  return source.kind;
}

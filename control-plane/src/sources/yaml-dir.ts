// Definitions from a watched directory of *.yaml / *.yml files. Each file holds one or more
// kubectl-like documents separated by "---", each with a `kind` and the model's fields:
//
//   kind: Service            kind: Lane                      kind: Settings
//   name: orders             name: feature-x                 laneHeader: x-lane
//   protocol: http           fallback: stable                entryService: frontend
//   port: 8080               services:
//   endpoints: [10.0.0.1:80]   orders: [10.0.1.7:8080]
//
// A file is all or nothing: if any document in it is invalid, the error is reported with the file
// and field path, and that file's last good content stays in effect. Names defined by two files:
// the first file in name order wins and the other is reported. Dot-files are skipped, which also
// skips the `..data` directories of a Kubernetes ConfigMap mount (its symlinked files are read).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, type Document } from 'yaml';
import type { FieldError } from '../model/errors.js';
import type { Lane, Service, Settings } from '../model/types.js';
import { validateLane, validateService, validateSettings } from '../model/validate.js';

export interface YamlDefinitions {
  services: Record<string, Service>;
  lanes: Record<string, Lane>;
  settings?: Settings;
}

export interface YamlDirWatch {
  close(): void;
}

const DEBOUNCE_MS = 50;
const KINDS = ['Service', 'Lane', 'Settings'];

interface FileEntry {
  text: string;
  /** Last content that validated; undefined when the file never did. */
  good?: YamlDefinitions;
}

function isYamlFile(name: string): boolean {
  return !name.startsWith('.') && /\.ya?ml$/.test(name);
}

function describe(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.reason}`).join('; ');
}

function toJS(doc: Document.Parsed): unknown {
  try {
    return doc.toJS();
  } catch (err) {
    return err as Error;
  }
}

/** Parses and validates one file's text; returns its definitions or the errors. */
export function parseDefinitionsFile(text: string): { defs: YamlDefinitions } | { errors: FieldError[] } {
  const defs: YamlDefinitions = { services: {}, lanes: {} };
  const errors: FieldError[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `document ${i + 1}`;
    if (doc.errors.length > 0) return errors.push({ path: where, reason: `not valid YAML: ${doc.errors[0]!.message}` });
    const value = toJS(doc);
    if (value instanceof Error) return errors.push({ path: where, reason: `not valid YAML: ${value.message}` });
    if (value === null || value === undefined) return;
    if (typeof value !== 'object' || Array.isArray(value) || !KINDS.includes((value as { kind?: string }).kind ?? '')) {
      return errors.push({ path: `${where}/kind`, reason: `must be one of ${KINDS.join(', ')}` });
    }
    const { kind, ...fields } = value as { kind: string; name?: unknown };
    if (kind === 'Settings') {
      const checked = validateSettings(fields);
      if (defs.settings) errors.push({ path: 'settings', reason: 'defined twice in this file' });
      return checked.ok ? (defs.settings = checked.value) : errors.push(...checked.errors);
    }
    const collection = kind === 'Service' ? 'services' : 'lanes';
    const path = typeof fields.name === 'string' ? `${collection}/${fields.name}` : `${where}`;
    // Forks are reconciled from Lane objects only; in a file they would be silently ignored.
    if (kind === 'Lane' && Object.hasOwn(fields, 'forks')) return errors.push({ path: `${path}/forks`, reason: 'workload forks are kept only on Lane objects in Kubernetes mode (kubectl apply or the REST API), not in the config directory' });
    const checked = kind === 'Service' ? validateService(fields, path) : validateLane(fields, path);
    if (!checked.ok) return errors.push(...checked.errors);
    const target = defs[collection] as Record<string, Service | Lane>;
    if (Object.hasOwn(target, checked.value.name)) return errors.push({ path, reason: 'defined twice in this file' });
    target[checked.value.name] = checked.value;
  });
  return errors.length > 0 ? { errors } : { defs };
}

/** Combines files in name order; a name already defined by an earlier file is reported, not replaced. */
function combine(files: Map<string, FileEntry>, onError: (file: string, message: string) => void): YamlDefinitions {
  const all: YamlDefinitions = { services: {}, lanes: {} };
  const owner = new Map<string, string>();
  for (const file of [...files.keys()].sort()) {
    const good = files.get(file)!.good;
    if (!good) continue;
    const claim = (key: string, apply: () => void) => {
      const first = owner.get(key);
      if (first) return onError(file, `${key}: already defined in ${first}; ignoring this definition`);
      owner.set(key, file);
      apply();
    };
    for (const [name, svc] of Object.entries(good.services)) claim(`services/${name}`, () => (all.services[name] = svc));
    for (const [name, lane] of Object.entries(good.lanes)) claim(`lanes/${name}`, () => (all.lanes[name] = lane));
    if (good.settings) claim('settings', () => (all.settings = good.settings));
  }
  return all;
}

async function readYamlFiles(dir: string): Promise<Map<string, string>> {
  const texts = new Map<string, string>();
  for (const name of (await readdir(dir)).filter(isYamlFile)) {
    try {
      const path = join(dir, name);
      if ((await stat(path)).isFile()) texts.set(name, await readFile(path, 'utf8'));
    } catch (err) {
      // Removed or renamed between listing and reading: the next event reloads it.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return texts;
}

/**
 * Loads every definition file in `dir`, calls `onState` with the combined definitions, and again
 * whenever they change. Resolves after the first load.
 */
export async function watchYamlDir(
  dir: string,
  onState: (defs: YamlDefinitions) => void,
  onError: (file: string, message: string) => void,
): Promise<YamlDirWatch> {
  const files = new Map<string, FileEntry>();
  let lastEmitted: string | undefined;
  let closed = false;

  const reload = async () => {
    const texts = await readYamlFiles(dir);
    let changed = false;
    for (const name of [...files.keys()].filter((f) => !texts.has(f))) {
      files.delete(name);
      changed = true;
    }
    for (const [name, text] of texts) {
      const entry = files.get(name);
      if (entry?.text === text) continue;
      changed = true;
      const parsed = parseDefinitionsFile(text);
      if ('defs' in parsed) files.set(name, { text, good: parsed.defs });
      else {
        files.set(name, { text, good: entry?.good });
        onError(name, `${describe(parsed.errors)}${entry?.good ? '; keeping its last good content' : ''}`);
      }
    }
    if (!changed && lastEmitted !== undefined) return;
    const combined = combine(files, onError);
    const serialized = JSON.stringify(combined);
    if (serialized === lastEmitted) return;
    lastEmitted = serialized;
    onState(combined);
  };

  // Reloads never overlap, and a burst of events (an editor's write + rename) becomes one reload.
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();
  const schedule = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      running = running.then(() => (closed ? undefined : reload())).catch((err: Error) => onError(dir, `cannot read the directory: ${err.message}`));
    }, DEBOUNCE_MS);
  };

  await reload();
  const watcher: FSWatcher = watch(dir, { persistent: false }, schedule);
  watcher.on('error', (err) => onError(dir, `stopped watching: ${err.message}`));
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      watcher.close();
    },
  };
}

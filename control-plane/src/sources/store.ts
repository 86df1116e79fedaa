// The embedded durable store: the whole MeshState in one JSON file, replaced atomically on every
// write. A write resolves only once the new file is fsynced and renamed into place (and the
// directory fsynced), so an acknowledged write survives kill -9 and power loss.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, NotFoundError, ValidationError, type FieldError, type Validated } from '../model/errors.js';
import { emptyMeshState, type Lane, type MeshState, type Service, type Settings } from '../model/types.js';
import { validateLane, validateMeshState, validateService, validateSettings } from '../model/validate.js';

const FILE = 'state.json';
const TEMP_PREFIX = `${FILE}.tmp-`;
/** Bumped when the file's shape changes, so an old binary refuses a newer file instead of misreading it. */
const FORMAT = 1;
let tempFiles = 0;

export interface PutResult<T> {
  value: T;
  created: boolean;
}

export type ChangeListener = (state: MeshState) => void;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

function accept<T>(checked: Validated<T>): T {
  if (!checked.ok) throw new ValidationError(checked.errors);
  return checked.value;
}

async function loadState(file: string): Promise<MeshState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyMeshState();
    throw err;
  }
  let parsed: { format?: unknown } & MeshState;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`store file ${file} is corrupt (${(err as Error).message}); refusing to start with an empty state. Restore it from a backup or move it away.`);
  }
  if (parsed?.format !== FORMAT) throw new Error(`store file ${file} has format ${JSON.stringify(parsed?.format)}, this version reads format ${FORMAT}`);
  const state: MeshState = { settings: parsed.settings, services: parsed.services, lanes: parsed.lanes };
  const errors = validateMeshState(state);
  if (errors.length > 0) throw new Error(`store file ${file} holds invalid definitions: ${errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
  return state;
}

export class FileStore {
  private current: MeshState;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<ChangeListener>();

  private constructor(
    private readonly dataDir: string,
    initial: MeshState,
  ) {
    this.current = deepFreeze(initial);
  }

  /** Loads `<dataDir>/state.json` (missing: empty state; unreadable or invalid: throws naming the file). */
  static async open(dataDir: string): Promise<FileStore> {
    await mkdir(dataDir, { recursive: true });
    // Leftovers of writes interrupted before their rename; the real file is untouched by them.
    for (const name of await readdir(dataDir)) {
      if (name.startsWith(TEMP_PREFIX)) await rm(join(dataDir, name), { force: true });
    }
    return new FileStore(dataDir, await loadState(join(dataDir, FILE)));
  }

  /** The current definitions, deep-frozen: safe to keep, impossible to mutate. */
  state(): MeshState {
    return this.current;
  }

  /** Calls `listener` after each write is durable; returns a function that unsubscribes. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  putService(input: Service): Promise<PutResult<Service>> {
    return this.write((state) => {
      const service = accept(validateService(input, `services/${input?.name}`));
      const created = !Object.hasOwn(state.services, service.name);
      state.services[service.name] = service;
      return { value: service, created };
    });
  }

  deleteService(name: string): Promise<Service> {
    return this.write((state) => {
      const service = state.services[name];
      if (!service || !Object.hasOwn(state.services, name)) throw new NotFoundError('service', name);
      const details: FieldError[] = Object.values(state.lanes)
        .filter((lane) => Object.hasOwn(lane.services, name))
        .map((lane) => ({ path: `lanes/${lane.name}/services/${name}`, reason: `lane "${lane.name}" overrides service "${name}"` }));
      if (state.settings.entryService === name) details.push({ path: 'settings/entryService', reason: `service "${name}" is the entry service` });
      if (details.length > 0) {
        const users = details.map((d) => d.path.split('/').slice(0, 2).join('/')).join(', ');
        throw new ConflictError(`service "${name}" is still used by ${users}; change those first`, details);
      }
      delete state.services[name];
      return service;
    });
  }

  putLane(input: Lane): Promise<PutResult<Lane>> {
    return this.write((state) => {
      const lane = accept(validateLane(input, `lanes/${input?.name}`));
      const created = !Object.hasOwn(state.lanes, lane.name);
      state.lanes[lane.name] = lane;
      return { value: lane, created };
    });
  }

  deleteLane(name: string): Promise<Lane> {
    return this.write((state) => {
      const lane = state.lanes[name];
      if (!lane || !Object.hasOwn(state.lanes, name)) throw new NotFoundError('lane', name);
      const dependants = Object.values(state.lanes).filter((l) => l.fallback === name).map((l) => l.name).sort();
      if (dependants.length > 0) {
        const details = dependants.map((d) => ({ path: `lanes/${d}/fallback`, reason: `lane "${d}" falls back to "${name}"` }));
        throw new ConflictError(`lane "${name}" is the fallback of lane${dependants.length > 1 ? 's' : ''} ${dependants.map((d) => `"${d}"`).join(', ')}; change their fallback first`, details);
      }
      delete state.lanes[name];
      return lane;
    });
  }

  putSettings(input: Settings): Promise<Settings> {
    return this.write((state) => {
      state.settings = accept(validateSettings(input));
      return state.settings;
    });
  }

  /** Runs `change` on a private copy, validates the result, persists it, then swaps it in. */
  private write<T>(change: (draft: MeshState) => T): Promise<T> {
    const run = async (): Promise<T> => {
      const draft = structuredClone(this.current) as MeshState;
      const result = change(draft);
      const errors = validateMeshState(draft);
      if (errors.length > 0) throw new ValidationError(errors);
      await this.persist(draft);
      this.current = deepFreeze(draft);
      this.notify();
      return structuredClone(result);
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async persist(state: MeshState): Promise<void> {
    const target = join(this.dataDir, FILE);
    const temp = join(this.dataDir, `${TEMP_PREFIX}${process.pid}-${++tempFiles}`);
    const body = `${JSON.stringify({ format: FORMAT, ...state }, null, 2)}\n`;
    try {
      const file = await open(temp, 'w', 0o600);
      try {
        await file.writeFile(body, 'utf8');
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(temp, target);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
    // The rename itself is durable only once the directory entry is on disk.
    const dir = await open(this.dataDir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.current);
      } catch (err) {
        // The write is already durable; a failing listener must not turn it into an error.
        process.emitWarning(`store change listener failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }
}

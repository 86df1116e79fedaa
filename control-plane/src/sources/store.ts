// The embedded durable store (written by the REST API): every write runs alone, on a private copy,
// is validated, appended to the journal (store-journal.ts, on disk before it resolves), and only
// then becomes the current state. The state file (store-file.ts) is rewritten when the journal has
// grown to its size, so a write costs what it changed and the journal stays as small as the state.
import { isDeepStrictEqual } from 'node:util';
import { mkdir, readdir, rm, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { ConflictError, fallbackConflict, NotFoundError, PreconditionFailedError, ValidationError, type FieldError, type Validated } from '../model/errors.js';
import { deepFreeze } from '../model/deep-freeze.js';
import type { Lane, MeshState, Service, Settings } from '../model/types.js';
import { validateLane, validateMeshState, validateService, validateSettings } from '../model/validate.js';
import { recordChange, type Touched } from '../model/state-changes.js';
import { isValidAfter } from '../model/validate-change.js';
import { FORMAT, loadStore, persistContents, stateFileBytes, syncDirectory, TEMP_PREFIX, type LoadedStore } from './store-file.js';
import type { LaneMeta, ObjectMeta, StoreContents, StoreMeta } from './store-contents.js';
import { createJournal, journalFile, journalLines, journalSequence, JournalWriter } from './store-journal.js';
import { isFileSystemError, StoreHealth, type StorageProblem } from './store-health.js';


export interface Preconditions {
  /** resourceVersions the caller accepts (If-Match); "*" accepts any existing object. */
  ifMatch?: string[];
  /** The write may only create (If-None-Match: *). */
  ifNoneMatch?: boolean;
}

export interface Stored<T, M extends ObjectMeta = ObjectMeta> {
  value: T;
  meta: M;
}

export interface Written<T, M extends ObjectMeta = ObjectMeta> extends Stored<T, M> {
  created: boolean;
  /** False when the write asked for what was already there: nothing was written, the version stays. */
  changed: boolean;
}

/** What an update of a lane computes from the lane as it is (undefined: it does not exist yet). */
export type LaneChange = (current: Stored<Lane, LaneMeta> | undefined) => { lane: unknown; ttl?: string };
export type ServiceChange = (current: Stored<Service> | undefined) => unknown;

export type ChangeListener = (state: MeshState) => void;

export interface StoreOptions {
  /** The clock for createdAt/updatedAt (tests pass a fixed one). */
  now?: () => Date;
  /** The journal is compacted once it holds this many bytes or as many as the state file, whichever is more. */
  minCompactBytes?: number;
}

/** Below this a compaction would rewrite a small state file often for little gain. */
const MIN_COMPACT_BYTES = 1 << 20;

type Kind = 'services' | 'lanes';

/**
 * A draft to change: new records of the kinds the write may change, the same (frozen) objects in
 * them. A change replaces or deletes whole objects and never edits one in place, so copying the
 * records is enough and a write costs the size of the records, not of every definition in them.
 * Records a write leaves alone keep their identity, which the memo layers key on (a lane write
 * must not make every sidecar's visible services look new).
 */
function copyForWrite({ state, meta }: StoreContents, kinds: readonly Kind[]): StoreContents {
  const copy = <T>(kind: Kind, record: Readonly<Record<string, T>>) => (kinds.includes(kind) ? copyRecord(record) : record) as Record<string, T>;
  return {
    state: { settings: state.settings, services: copy('services', state.services), lanes: copy('lanes', state.lanes) },
    meta: { ...meta, services: copy('services', meta.services), lanes: copy('lanes', meta.lanes) },
  };
}

/** `{ ...record }`, same key order; a loop of assignments is about twice as fast at 10,000 keys. */
function copyRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const copy: Record<string, T> = {};
  for (const key of Object.keys(record)) copy[key] = record[key]!;
  return copy;
}

/**
 * Freezes a written draft: its records and the draft itself. Every object in the records is frozen
 * already: shared with the state before, or frozen where a write puts it. Walking 10,000 lanes to
 * find that out again would cost more than the write.
 */
function freezeDraft(draft: StoreContents): StoreContents {
  const { state, meta } = draft;
  for (const record of [state.services, state.lanes, meta.services, meta.lanes]) Object.freeze(record);
  Object.freeze(state);
  Object.freeze(meta);
  return Object.freeze(draft);
}

function accept<T>(checked: Validated<T>): T {
  if (!checked.ok) throw new ValidationError(checked.errors);
  return checked.value;
}

/** Throws PreconditionFailedError unless `current` (undefined: absent) meets `given`; every lane backend checks with it. */
export function checkPreconditions(path: string, current: { resourceVersion: string } | undefined, given: Preconditions): void {
  const version = current?.resourceVersion;
  if (given.ifNoneMatch && current) {
    throw new PreconditionFailedError(path, `${path} already exists (resourceVersion ${version}); the request asked to create it only`, version);
  }
  const wanted = given.ifMatch;
  if (!wanted || wanted.length === 0) return;
  if (!current) throw new PreconditionFailedError(path, `${path} does not exist, but the request expected resourceVersion ${wanted.join(' or ')}`, undefined);
  if (!wanted.includes('*') && !wanted.includes(version!)) {
    throw new PreconditionFailedError(path, `${path} is at resourceVersion ${version}, not ${wanted.join(' or ')}: it changed since you read it; read it again and retry`, version);
  }
}

function stored<T, M extends ObjectMeta>(state: MeshState, meta: StoreMeta, kind: 'services' | 'lanes', name: string): Stored<T, M> | undefined {
  if (!Object.hasOwn(state[kind], name)) return undefined;
  return { value: state[kind][name] as T, meta: meta[kind][name] as M };
}

export class FileStore {
  private current: StoreContents;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly listeners = new Set<ChangeListener>();
  private journalSequence: number;
  private journal: JournalWriter;
  private compactAt: number;
  private compactionQueued = false;
  private closed = false;
  private readonly health: StoreHealth;

  private constructor(
    private readonly dataDir: string,
    loaded: LoadedStore,
    private readonly now: () => Date,
    private readonly minCompactBytes: number,
  ) {
    this.current = deepFreeze(loaded.contents);
    this.health = new StoreHealth(dataDir);
    this.journalSequence = loaded.journal;
    this.journal = this.journalWriter(loaded.journal, loaded.journalBytes);
    // Encodes every object's state-file member now, at start, so the first compaction costs what
    // later ones do instead of serializing every lane (state-json.ts remembers them).
    this.compactAt = Math.max(minCompactBytes, stateFileBytes(this.current, this.journalSequence).length);
    // A copy thrown away: the first copy of 1,000 lanes took 10.7 ms against 1.5–1.9 ms for the next
    // ones, and the first write after a start should cost what later ones do.
    copyForWrite(this.current, ['services', 'lanes']);
  }

  /**
   * Loads `<dataDir>/state.json` and its journal (missing: empty state; unreadable or invalid:
   * throws naming the file). A journal's unfinished last entry, a write never acknowledged, is cut off.
   */
  static async open(dataDir: string, options: StoreOptions = {}): Promise<FileStore> {
    const now = options.now ?? (() => new Date());
    await mkdir(dataDir, { recursive: true });
    const loaded = await loadStore(dataDir, now().toISOString());
    for (const name of await readdir(dataDir)) {
      // Leftovers of state-file writes interrupted before their rename, and journals the state file
      // does not name (a finished compaction had not yet deleted them, or the file was replaced).
      const sequence = journalSequence(name);
      const stale = sequence !== undefined && (sequence !== loaded.journal || loaded.format !== FORMAT);
      if (name.startsWith(TEMP_PREFIX) || stale) await rm(join(dataDir, name), { force: true });
    }
    if (loaded.droppedTail !== undefined) {
      await truncate(join(dataDir, journalFile(loaded.journal)), loaded.journalBytes);
      process.emitWarning(`store journal ${journalFile(loaded.journal)}: dropped an unfinished last entry, a write that was never acknowledged (${loaded.droppedTail})`);
    }
    // The journal exists before the first write, which then pays for no directory sync.
    const journalMissing = !loaded.journalFound || loaded.format !== FORMAT;
    if (journalMissing) await createJournal(join(dataDir, journalFile(loaded.journal)));
    // An older binary would read an older-format file and miss the journal; this one must never add
    // a journal to it. A new data directory gets its file at once, so it always says what it holds.
    // Either write syncs the directory, and with it the new journal's entry.
    if (loaded.format !== FORMAT || !loaded.fromFile) await persistContents(dataDir, loaded.contents, loaded.journal);
    else if (journalMissing) await syncDirectory(dataDir);
    return new FileStore(dataDir, loaded, now, options.minCompactBytes ?? MIN_COMPACT_BYTES);
  }

  /** Finishes queued writes, folds the journal into the state file and closes it. Later writes are refused. */
  close(): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) return;
      this.closed = true;
      this.health.close();
      if (this.journal.size > 0) await this.compact();
      await this.journal.close();
    });
  }

  /** Set while the data directory refuses writes (full disk, I/O error): what the last refused write answered. */
  storageProblem(): StorageProblem | undefined {
    return this.health.problem();
  }

  /** The current definitions, deep-frozen: safe to keep, impossible to mutate. */
  state(): MeshState {
    return this.current.state;
  }

  /** Versions and times of every object, deep-frozen. */
  meta(): StoreMeta {
    return this.current.meta;
  }

  getService(name: string): Stored<Service> | undefined {
    return stored(this.current.state, this.current.meta, 'services', name);
  }

  getLane(name: string): Stored<Lane, LaneMeta> | undefined {
    return stored(this.current.state, this.current.meta, 'lanes', name);
  }

  /** Calls `listener` after each write is durable; returns a function that unsubscribes. */
  onChange(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  putService(input: Service, preconditions: Preconditions = {}): Promise<Written<Service>> {
    return this.updateService(String(input?.name), () => input, preconditions);
  }

  /** Read-modify-write of one service; `change` runs inside the write, so nothing can interleave. */
  updateService(name: string, change: ServiceChange, preconditions: Preconditions = {}): Promise<Written<Service>> {
    return this.writeObject('services', name, preconditions, (current) => {
      const service = accept(validateService(change(current as Stored<Service> | undefined), `services/${name}`));
      return { value: service, meta: {} };
    }) as Promise<Written<Service>>;
  }

  deleteService(name: string, preconditions: Preconditions = {}): Promise<Stored<Service>> {
    return this.write(['services'], ({ state, meta }) => {
      const current = stored<Service, ObjectMeta>(state, meta, 'services', name);
      if (!current) throw new NotFoundError('service', name);
      checkPreconditions(`services/${name}`, current.meta, preconditions);
      const details: FieldError[] = Object.values(state.lanes)
        .filter((lane) => Object.hasOwn(lane.services, name))
        .map((lane) => ({ path: `lanes/${lane.name}/services/${name}`, reason: `lane "${lane.name}" overrides service "${name}"` }));
      if (state.settings.entryService === name) details.push({ path: 'settings/entryService', reason: `service "${name}" is the entry service` });
      if (details.length > 0) {
        const users = details.map((d) => d.path.split('/').slice(0, 2).join('/')).join(', ');
        throw new ConflictError(`service "${name}" is still used by ${users}; change those first`, details);
      }
      delete state.services[name];
      delete meta.services[name];
      return { result: current, changed: { services: [name] } };
    });
  }

  putLane(input: Lane, preconditions: Preconditions = {}): Promise<Written<Lane, LaneMeta>> {
    return this.updateLane(String(input?.name), () => ({ lane: input }), preconditions);
  }

  /** Read-modify-write of one lane and its TTL; `change` runs inside the write, so nothing can interleave. */
  updateLane(name: string, change: LaneChange, preconditions: Preconditions = {}): Promise<Written<Lane, LaneMeta>> {
    return this.writeObject('lanes', name, preconditions, (current) => {
      const next = change(current as Stored<Lane, LaneMeta> | undefined);
      const lane = accept(validateLane(next.lane, `lanes/${name}`));
      return { value: lane, meta: next.ttl === undefined ? {} : { ttl: next.ttl } };
    }) as Promise<Written<Lane, LaneMeta>>;
  }

  deleteLane(name: string, preconditions: Preconditions = {}): Promise<Stored<Lane, LaneMeta>> {
    return this.write(['lanes'], ({ state, meta }) => {
      const current = stored<Lane, LaneMeta>(state, meta, 'lanes', name);
      if (!current) throw new NotFoundError('lane', name);
      checkPreconditions(`lanes/${name}`, current.meta, preconditions);
      const dependants = Object.values(state.lanes).filter((l) => l.fallback === name).map((l) => l.name).sort();
      if (dependants.length > 0) throw fallbackConflict(name, dependants);
      delete state.lanes[name];
      delete meta.lanes[name];
      return { result: current, changed: { lanes: [name] } };
    });
  }

  putSettings(input: Settings, preconditions: Preconditions = {}): Promise<Written<Settings>> {
    return this.write<Written<Settings>>([], ({ state, meta }) => {
      checkPreconditions('settings', meta.settings, preconditions);
      const settings = accept(validateSettings(input));
      if (isDeepStrictEqual(settings, state.settings)) return { result: { value: state.settings, meta: meta.settings, created: false, changed: false }, changed: false };
      state.settings = deepFreeze(settings);
      meta.settings = deepFreeze(this.nextMeta(meta, meta.settings, {}));
      return { result: { value: settings, meta: meta.settings, created: false, changed: true }, changed: { settings: true } };
    });
  }

  private nextMeta<M extends ObjectMeta>(meta: StoreMeta, previous: M | undefined, extra: Partial<M>): M {
    const at = this.now().toISOString();
    meta.revision += 1;
    return { resourceVersion: String(meta.revision), createdAt: previous?.createdAt ?? at, updatedAt: at, ...extra } as M;
  }

  private writeObject(
    kind: Kind,
    name: string,
    preconditions: Preconditions,
    compute: (current: Stored<unknown> | undefined) => { value: Service | Lane; meta: Partial<LaneMeta> },
  ): Promise<Written<Service | Lane, LaneMeta>> {
    return this.write<Written<Service | Lane, LaneMeta>>([kind], ({ state, meta }) => {
      const current = stored<Service | Lane, LaneMeta>(state, meta, kind, name);
      checkPreconditions(`${kind}/${name}`, current?.meta, preconditions);
      const next = compute(current);
      if (next.value.name !== name) throw new ValidationError([{ path: `${kind}/${name}/name`, reason: `must be "${name}", got ${JSON.stringify(next.value.name)}` }]);
      const sameMeta = current && (current.meta.ttl ?? undefined) === (next.meta.ttl ?? undefined);
      if (current && sameMeta && isDeepStrictEqual(current.value, next.value)) {
        return { result: { ...current, created: false, changed: false }, changed: false };
      }
      (state[kind] as Record<string, Service | Lane>)[name] = deepFreeze(next.value);
      meta[kind][name] = deepFreeze(this.nextMeta(meta, current?.meta, next.meta));
      return { result: { value: next.value, meta: meta[kind][name]!, created: !current, changed: true }, changed: { [kind]: [name] } };
    });
  }

  /**
   * Runs `change` on a private copy; when it reports what it changed, validates the result (see
   * validate-change.ts: the touched objects, or the whole state when that is not enough to be
   * sure), persists it, then swaps it in. Writes run one at a time, in call order.
   */
  private write<T>(kinds: readonly Kind[], change: (draft: StoreContents) => { result: T; changed: Touched | false }): Promise<T> {
    return this.enqueue(async (): Promise<T> => {
      if (this.closed) throw new Error('the store is closed');
      const draft = copyForWrite(this.current, kinds);
      const { result, changed } = change(draft);
      if (!changed) return structuredClone(result);
      if (!isValidAfter(draft.state, changed)) {
        const errors = validateMeshState(draft.state);
        if (errors.length > 0) throw new ValidationError(errors);
      }
      await this.persist(journalLines(draft, changed));
      const before = this.current.state;
      this.current = freezeDraft(draft);
      recordChange(before, this.current.state, changed);
      this.notify();
      if (this.journal.size >= this.compactAt) this.queueCompaction();
      return structuredClone(result);
    });
  }

  /** Appends to the journal; a refusal of the file system becomes a StorageError naming the data directory. */
  private async persist(lines: string): Promise<void> {
    try {
      await this.journal.append(lines);
    } catch (err) {
      throw isFileSystemError(err) ? this.health.failed(err) : err;
    }
    this.health.succeeded();
  }

  /** Runs `job` after every job queued before it; jobs run one at a time, in call order. */
  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Compacts after the write that asked for it has answered; a failed compaction is retried by a later write. */
  private queueCompaction(): void {
    if (this.compactionQueued) return;
    this.compactionQueued = true;
    this.enqueue(async () => {
      this.compactionQueued = false;
      if (!this.closed) await this.compact();
    }).catch((err: Error) => process.emitWarning(`store compaction failed, the journal keeps every write: ${err.stack ?? String(err)}`));
  }

  /**
   * Writes the state file naming a new, empty journal, then deletes the old one. A crash before the
   * rename leaves the old pair; after it, the new state file, and the old journal is deleted at open.
   */
  private async compact(): Promise<void> {
    const next = this.journalSequence + 1;
    // Created first, so the state file's directory sync makes its entry durable too; left behind by
    // a crash before the rename, it is a journal the state file does not name, deleted at open.
    await createJournal(join(this.dataDir, journalFile(next)));
    const bytes = await persistContents(this.dataDir, this.current, next);
    const old = this.journal;
    const oldFile = join(this.dataDir, journalFile(this.journalSequence));
    this.journalSequence = next;
    this.journal = this.journalWriter(next, 0);
    this.compactAt = Math.max(this.minCompactBytes, bytes);
    await old.close();
    await rm(oldFile, { force: true });
  }

  /** A writer for a journal file the store has created and whose directory entry is synced. */
  private journalWriter(sequence: number, size: number): JournalWriter {
    return new JournalWriter(join(this.dataDir, journalFile(sequence)), size);
  }

  private notify(): void {
    for (const listener of this.listeners) {
      try {
        listener(this.current.state);
      } catch (err) {
        // The write is already durable; a failing listener must not turn it into an error.
        process.emitWarning(`store change listener failed: ${(err as Error).stack ?? String(err)}`);
      }
    }
  }
}

// The store's state file: a snapshot of the whole MeshState plus each object's metadata in one JSON
// document, replaced atomically (temp file, fsync, rename, fsync of the directory). It names the
// journal that continues it (store-journal.ts); writes go to the journal, and the file is written
// again only when the journal is compacted, at start from an older format, and on close.
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeshState } from '../model/types.js';
import { emptyMeshState } from '../model/types.js';
import { validateMeshState } from '../model/validate.js';
import { objectJson, recordJson, type MemberWriter } from './state-json.js';
import type { ObjectMeta, StoreContents, StoreMeta } from './store-contents.js';
import { journalFile, replayJournal } from './store-journal.js';

export const STATE_FILE = 'state.json';
export const TEMP_PREFIX = `${STATE_FILE}.tmp-`;
/**
 * Bumped when the file's shape changes, so an old binary refuses a newer file instead of misreading
 * it. Format 3 names its journal: a format 2 reader would ignore the writes in it.
 */
export const FORMAT = 3;
/** Format 1 had no metadata; it is read and given some. Formats 1 and 2 had no journal. */
const READABLE_FORMATS = [1, 2, 3];
let tempFiles = 0;

/** What `loadStore` found in a data directory. */
export interface LoadedStore {
  contents: StoreContents;
  /** The format the state file had (FORMAT when there was none). */
  format: number;
  /** False when there was no state file. */
  fromFile: boolean;
  /** The sequence number of the journal that continues the state file. */
  journal: number;
  /** Whether that journal's file exists. */
  journalFound: boolean;
  /** Bytes of whole entries in that journal (a torn last entry is not counted). */
  journalBytes: number;
  journalEntries: number;
  /** Set when the journal ended in an unfinished entry, which is dropped: why. */
  droppedTail?: string;
}

function freshMeta(revision: number, at: string): ObjectMeta {
  return { resourceVersion: String(revision), createdAt: at, updatedAt: at };
}

/** Metadata for every object, keeping what the file had and inventing the rest (format 1, hand edits). */
function completeMeta(state: MeshState, given: Partial<StoreMeta> | undefined, at: string): StoreMeta {
  const versions = [given?.settings, ...Object.values(given?.services ?? {}), ...Object.values(given?.lanes ?? {})].map((m) => Number(m?.resourceVersion));
  // Never below a version already handed out, or a stale If-Match could match a new object.
  const revision = Math.max(0, ...[given?.revision, ...versions].filter((v): v is number => Number.isSafeInteger(v)));
  const pick = <M extends ObjectMeta>(names: string[], metas: Record<string, M> | undefined) =>
    Object.fromEntries(names.map((name) => [name, metas && Object.hasOwn(metas, name) ? metas[name]! : freshMeta(revision, at)]));
  return {
    revision,
    settings: given?.settings ?? freshMeta(revision, at),
    services: pick(Object.keys(state.services), given?.services),
    lanes: pick(Object.keys(state.lanes), given?.lanes),
  };
}

async function readIfPresent(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/**
 * Reads `<dataDir>/state.json` and replays the journal it names (both missing: empty contents;
 * unreadable, newer, corrupt or invalid: throws naming the file). Changes nothing on disk.
 */
export async function loadStore(dataDir: string, at: string): Promise<LoadedStore> {
  const file = join(dataDir, STATE_FILE);
  const text = await readIfPresent(file);
  let parsed: { format?: unknown; journal?: unknown; meta?: Partial<StoreMeta> } & MeshState;
  if (text === undefined) {
    parsed = { format: FORMAT, journal: 0, ...emptyMeshState() };
  } else {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`store file ${file} is corrupt (${(err as Error).message}); refusing to start with an empty state. Restore it from a backup or move it away.`);
    }
  }
  if (!READABLE_FORMATS.includes(parsed?.format as number)) throw new Error(`store file ${file} has format ${JSON.stringify(parsed?.format)}, this version reads formats up to ${FORMAT}`);
  const journal = parsed.format === FORMAT ? parsed.journal : 0;
  if (!Number.isSafeInteger(journal) || (journal as number) < 0) throw new Error(`store file ${file} names journal ${JSON.stringify(journal)}, not a sequence number`);
  const journalPath = join(dataDir, journalFile(journal as number));
  // Older formats had no journal: one beside such a file belongs to another state file.
  const journalText = parsed.format === FORMAT ? await readIfPresent(journalPath) : undefined;
  // Metadata that is not an object (a hand edit) is made up afresh, as completeMeta does with none.
  const meta = typeof parsed.meta === 'object' && parsed.meta !== null && !Array.isArray(parsed.meta) ? parsed.meta : {};
  const raw = { state: { settings: parsed.settings, services: parsed.services, lanes: parsed.lanes } as MeshState, meta: meta as Record<string, any> };
  const replay = journalText === undefined ? { validBytes: 0, entries: 0 } : replayJournal(raw as { state: Record<string, any>; meta: Record<string, any> }, journalText, journalPath);
  const errors = validateMeshState(raw.state);
  if (errors.length > 0) {
    const where = replay.entries > 0 ? `store file ${file} with journal ${journalPath}` : `store file ${file}`;
    throw new Error(`${where} holds invalid definitions: ${errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
  }
  return {
    contents: { state: raw.state, meta: completeMeta(raw.state, raw.meta as Partial<StoreMeta>, at) },
    format: parsed.format as number,
    fromFile: text !== undefined,
    journal: journal as number,
    journalFound: journalText !== undefined,
    journalBytes: replay.validBytes,
    journalEntries: replay.entries,
    ...('droppedTail' in replay && replay.droppedTail !== undefined && { droppedTail: replay.droppedTail }),
  };
}

const RECORDS: Record<string, MemberWriter> = { services: recordJson, lanes: recordJson };
const FILE_MEMBERS: Record<string, MemberWriter> = { ...RECORDS, meta: (meta: StoreMeta, out: Buffer[]) => objectJson(meta as unknown as Record<string, unknown>, RECORDS, out) };
const NEWLINE = Buffer.from('\n');

/**
 * JSON.stringify({ format, ...state, meta }) and a newline, UTF-8, from the remembered bytes of every
 * object the write did not replace. Compact: at 10,000 lanes indenting costs a quarter more per
 * write; `jq . state.json` reads it.
 */
export function stateFileChunks({ state, meta }: StoreContents, journal = 0): Buffer[] {
  // Kept as pieces: the file takes them with writev, uncopied.
  const out: Buffer[] = [];
  objectJson({ format: FORMAT, journal, ...state, meta }, FILE_MEMBERS, out);
  out.push(NEWLINE);
  return out;
}

export function stateFileBytes(contents: StoreContents, journal = 0): Buffer {
  return Buffer.concat(stateFileChunks(contents, journal));
}

/** Writes every chunk; libuv loops over partial writes and IOV_MAX, and a short count would be a bug to stop on. */
async function writeChunks(file: FileHandle, chunks: Buffer[]): Promise<number> {
  const expected = chunks.reduce((sum, c) => sum + c.length, 0);
  const { bytesWritten } = await file.writev(chunks, 0);
  if (bytesWritten !== expected) throw new Error(`short write of the store file: ${bytesWritten} of ${expected} bytes`);
  return expected;
}

/** Makes the directory's entries (a rename, a new file) durable. */
export async function syncDirectory(dataDir: string): Promise<void> {
  const dir = await open(dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** Replaces the state file with `contents`, continued by journal `journal`; resolves to its size in bytes. */
export async function persistContents(dataDir: string, contents: StoreContents, journal: number): Promise<number> {
  const target = join(dataDir, STATE_FILE);
  const temp = join(dataDir, `${TEMP_PREFIX}${process.pid}-${++tempFiles}`);
  const chunks = stateFileChunks(contents, journal);
  let size: number;
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      size = await writeChunks(file, chunks);
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
  await syncDirectory(dataDir);
  return size;
}

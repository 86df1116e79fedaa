// The store's file: the whole MeshState plus each object's metadata in one JSON document, replaced
// atomically. A write resolves only once the new file is fsynced and renamed into place (and the
// directory fsynced), so an acknowledged write survives kill -9 and power loss.
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeshState } from '../model/types.js';
import { emptyMeshState } from '../model/types.js';
import { validateMeshState } from '../model/validate.js';
import { objectJson, recordJson, type MemberWriter } from './state-json.js';

export const STATE_FILE = 'state.json';
export const TEMP_PREFIX = `${STATE_FILE}.tmp-`;
/** Bumped when the file's shape changes, so an old binary refuses a newer file instead of misreading it. */
const FORMAT = 2;
/** Format 1 had no metadata; it is read and given some. */
const READABLE_FORMATS = [1, 2];
let tempFiles = 0;

/** Bookkeeping the API shows beside each object: its version and when it was written. */
export interface ObjectMeta {
  /** Changes on every write that changes the object; equal content never gets a new one. */
  resourceVersion: string;
  createdAt: string;
  updatedAt: string;
}

export interface LaneMeta extends ObjectMeta {
  /** The lane's TTL ("2h"): how far a renewal pushes expiresAt out. */
  ttl?: string;
}

export interface StoreMeta {
  /** The last resourceVersion handed out; versions are this counter, so they only grow. */
  revision: number;
  settings: ObjectMeta;
  services: Record<string, ObjectMeta>;
  lanes: Record<string, LaneMeta>;
}

export interface StoreContents {
  state: MeshState;
  meta: StoreMeta;
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

export function emptyContents(at: string): StoreContents {
  const state = emptyMeshState();
  return { state, meta: completeMeta(state, undefined, at) };
}

/** Reads `file` (missing: empty contents; unreadable, newer or invalid: throws naming the file). */
export async function loadContents(file: string, at: string): Promise<StoreContents> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyContents(at);
    throw err;
  }
  let parsed: { format?: unknown; meta?: Partial<StoreMeta> } & MeshState;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new Error(`store file ${file} is corrupt (${(err as Error).message}); refusing to start with an empty state. Restore it from a backup or move it away.`);
  }
  if (!READABLE_FORMATS.includes(parsed?.format as number)) throw new Error(`store file ${file} has format ${JSON.stringify(parsed?.format)}, this version reads format ${FORMAT}`);
  const state: MeshState = { settings: parsed.settings, services: parsed.services, lanes: parsed.lanes };
  const errors = validateMeshState(state);
  if (errors.length > 0) throw new Error(`store file ${file} holds invalid definitions: ${errors.map((e) => `${e.path}: ${e.reason}`).join('; ')}`);
  return { state, meta: completeMeta(state, parsed.meta, at) };
}

const RECORDS: Record<string, MemberWriter> = { services: recordJson, lanes: recordJson };
const FILE_MEMBERS: Record<string, MemberWriter> = { ...RECORDS, meta: (meta: StoreMeta, out: Buffer[]) => objectJson(meta as unknown as Record<string, unknown>, RECORDS, out) };
const NEWLINE = Buffer.from('\n');

/**
 * JSON.stringify({ format, ...state, meta }) and a newline, UTF-8, from the remembered bytes of every
 * object the write did not replace. Compact: at 10,000 lanes indenting costs a quarter more per
 * write; `jq . state.json` reads it.
 */
export function stateFileChunks({ state, meta }: StoreContents): Buffer[] {
  // Kept as pieces: the file takes them with writev, uncopied.
  const out: Buffer[] = [];
  objectJson({ format: FORMAT, ...state, meta }, FILE_MEMBERS, out);
  out.push(NEWLINE);
  return out;
}

export function stateFileBytes(contents: StoreContents): Buffer {
  return Buffer.concat(stateFileChunks(contents));
}

/** Writes every chunk; libuv loops over partial writes and IOV_MAX, and a short count would be a bug to stop on. */
async function writeChunks(file: FileHandle, chunks: Buffer[]): Promise<void> {
  const expected = chunks.reduce((sum, c) => sum + c.length, 0);
  const { bytesWritten } = await file.writev(chunks, 0);
  if (bytesWritten !== expected) throw new Error(`short write of the store file: ${bytesWritten} of ${expected} bytes`);
}

export async function persistContents(dataDir: string, contents: StoreContents): Promise<void> {
  const target = join(dataDir, STATE_FILE);
  const temp = join(dataDir, `${TEMP_PREFIX}${process.pid}-${++tempFiles}`);
  const chunks = stateFileChunks(contents);
  try {
    const file = await open(temp, 'w', 0o600);
    try {
      await writeChunks(file, chunks);
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
  const dir = await open(dataDir, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

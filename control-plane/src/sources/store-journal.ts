// The store's journal: one JSON line per write, appended and fdatasynced before the write is
// acknowledged, so a write costs what it changed instead of rewriting every lane (ADR 0014). The
// state file (store-file.ts) is a snapshot that names the journal continuing it; replaying that
// journal over it gives the current state. Compaction writes a new snapshot naming a new, empty
// journal, and only then deletes the old one, so a crash at any step leaves one consistent pair.
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { Touched } from '../model/state-changes.js';
import type { StoreContents } from './store-contents.js';

export const JOURNAL_PREFIX = 'journal-';
const JOURNAL_SUFFIX = '.jsonl';

export const journalFile = (sequence: number) => `${JOURNAL_PREFIX}${sequence}${JOURNAL_SUFFIX}`;

/** The sequence number in a journal file's name; undefined for any other name. */
export function journalSequence(fileName: string): number | undefined {
  const match = /^journal-(\d+)\.jsonl$/.exec(fileName);
  return match ? Number(match[1]) : undefined;
}

type RecordKind = 'services' | 'lanes';

/**
 * One line. `value` absent: the object was deleted. `revision` is the store's counter after the
 * write (deletes do not move it, so it cannot order entries; the file order does). `more`: the
 * write goes on in the next line; a write of several objects counts only once its last line is there.
 */
export interface JournalEntry {
  kind: RecordKind | 'settings';
  name?: string;
  value?: unknown;
  meta?: unknown;
  revision: number;
  more?: true;
}

/** The lines that take the state before a write to `draft`, given what the write touched. */
export function journalLines({ state, meta }: StoreContents, touched: Touched): string {
  const entries: JournalEntry[] = [];
  if (touched.settings) entries.push({ kind: 'settings', value: state.settings, meta: meta.settings, revision: meta.revision });
  for (const kind of ['services', 'lanes'] as const) {
    for (const name of touched[kind] ?? []) {
      entries.push(Object.hasOwn(state[kind], name)
        ? { kind, name, value: state[kind][name], meta: meta[kind][name], revision: meta.revision }
        : { kind, name, revision: meta.revision });
    }
  }
  let lines = '';
  for (let i = 0; i < entries.length; i++) lines += `${JSON.stringify(i < entries.length - 1 ? { ...entries[i], more: true } : entries[i])}\n`;
  return lines;
}

export interface ReplayResult {
  /** Bytes of the journal that hold whole entries; anything after them was never acknowledged. */
  validBytes: number;
  entries: number;
  /** Why the tail was dropped, when it was. */
  droppedTail?: string;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function entryProblem(entry: unknown): string | undefined {
  if (!isRecord(entry)) return 'not a JSON object';
  if (entry.kind !== 'settings' && entry.kind !== 'services' && entry.kind !== 'lanes') return `kind ${JSON.stringify(entry.kind)} is not settings, services or lanes`;
  if (entry.kind !== 'settings' && (typeof entry.name !== 'string' || entry.name === '')) return 'name is missing';
  if (entry.kind === 'settings' && entry.value === undefined) return 'settings cannot be deleted';
  if (entry.value !== undefined && !isRecord(entry.meta)) return 'meta is missing';
  if (!Number.isSafeInteger(entry.revision) || (entry.revision as number) < 0) return 'revision is not a whole number';
  if (entry.more !== undefined && entry.more !== true) return 'more is neither true nor absent';
  return undefined;
}

/**
 * Applies the journal `text` (of file `file`) to `contents`, which is the state file's, not yet
 * validated or frozen. A last line without its newline, or that does not parse, is a write that
 * never finished, so never acknowledged: it is dropped, with the lines of the same write before it.
 * Anything wrong before the last line throws naming the file and the line. Validating the result
 * is the caller's job.
 */
export function replayJournal(contents: { state: Record<string, any>; meta: Record<string, any> }, text: string, file: string): ReplayResult {
  let offset = 0;
  let entries = 0;
  let lineNumber = 0;
  // The entries of a write whose last line has not come yet, and where that write begins.
  let pending: JournalEntry[] = [];
  let writeStart = 0;
  const cutAt = (reason: string): ReplayResult => ({
    validBytes: Buffer.byteLength(text.slice(0, writeStart)),
    entries,
    droppedTail: pending.length > 0 ? `${reason}; ${pending.length} earlier line(s) of the same write dropped with it` : reason,
  });
  while (offset < text.length) {
    lineNumber += 1;
    const end = text.indexOf('\n', offset);
    const last = end === -1 || end === text.length - 1;
    if (end === -1) return cutAt(`line ${lineNumber} has no end: a write cut short`);
    let entry: unknown;
    let problem: string | undefined;
    try {
      entry = JSON.parse(text.slice(offset, end));
      problem = entryProblem(entry);
    } catch (err) {
      problem = (err as Error).message;
    }
    if (problem !== undefined) {
      if (last) return cutAt(`line ${lineNumber}: ${problem}`);
      throw new Error(`store journal ${file} is corrupt at line ${lineNumber} (${problem}); refusing to start without the writes after it. Restore the data directory from a backup or move the journal away.`);
    }
    pending.push(entry as JournalEntry);
    offset = end + 1;
    if ((entry as JournalEntry).more === true) continue;
    for (const e of pending) applyEntry(contents, e);
    entries += pending.length;
    pending = [];
    writeStart = offset;
  }
  if (pending.length > 0) {
    const lines = pending.length;
    pending = [];
    return cutAt(`the last ${lines} line(s) belong to a write whose last line is missing: a write cut short`);
  }
  return { validBytes: Buffer.byteLength(text), entries };
}

function applyEntry({ state, meta }: { state: Record<string, any>; meta: Record<string, any> }, entry: JournalEntry): void {
  if (!Number.isSafeInteger(meta.revision) || meta.revision < entry.revision) meta.revision = entry.revision;
  if (entry.kind === 'settings') {
    state.settings = entry.value;
    meta.settings = entry.meta;
    return;
  }
  state[entry.kind] ??= {};
  // A state file whose record is not an object (a hand edit) fails validation after the replay,
  // naming the record; until then its entries have nowhere to go. Metadata is made up when missing.
  if (!isRecord(state[entry.kind])) return;
  if (!isRecord(meta[entry.kind])) meta[entry.kind] = {};
  if (entry.value === undefined) {
    delete state[entry.kind][entry.name!];
    delete meta[entry.kind][entry.name!];
  } else {
    state[entry.kind][entry.name!] = entry.value;
    meta[entry.kind][entry.name!] = entry.meta;
  }
}

const openFile = promisify(fs.open);
const writeFile = promisify(fs.write);
const datasync = promisify(fs.fdatasync);
const truncateFile = promisify(fs.ftruncate);
const closeFile = promisify(fs.close);
// A writer dropped without close() (a test's store) must not hold its descriptor until the process ends.
const descriptors = new FinalizationRegistry<number>((fd) => fs.close(fd, () => undefined));

/**
 * Creates the empty journal file at `path` (if missing). Its directory entry is durable only after
 * the directory is synced, which the caller does with its next state-file write or on its own: the
 * first write to the journal must not pay for that (it cost 46 ms in one fresh process).
 */
export async function createJournal(path: string): Promise<void> {
  await closeFile(await openFile(path, 'a', 0o600));
}

/**
 * Appends to one journal file; each append is on disk (fdatasync) when it resolves. The file stays
 * open between appends (a raw descriptor: opening it for each append showed as 2 ms per lane create
 * in a profile at 1,000 streams) until `close`.
 */
export class JournalWriter {
  private fd?: number;
  /** Set when a failed append could not be cut off again: appending more before cutting it would corrupt the file. */
  private broken?: Error;

  constructor(
    /** A journal file that exists, its directory entry synced (createJournal). */
    private readonly path: string,
    /** Bytes already in the file (after any torn tail was cut off). */
    public size: number,
  ) {}

  async append(lines: string): Promise<void> {
    const fd = this.fd ?? (await this.openFile());
    // A refused write whose bytes could not be cut off then is cut off now, before anything follows it.
    if (this.broken) await this.cutBack(fd);
    const bytes = Buffer.from(lines, 'utf8');
    try {
      // A full disk first takes part of a write, then refuses the rest with ENOSPC: keep writing to learn why.
      for (let written = 0; written < bytes.length; ) {
        const { bytesWritten } = await writeFile(fd, bytes, written, bytes.length - written, null);
        if (bytesWritten === 0) throw new Error(`the store journal ${this.path} took none of a write`);
        written += bytesWritten;
      }
      await datasync(fd);
    } catch (err) {
      // The write is refused, so nothing of it may stay: the next entry must start on a line of its own.
      await this.cutBack(fd).catch(() => undefined);
      throw err;
    }
    this.size += bytes.length;
  }

  /** Cuts the file back to its acknowledged bytes; until that succeeds, every append tries again first. */
  private async cutBack(fd: number): Promise<void> {
    try {
      await truncateFile(fd, this.size);
      this.broken = undefined;
    } catch (err) {
      this.broken = err as Error;
      throw err;
    }
  }

  async close(): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    descriptors.unregister(this);
    await closeFile(fd);
  }

  private async openFile(): Promise<number> {
    const fd = await openFile(this.path, 'a', 0o600);
    this.fd = fd;
    descriptors.register(this, fd, this);
    return fd;
  }
}

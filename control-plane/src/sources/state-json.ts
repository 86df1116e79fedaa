// The state file's bytes, without re-serializing what did not change: a write at 10,000 lanes would
// otherwise spend most of its time in JSON.stringify of lanes it did not touch, and then again in
// flattening and UTF-8 encoding one big string. Each frozen object's member (`"key":{...}`) is kept
// encoded (the store deep-freezes everything it keeps, so a frozen object cannot have changed); the
// file is those buffers concatenated. The bytes are exactly JSON.stringify's, UTF-8 encoded.

// frozen object -> its encoded member in the record it was last written under.
const remembered = new WeakMap<object, { key: string; bytes: Buffer }>();

const member = (key: string, value: unknown) => Buffer.from(`${JSON.stringify(key)}:${JSON.stringify(value)}`, 'utf8');
const COMMA = Buffer.from(',');
const OPEN = Buffer.from('{');
const CLOSE = Buffer.from('}');

function memberBytes(key: string, value: unknown): Buffer {
  if (typeof value !== 'object' || value === null || !Object.isFrozen(value)) return member(key, value);
  const known = remembered.get(value);
  if (known !== undefined && known.key === key) return known.bytes;
  const bytes = member(key, value);
  remembered.set(value, { key, bytes });
  return bytes;
}

export type MemberWriter = (value: never, out: Buffer[]) => void;

/** Appends JSON.stringify(record) to `out`, each member's bytes remembered while its object lives. */
export function recordJson(record: Readonly<Record<string, unknown>>, out: Buffer[]): void {
  out.push(OPEN);
  let first = true;
  // Object.keys is the order JSON.stringify uses (integer-like keys first, then insertion order).
  for (const key of Object.keys(record)) {
    const value = record[key];
    if (value === undefined || typeof value === 'function') continue; // JSON.stringify leaves these out
    if (!first) out.push(COMMA);
    out.push(memberBytes(key, value));
    first = false;
  }
  out.push(CLOSE);
}

/** Appends JSON.stringify(object) to `out`, except that the members named in `writers` are written by them. */
export function objectJson(object: Readonly<Record<string, unknown>>, writers: Readonly<Record<string, MemberWriter>>, out: Buffer[]): void {
  out.push(OPEN);
  let first = true;
  for (const key of Object.keys(object)) {
    const value = object[key];
    if (value === undefined || typeof value === 'function') continue;
    if (!first) out.push(COMMA);
    first = false;
    if (Object.hasOwn(writers, key) && typeof value === 'object' && value !== null) {
      out.push(Buffer.from(`${JSON.stringify(key)}:`, 'utf8'));
      writers[key]!(value as never, out);
    } else {
      out.push(member(key, value));
    }
  }
  out.push(CLOSE);
}

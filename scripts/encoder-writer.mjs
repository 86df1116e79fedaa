// The runtime part of control-plane/src/envoy/generated/encoders.ts (scripts/generate-encoders.mjs
// emits it at the top of that file): one growing buffer the generated functions write into. Each
// method writes what @bufbuild/protobuf 2.17's BinaryWriter writes for the same value, and throws
// where that one throws on an out-of-range integer, so no value is silently written differently.
export const WRITER_SOURCE = `
const INITIAL_SIZE = 1 << 16;
/** Strings up to this long whose code units are all ASCII are copied unit by unit (a one-byte length). */
const ASCII_MAX_LENGTH = 127;
const utf8 = new TextEncoder();

function varint32Size(value: number): number {
  let size = 1;
  while (value > 0x7f) {
    value >>>= 7;
    size++;
  }
  return size;
}

class Writer {
  buf = new Uint8Array(INITIAL_SIZE);
  view = new DataView(this.buf.buffer);
  pos = 0;

  ensure(size: number): void {
    if (this.pos + size > this.buf.length) this.grow(size);
  }

  grow(size: number): void {
    let length = this.buf.length * 2;
    while (length < this.pos + size) length *= 2;
    const buf = new Uint8Array(length);
    buf.set(this.buf.subarray(0, this.pos));
    this.buf = buf;
    this.view = new DataView(buf.buffer);
  }

  b1(a: number): void {
    this.ensure(1);
    this.buf[this.pos++] = a;
  }

  b2(a: number, b: number): void {
    this.ensure(2);
    this.buf[this.pos++] = a;
    this.buf[this.pos++] = b;
  }

  uint32(value: number): void {
    if (value >>> 0 !== value) throw new Error('invalid uint32: ' + value);
    this.ensure(5);
    const buf = this.buf;
    while (value > 0x7f) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>>= 7;
    }
    buf[this.pos++] = value;
  }

  /** Negative values take ten bytes (sign-extended to 64 bits), as protobuf wants. */
  int32(value: number): void {
    if ((value | 0) !== value) throw new Error('invalid int32: ' + value);
    if (value >= 0) return this.uint32(value);
    this.ensure(10);
    const buf = this.buf;
    for (let i = 0; i < 9; i++) {
      buf[this.pos++] = (value & 0x7f) | 0x80;
      value >>= 7;
    }
    buf[this.pos++] = 1;
  }

  bool(value: boolean): void {
    this.b1(value ? 1 : 0);
  }

  double(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  int64(value: bigint | string | number): void {
    if (typeof value === 'bigint' && value >= 0n && value <= 0x7fffffffn) return this.uint32(Number(value));
    const { lo, hi } = protoInt64.enc(value);
    this.varint64(lo, hi);
  }

  uint64(value: bigint | string | number): void {
    if (typeof value === 'bigint' && value >= 0n && value <= 0x7fffffffn) return this.uint32(Number(value));
    const { lo, hi } = protoInt64.uEnc(value);
    this.varint64(lo, hi);
  }

  /** A 64-bit varint from its low and high 32 bits. */
  varint64(lo: number, hi: number): void {
    this.ensure(10);
    const buf = this.buf;
    while (hi !== 0 || lo >>> 0 > 0x7f) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    buf[this.pos++] = lo;
  }

  string(value: string): void {
    if (typeof value !== 'string') value = String(value);
    const length = value.length;
    if (length <= ASCII_MAX_LENGTH) {
      this.ensure(length + 1);
      const buf = this.buf;
      let pos = this.pos;
      buf[pos++] = length;
      let i = 0;
      for (; i < length; i++) {
        const code = value.charCodeAt(i);
        if (code > 0x7f) break;
        buf[pos++] = code;
      }
      if (i === length) {
        this.pos = pos;
        return;
      }
    }
    // UTF-8 (lone surrogates as U+FFFD, as TextEncoder writes them), its length put in front.
    this.ensure(length * 3 + 5);
    const guess = varint32Size(length);
    const start = this.pos;
    const { written } = utf8.encodeInto(value, this.buf.subarray(start + guess));
    const size = varint32Size(written);
    if (size !== guess) this.buf.copyWithin(start + size, start + guess, start + guess + written);
    this.uint32(written);
    this.pos += written;
  }

  bytes(value: Uint8Array): void {
    this.uint32(value.byteLength);
    this.ensure(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  /** Starts a length-delimited value: one byte kept for its length; returns where the value starts. */
  fork(): number {
    this.b1(0);
    return this.pos;
  }

  /** Ends the value fork() started, writing its length (moving the value when that needs more than a byte). */
  join(start: number): void {
    const length = this.pos - start;
    if (length <= 0x7f) {
      this.buf[start - 1] = length;
      return;
    }
    const size = varint32Size(length);
    this.ensure(size - 1);
    this.buf.copyWithin(start - 1 + size, start, this.pos);
    this.pos = start - 1;
    this.uint32(length);
    this.pos += length;
  }

  unknown(fields: ReadonlyArray<{ no: number; wireType: number; data: Uint8Array }>): void {
    for (const { no, wireType, data } of fields) {
      this.uint32(((no << 3) | wireType) >>> 0);
      this.ensure(data.byteLength);
      this.buf.set(data, this.pos);
      this.pos += data.byteLength;
    }
  }
}

const writer = new Writer();
const EMPTY = Object.freeze({});

/** Bytes as create() keeps them: a plain array becomes a Uint8Array. */
const u8 = (value: any): any => (Array.isArray(value) ? new Uint8Array(value) : value);

/**
 * The encoding of init by encode, copied out of the writer into a Buffer: a small one
 * shares Node's pool, as the memo keeps tens of thousands of them and each an ArrayBuffer of its
 * own would make every garbage collection slower.
 */
function encodeWith(encode: (w: Writer, m: any) => void, init: unknown): Uint8Array {
  writer.pos = 0;
  encode(writer, init ?? EMPTY);
  return Buffer.from(writer.buf.subarray(0, writer.pos));
}
`;

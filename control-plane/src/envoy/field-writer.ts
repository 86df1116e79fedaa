// Writing length-delimited protobuf fields by hand, for messages assembled from parts that are
// already encoded (xDS responses from cached resources, route configurations from cached virtual
// hosts): the bytes are copied, never re-serialized.

export function varintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}

/** Size of a length-delimited field (1-byte tag) whose payload is `length` bytes. */
export function fieldSize(length: number): number {
  return 1 + varintSize(length) + length;
}

/** Longest string copied by code unit rather than by Buffer.write. */
const SHORT_ASCII = 128;

export class FieldWriter {
  pos = 0;
  constructor(readonly buf: Buffer) {}

  varint(n: number): void {
    while (n >= 0x80) {
      this.buf[this.pos++] = (n & 0x7f) | 0x80;
      n = Math.floor(n / 128);
    }
    this.buf[this.pos++] = n;
  }

  bytes(tag: number, value: Uint8Array): void {
    this.buf[this.pos++] = tag;
    this.varint(value.byteLength);
    this.buf.set(value, this.pos);
    this.pos += value.byteLength;
  }

  string(tag: number, value: string, byteLength: number): void {
    this.buf[this.pos++] = tag;
    this.varint(byteLength);
    // Names and addresses are short ASCII: copying their code units here is several times faster
    // than a call into Buffer.write, which a full rebuild makes about 100,000 times.
    if (byteLength === value.length && byteLength <= SHORT_ASCII) {
      const { buf } = this;
      for (let i = 0; i < byteLength; i++) buf[this.pos++] = value.charCodeAt(i);
      return;
    }
    this.pos += this.buf.write(value, this.pos, byteLength, 'utf8');
  }
}

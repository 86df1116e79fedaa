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
    this.pos += this.buf.write(value, this.pos, byteLength, 'utf8');
  }
}

// Responses are encoded when the transport serializes them, into buffers from a pool. A buffer goes
// back to the pool when the write's callback runs: Node's Writable contract says the chunk was then
// fully handled, so nothing the transport does later can read it. A burst of pushes therefore reuses
// the same memory rather than allocating a buffer per response; at 10,000 streams those allocations
// were what started every major GC (ADR 0013). A write whose callback never runs (the call was
// cancelled) leaves its buffer to the garbage collector.

/** Something the transport turns into bytes when it sends it. */
export interface EncodedResponse {
  /** The serialized message, written into a buffer from `alloc(size)` (exactly `size` bytes long). */
  encode(alloc: (size: number) => Buffer): Buffer;
}

const KiB = 1024;
const MiB = 1024 * KiB;
/** Buffers are pooled by size class, powers of two from 1 KiB... */
const MIN_CLASS = 10;
/** ...to 4 MiB; a larger response gets a buffer of its own. */
const MAX_CLASS = 22;

export class ResponseBufferPool {
  /** Free buffers per size class (index: log2 of the size). */
  private readonly free: Buffer[][] = Array.from({ length: MAX_CLASS + 1 }, () => []);
  private freeBytes = 0;

  /** `maxFreeBytes`: what the pool keeps between bursts; buffers given back beyond it are dropped. */
  constructor(private readonly maxFreeBytes = 32 * MiB) {}

  /** Bytes held in free buffers (for tests and metrics). */
  get idleBytes(): number {
    return this.freeBytes;
  }

  /** A buffer of at least `size` bytes, the caller's until it gives it back. */
  take(size: number): Buffer {
    const sizeClass = Math.max(MIN_CLASS, Math.ceil(Math.log2(Math.max(size, 1))));
    if (sizeClass > MAX_CLASS) return Buffer.allocUnsafeSlow(size);
    const buffer = this.free[sizeClass]!.pop();
    if (!buffer) return Buffer.allocUnsafeSlow(2 ** sizeClass);
    this.freeBytes -= buffer.byteLength;
    return buffer;
  }

  /** Gives back a buffer from take(); nothing may read or write it afterwards. */
  give(buffer: Buffer): void {
    const sizeClass = Math.log2(buffer.byteLength);
    if (!Number.isInteger(sizeClass) || sizeClass < MIN_CLASS || sizeClass > MAX_CLASS) return;
    if (this.freeBytes + buffer.byteLength > this.maxFreeBytes) return;
    this.free[sizeClass]!.push(buffer);
    this.freeBytes += buffer.byteLength;
  }
}

/**
 * One response on its way through the transport: encoded into a pooled buffer when serialized,
 * the buffer given back when the write completes.
 */
export class PooledResponse {
  private buffer?: Buffer;

  constructor(
    private readonly response: EncodedResponse,
    private readonly pool: ResponseBufferPool,
  ) {}

  /** The serialized message (the service definition's responseSerialize). */
  serialize(): Buffer {
    return this.response.encode((size) => {
      this.buffer = this.pool.take(size);
      return this.buffer.subarray(0, size);
    });
  }

  /** The write's callback: the transport is done with the bytes. */
  readonly written = (): void => {
    const buffer = this.buffer;
    this.buffer = undefined;
    if (buffer) this.pool.give(buffer);
  };
}

/** The pool of this process's ADS responses. */
export const RESPONSE_BUFFERS = new ResponseBufferPool();

/** responseSerialize of the ADS methods. */
export function serializeResponse(response: PooledResponse): Buffer {
  return response.serialize();
}

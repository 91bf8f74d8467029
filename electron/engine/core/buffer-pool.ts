import { MAX_FRAME_BYTES, PIECE_SIZE } from '../../../shared/protocol/limits.js';

/**
 * Reusable piece-sized buffers. At hundreds of MB/s a fresh 1 MiB allocation per
 * piece costs page faults and garbage-collector work that show up in profiles;
 * recycling a few dozen buffers removes both. A buffer is given back only by
 * the code that owns it last (after its write to disk or to the socket), and a
 * buffer is never handed out twice while it is out.
 */
export class BufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(
    /** Size of every pooled buffer; larger requests are allocated outside the pool. */
    readonly slotBytes: number,
    /** Free buffers kept at most; the rest are left to the garbage collector. */
    private readonly keep: number,
  ) {}

  /** A buffer of `length` bytes with unspecified contents, backed by its own ArrayBuffer. */
  take(length: number): Buffer {
    if (length > this.slotBytes) return Buffer.allocUnsafeSlow(length);
    const slot = this.free.pop() ?? new ArrayBuffer(this.slotBytes);
    return Buffer.from(slot, 0, length);
  }

  /** Returns a buffer taken from this pool (or from a worker that handed it back); others are ignored. */
  give(buffer: Uint8Array): void {
    const slot = buffer.buffer;
    if (!this.owns(buffer) || this.free.length >= this.keep) return;
    if (this.free.includes(slot as ArrayBuffer)) return; // given twice: keep one copy so it is never handed out twice
    this.free.push(slot as ArrayBuffer);
  }

  /** True for buffers this pool hands out (only it makes ArrayBuffers of exactly slotBytes). */
  owns(buffer: Uint8Array): boolean {
    return buffer.buffer instanceof ArrayBuffer && buffer.buffer.byteLength === this.slotBytes;
  }

  get freeCount(): number {
    return this.free.length;
  }
}

/** Bodies of piece frames (kind + request id + up to one piece) and pieces read for sending. */
export const pieceBuffers = new BufferPool(Math.min(MAX_FRAME_BYTES, PIECE_SIZE + 16), 64);

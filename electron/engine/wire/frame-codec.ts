import type { Hash } from 'node:crypto';
import { MAX_CONTROL_BYTES, MAX_FRAME_BYTES } from '../../../shared/protocol/limits.js';
import type { WireMessage } from '../../../shared/protocol/messages.js';
import { ProtocolError } from '../errors.js';
import { hashPiece, pieceHashing } from '../core/content-hash.js';
import { pieceBuffers } from '../core/buffer-pool.js';

/**
 * Frame layout (docs/PROTOCOL.md §Framing):
 *   u32be length of the body, then the body: u8 kind, payload.
 *   kind 0: UTF-8 JSON control message.
 *   kind 1: piece data: u32be request id, then the piece bytes.
 * The decoder checks the length before buffering anything, so a peer can never
 * make us allocate more than MAX_FRAME_BYTES for one frame.
 */
export const FRAME_CONTROL = 0;
export const FRAME_PIECE = 1;
const HEADER_BYTES = 4;

export type Frame =
  | { kind: typeof FRAME_CONTROL; message: unknown }
  | { kind: typeof FRAME_PIECE; id: number; data: Buffer; digest: Buffer };

/** Piece bytes as received, with their SHA-256, for the receiver to check against the piece hash it expects. */
export interface ReceivedPiece {
  data: Buffer;
  digest: Buffer;
}
/** Piece frame body: kind byte, u32be request id, then the data. */
const PIECE_DATA_OFFSET = 5;

export function encodeControl(message: WireMessage): Buffer {
  const json = Buffer.from(JSON.stringify(message), 'utf8');
  if (json.length > MAX_CONTROL_BYTES) throw new RangeError(`control message of ${json.length} bytes exceeds ${MAX_CONTROL_BYTES}`);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 1 + json.length);
  frame.writeUInt32BE(json.length + 1, 0);
  frame[HEADER_BYTES] = FRAME_CONTROL;
  json.copy(frame, HEADER_BYTES + 1);
  return frame;
}

/** Header for a piece frame; the data follows it on the wire as its own buffer (no copy). */
export function encodePieceHeader(id: number, dataLength: number): Buffer {
  const body = 1 + 4 + dataLength;
  if (body > MAX_FRAME_BYTES) throw new RangeError(`piece frame of ${body} bytes exceeds ${MAX_FRAME_BYTES}`);
  const header = Buffer.allocUnsafe(HEADER_BYTES + 5);
  header.writeUInt32BE(body, 0);
  header[HEADER_BYTES] = FRAME_PIECE;
  header.writeUInt32BE(id, HEADER_BYTES + 1);
  return header;
}

/** Room for headers and small control frames; anything larger gets a buffer of its own. */
const SCRATCH_BYTES = 64 * 1024;

/**
 * Incremental decoder. Throws ProtocolError.
 *
 * It can be fed two ways. `push(chunk)` takes bytes already read. Or the socket
 * reads straight into the decoder (net's `onread`): `readTarget()` says where the
 * next read should land and `filled(n)` reports it. Then a piece body is read
 * into its own pooled buffer by the kernel (or by TLS as it decrypts) with no
 * copy in between: headers and control frames go to a small scratch buffer, and
 * a read there stops at the next frame's kind byte, so a piece body that follows
 * lands in place. Fed by push(), whole frames are decoded where they lie in the
 * chunk, and the scratch buffer exists only while a frame spans chunks.
 *
 * Piece data is hashed (SHA-256) as each read lands, while the bytes are still in
 * the CPU's cache: hashing them later, or on another core, reads them back from
 * memory and cost more CPU in all than the hash itself (docs/BENCHMARKS.md).
 *
 * The length and kind are checked before any buffer is allocated, so a peer can
 * never make us allocate more than MAX_FRAME_BYTES for one frame, or more than
 * MAX_CONTROL_BYTES for a control message.
 */
export class FrameDecoder {
  /** Made when first needed; push() lets it go whenever no frame is pending, so idle connections hold none. */
  private scratch: Buffer | undefined;
  /** Unconsumed bytes are scratch[start, end). */
  private start = 0;
  private end = 0;
  /** A frame too large for the scratch buffer (or a piece), being filled; its header is consumed. */
  private body: Buffer | undefined;
  private bodyFilled = 0;
  /** SHA-256 of a piece body's data, fed up to `hashedTo` as reads land. */
  private bodyHash: Hash | undefined;
  private hashedTo = 0;

  constructor(
    private readonly maxFrameBytes = MAX_FRAME_BYTES,
    /** False on the serving side: piece frames only answer our requests, so a server never takes one. */
    private readonly acceptsPieces = true,
  ) {}

  /** Bytes held for a frame that has started but not completed (its header included). */
  get pendingBytes(): number {
    return this.body ? HEADER_BYTES + this.bodyFilled : this.end - this.start;
  }

  /** Where the next bytes should be read to; never empty. Fill from its start, then call `filled`. */
  readTarget(): Buffer {
    if (this.body) return this.body.subarray(this.bodyFilled);
    const scratch = (this.scratch ??= Buffer.allocUnsafe(SCRATCH_BYTES));
    if (this.start === this.end) this.start = this.end = 0;
    const held = this.end - this.start;
    // Until the length and kind are known, read no further than the kind byte; then to the end
    // of this (small, control) frame and the next frame's kind byte, so a piece body after it
    // lands in its own buffer.
    const frameBytes = held < HEADER_BYTES + 1 ? HEADER_BYTES + 1 : HEADER_BYTES + scratch.readUInt32BE(this.start);
    const wantBytes = held < HEADER_BYTES + 1 ? frameBytes : frameBytes + HEADER_BYTES + 1;
    if (this.start + frameBytes > SCRATCH_BYTES) {
      scratch.copyWithin(0, this.start, this.end);
      this.start = 0;
      this.end = held;
    }
    return scratch.subarray(this.end, Math.min(SCRATCH_BYTES, this.start + wantBytes));
  }

  /** `n` bytes were read into the last `readTarget()`; returns the frames now complete. */
  filled(n: number): Frame[] {
    if (this.body) {
      this.bodyFilled += n;
      this.hashBody();
      if (this.bodyFilled < this.body.length) return [];
      const body = this.body;
      const digest = this.bodyHash?.digest();
      this.body = this.bodyHash = undefined;
      this.bodyFilled = 0;
      return [decodeBody(body, digest)];
    }
    this.end += n;
    return this.drainScratch();
  }

  /** Bytes already read (a 'data' event): whole frames are decoded where they lie, only a partial one is copied. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let at = 0;
    // First finish a frame begun in an earlier chunk.
    while (at < chunk.length && this.pendingBytes > 0) at += this.copyIn(chunk, at, frames);
    while (chunk.length - at >= HEADER_BYTES + 1) {
      const length = chunk.readUInt32BE(at);
      checkLength(length, this.maxFrameBytes);
      checkKind(length, chunk[at + HEADER_BYTES]!, this.acceptsPieces);
      if (chunk.length - at - HEADER_BYTES < length) break;
      frames.push(decodeBody(chunk.subarray(at + HEADER_BYTES, at + HEADER_BYTES + length)));
      at += HEADER_BYTES + length;
    }
    // The start of a frame the next chunk completes.
    while (at < chunk.length) at += this.copyIn(chunk, at, frames);
    if (!this.body && this.start === this.end) this.scratch = undefined;
    return frames;
  }

  private copyIn(chunk: Buffer, at: number, frames: Frame[]): number {
    const copied = chunk.copy(this.readTarget(), 0, at);
    for (const frame of this.filled(copied)) frames.push(frame);
    return copied;
  }

  /** Decodes the whole frames in the scratch buffer; a large frame that has begun moves to its own buffer. */
  private drainScratch(): Frame[] {
    const frames: Frame[] = [];
    const scratch = this.scratch!;
    while (this.end - this.start >= HEADER_BYTES) {
      const length = scratch.readUInt32BE(this.start);
      checkLength(length, this.maxFrameBytes);
      if (this.end - this.start < HEADER_BYTES + 1) break;
      const kind = scratch[this.start + HEADER_BYTES]!;
      checkKind(length, kind, this.acceptsPieces);
      const bodyStart = this.start + HEADER_BYTES;
      const held = this.end - bodyStart;
      if (held >= length) {
        frames.push(decodeBody(scratch.subarray(bodyStart, bodyStart + length)));
        this.start = bodyStart + length;
        continue;
      }
      if (kind === FRAME_PIECE || HEADER_BYTES + length > SCRATCH_BYTES) {
        this.body = kind === FRAME_PIECE ? pieceBuffers.take(length) : Buffer.allocUnsafe(length);
        this.bodyFilled = scratch.copy(this.body, 0, bodyStart, this.end);
        this.start = this.end = 0;
        if (kind === FRAME_PIECE) {
          this.bodyHash = pieceHashing();
          this.hashedTo = PIECE_DATA_OFFSET;
          this.hashBody();
        }
      }
      break;
    }
    if (this.start === this.end) this.start = this.end = 0;
    return frames;
  }

  private hashBody(): void {
    if (this.bodyHash && this.bodyFilled > this.hashedTo) {
      this.bodyHash.update(this.body!.subarray(this.hashedTo, this.bodyFilled));
      this.hashedTo = this.bodyFilled;
    }
  }
}

function checkLength(length: number, maxFrameBytes: number): void {
  if (length === 0) throw new ProtocolError('bad_frame', 'empty frame');
  if (length > maxFrameBytes) throw new ProtocolError('too_large', `frame of ${length} bytes exceeds the ${maxFrameBytes}-byte limit`);
}

function checkKind(length: number, kind: number, acceptsPieces: boolean): void {
  if (kind === FRAME_CONTROL) {
    if (length - 1 > MAX_CONTROL_BYTES) throw new ProtocolError('too_large', 'control message too large');
  } else if (kind === FRAME_PIECE) {
    if (!acceptsPieces) throw new ProtocolError('bad_frame', 'piece data sent to a server (piece frames only answer a request)');
    if (length < 5) throw new ProtocolError('bad_frame', 'piece frame shorter than its header');
  } else {
    throw new ProtocolError('bad_frame', `unknown frame kind ${kind}`);
  }
}

/**
 * A body read into its own buffer comes with the digest of its piece data; a body
 * still in the reused scratch buffer has its piece data copied out (and hashed) here.
 */
function decodeBody(body: Buffer, digest?: Buffer): Frame {
  if (body[0] === FRAME_CONTROL) {
    let message: unknown;
    try {
      message = JSON.parse(body.toString('utf8', 1));
    } catch {
      throw new ProtocolError('bad_message', 'control frame is not valid JSON');
    }
    if (message === null || typeof message !== 'object' || Array.isArray(message)) {
      throw new ProtocolError('bad_message', 'control frame is not a JSON object');
    }
    return { kind: FRAME_CONTROL, message };
  }
  // A piece: checkKind has seen its kind and minimum length.
  const id = body.readUInt32BE(1);
  if (digest) return { kind: FRAME_PIECE, id, data: body.subarray(PIECE_DATA_OFFSET), digest };
  const data = pieceBuffers.take(body.length - PIECE_DATA_OFFSET);
  body.copy(data, 0, PIECE_DATA_OFFSET);
  return { kind: FRAME_PIECE, id, data, digest: hashPiece(data) };
}

import { MAX_CONTROL_BYTES, MAX_FRAME_BYTES } from '../../../shared/protocol/limits.js';
import type { WireMessage } from '../../../shared/protocol/messages.js';
import { ProtocolError } from '../errors.js';
import { pieceBuffers } from './buffer-pool.js';

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
  | { kind: typeof FRAME_PIECE; id: number; data: Buffer };

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

/** Incremental decoder: feed it socket chunks, get whole frames back. Throws ProtocolError. */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private bodyLength = -1;

  constructor(private readonly maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Bytes held waiting for the rest of a frame. */
  get pendingBytes(): number {
    return this.buffered;
  }

  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    for (;;) {
      if (this.bodyLength < 0) {
        if (this.buffered < HEADER_BYTES) break;
        const length = this.take(HEADER_BYTES).readUInt32BE(0);
        if (length === 0) throw new ProtocolError('bad_frame', 'empty frame');
        if (length > this.maxFrameBytes) {
          throw new ProtocolError('too_large', `frame of ${length} bytes exceeds the ${this.maxFrameBytes}-byte limit`);
        }
        this.bodyLength = length;
      }
      if (this.buffered < this.bodyLength) break;
      // Piece bodies spanning several chunks are gathered into a pooled buffer (see BufferPool).
      const body = this.take(this.bodyLength, this.chunks[0]![0] === FRAME_PIECE);
      this.bodyLength = -1;
      frames.push(decodeBody(body));
    }
    return frames;
  }

  /** Removes and returns the next n buffered bytes; zero-copy when they sit in one chunk. */
  private take(n: number, pooled = false): Buffer {
    const first = this.chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
    } else {
      out = pooled ? pieceBuffers.take(n) : Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const head = this.chunks[0]!;
        const want = Math.min(head.length, n - filled);
        head.copy(out, filled, 0, want);
        filled += want;
        if (want === head.length) this.chunks.shift();
        else this.chunks[0] = head.subarray(want);
      }
    }
    this.buffered -= n;
    return out;
  }
}

function decodeBody(body: Buffer): Frame {
  const kind = body[0];
  if (kind === FRAME_CONTROL) {
    if (body.length - 1 > MAX_CONTROL_BYTES) throw new ProtocolError('too_large', 'control message too large');
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
  if (kind === FRAME_PIECE) {
    if (body.length < 5) throw new ProtocolError('bad_frame', 'piece frame shorter than its header');
    return { kind: FRAME_PIECE, id: body.readUInt32BE(1), data: body.subarray(5) };
  }
  throw new ProtocolError('bad_frame', `unknown frame kind ${kind}`);
}

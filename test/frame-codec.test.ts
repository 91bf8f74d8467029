import { createHash, randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import {
  FRAME_CONTROL,
  FRAME_PIECE,
  FrameDecoder,
  encodeControl,
  encodePieceHeader,
  type Frame,
} from '../electron/engine/wire/frame-codec.js';
import { ProtocolError } from '../electron/engine/errors.js';
import { MAX_CONTROL_BYTES, MAX_FRAME_BYTES } from '../shared/protocol/limits.js';
import type { WireMessage } from '../shared/protocol/messages.js';
import { prng } from './support/prng.js';

/** Builds a frame by hand: u32be body length, kind byte, payload. */
function rawFrame(kind: number, payload: Buffer | string): Buffer {
  const body = Buffer.concat([Buffer.from([kind]), typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload]);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

function lengthHeader(length: number): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(length, 0);
  return header;
}

function pieceFrame(id: number, data: Buffer): Buffer {
  return Buffer.concat([encodePieceHeader(id, data.length), data]);
}

/** Runs `fn` and returns the ProtocolError it throws; fails the test if it throws something else or nothing. */
function protocolErrorOf(fn: () => unknown): ProtocolError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    return err as ProtocolError;
  }
  throw new Error('expected a ProtocolError, but nothing was thrown');
}

function decodeOne(bytes: Buffer): Frame {
  const decoder = new FrameDecoder();
  const frames = decoder.push(bytes);
  expect(frames).toHaveLength(1);
  expect(decoder.pendingBytes).toBe(0);
  return frames[0]!;
}

/** Normalises frames so piece data (a Buffer view) compares by content. */
/** A decoded frame, or an expected one written without the digest the decoder adds. */
type ComparableFrame = Frame | { kind: typeof FRAME_PIECE; id: number; data: Buffer };

function plain(frames: ComparableFrame[]): unknown[] {
  return frames.map((f) => ('data' in f ? { kind: f.kind, id: f.id, data: [...f.data] } : f));
}

const ping: WireMessage = { type: 'ping', id: 7 };
const bye: WireMessage = { type: 'bye' };
const errorMsg: WireMessage = { type: 'error', id: 3, code: 'not_found', message: 'nö — 見つかりません' };

describe('encodeControl / decode round trip', () => {
  it('decodes a control frame to the same message', () => {
    const frame = decodeOne(encodeControl(ping));
    expect(frame).toEqual({ kind: FRAME_CONTROL, message: ping });
  });

  it('keeps non-ASCII text intact', () => {
    const frame = decodeOne(encodeControl(errorMsg));
    expect(frame).toEqual({ kind: FRAME_CONTROL, message: errorMsg });
  });

  it('writes the body length (kind byte + JSON) in the 4-byte big-endian header', () => {
    const encoded = encodeControl(bye);
    const json = Buffer.from(JSON.stringify(bye), 'utf8');
    expect(encoded.readUInt32BE(0)).toBe(json.length + 1);
    expect(encoded[4]).toBe(FRAME_CONTROL);
    expect(encoded.subarray(5).equals(json)).toBe(true);
    expect(encoded.length).toBe(4 + 1 + json.length);
  });

  it('refuses to encode a control message larger than MAX_CONTROL_BYTES', () => {
    const big = { type: 'error', code: 'internal', message: 'x'.repeat(MAX_CONTROL_BYTES) } as unknown as WireMessage;
    expect(() => encodeControl(big)).toThrow(RangeError);
  });
});

describe('encodePieceHeader / decode round trip', () => {
  it('decodes a piece frame to the same id and bytes', () => {
    const data = Buffer.from([0, 1, 2, 3, 250, 251, 252, 253, 254, 255]);
    const frame = decodeOne(pieceFrame(42, data));
    expect(frame.kind).toBe(FRAME_PIECE);
    if (frame.kind !== FRAME_PIECE) return;
    expect(frame.id).toBe(42);
    expect(frame.data.equals(data)).toBe(true);
  });

  it('round-trips the largest request id and an empty piece', () => {
    const frame = decodeOne(pieceFrame(0xffffffff, Buffer.alloc(0)));
    expect(frame).toMatchObject({ kind: FRAME_PIECE, id: 0xffffffff });
    if (frame.kind === FRAME_PIECE) expect(frame.data.length).toBe(0);
  });

  it('header is 9 bytes: length, kind, u32be id', () => {
    const header = encodePieceHeader(0x01020304, 100);
    expect(header.length).toBe(9);
    expect(header.readUInt32BE(0)).toBe(1 + 4 + 100);
    expect(header[4]).toBe(FRAME_PIECE);
    expect(header.readUInt32BE(5)).toBe(0x01020304);
  });

  it('accepts a piece that exactly fills MAX_FRAME_BYTES and refuses one byte more', () => {
    expect(() => encodePieceHeader(1, MAX_FRAME_BYTES - 5)).not.toThrow();
    expect(() => encodePieceHeader(1, MAX_FRAME_BYTES - 4)).toThrow(RangeError);
  });

  it('decodes a maximum-size piece frame', () => {
    const data = Buffer.alloc(MAX_FRAME_BYTES - 5, 0xab);
    const frame = decodeOne(pieceFrame(9, data));
    expect(frame.kind).toBe(FRAME_PIECE);
    if (frame.kind === FRAME_PIECE) {
      expect(frame.data.length).toBe(MAX_FRAME_BYTES - 5);
      expect(frame.data.every((b) => b === 0xab)).toBe(true);
    }
  });
});

describe('FrameDecoder chunking', () => {
  const stream = Buffer.concat([
    encodeControl(ping),
    pieceFrame(1, Buffer.from('hello piece')),
    encodeControl(errorMsg),
    pieceFrame(2, Buffer.alloc(0)),
    encodeControl(bye),
  ]);
  const expected: unknown[] = [
    { kind: FRAME_CONTROL, message: ping },
    { kind: FRAME_PIECE, id: 1, data: [...Buffer.from('hello piece')] },
    { kind: FRAME_CONTROL, message: errorMsg },
    { kind: FRAME_PIECE, id: 2, data: [] },
    { kind: FRAME_CONTROL, message: bye },
  ];

  it('decodes many frames arriving in one chunk', () => {
    const decoder = new FrameDecoder();
    expect(plain(decoder.push(stream))).toEqual(expected);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('decodes the same frames fed one byte at a time', () => {
    const decoder = new FrameDecoder();
    const frames: Frame[] = [];
    for (let i = 0; i < stream.length; i++) {
      // Copy the byte so the decoder cannot rely on neighbouring memory of the original buffer.
      frames.push(...decoder.push(Buffer.from([stream[i]!])));
    }
    expect(plain(frames)).toEqual(expected);
    expect(decoder.pendingBytes).toBe(0);
  });

  it('decodes the same frames when the stream is split in two at every byte boundary', () => {
    for (let cut = 0; cut <= stream.length; cut++) {
      const decoder = new FrameDecoder();
      const frames = [
        ...decoder.push(Buffer.from(stream.subarray(0, cut))),
        ...decoder.push(Buffer.from(stream.subarray(cut))),
      ];
      expect(plain(frames), `cut at ${cut}`).toEqual(expected);
      expect(decoder.pendingBytes).toBe(0);
    }
  });

  it('returns nothing for a partial frame and completes it on the next chunk', () => {
    const frame = encodeControl(ping);
    const decoder = new FrameDecoder();
    expect(decoder.push(frame.subarray(0, 3))).toEqual([]);
    expect(decoder.push(frame.subarray(3, frame.length - 1))).toEqual([]);
    expect(decoder.push(frame.subarray(frame.length - 1))).toEqual([{ kind: FRAME_CONTROL, message: ping }]);
  });

  it('ignores empty chunks', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.pendingBytes).toBe(0);
    const frame = encodeControl(ping);
    decoder.push(frame.subarray(0, 6));
    expect(decoder.push(Buffer.alloc(0))).toEqual([]);
    expect(decoder.push(frame.subarray(6))).toEqual([{ kind: FRAME_CONTROL, message: ping }]);
  });

  it('decoded piece data is not corrupted by later pushes into the decoder', () => {
    const decoder = new FrameDecoder();
    const a = Buffer.from('first-piece-data');
    const [first] = decoder.push(pieceFrame(1, a));
    decoder.push(pieceFrame(2, Buffer.from('second-piece-data')));
    expect(first?.kind).toBe(FRAME_PIECE);
    if (first?.kind === FRAME_PIECE) expect(first.data.equals(a)).toBe(true);
  });
});

describe('FrameDecoder pendingBytes', () => {
  it('counts bytes held for an incomplete frame and drops to 0 when it completes', () => {
    const frame = pieceFrame(5, Buffer.alloc(1000, 1));
    const decoder = new FrameDecoder();
    decoder.push(frame.subarray(0, 2));
    expect(decoder.pendingBytes).toBe(2);
    decoder.push(frame.subarray(2, 500));
    // The header counts: a frame has started once its first byte is here (the deadline runs from then).
    expect(decoder.pendingBytes).toBe(500);
    decoder.push(frame.subarray(500));
    expect(decoder.pendingBytes).toBe(0);
  });

  it('stays below one frame (header + body) while a long stream trickles in', () => {
    const frames = Array.from({ length: 20 }, (_, i) => pieceFrame(i, Buffer.alloc(100 + i * 7, i)));
    const largest = Math.max(...frames.map((f) => f.length));
    const stream = Buffer.concat(frames);
    const decoder = new FrameDecoder();
    let decoded = 0;
    let peak = 0;
    for (let i = 0; i < stream.length; i += 13) {
      decoded += decoder.push(stream.subarray(i, i + 13)).length;
      peak = Math.max(peak, decoder.pendingBytes);
    }
    expect(decoded).toBe(20);
    expect(peak).toBeLessThan(largest);
    expect(decoder.pendingBytes).toBe(0);
  });
});

describe('FrameDecoder rejects bad input', () => {
  it('rejects a zero-length frame', () => {
    const err = protocolErrorOf(() => new FrameDecoder().push(lengthHeader(0)));
    expect(err.code).toBe('bad_frame');
  });

  it('rejects an oversize length header before any body arrives', () => {
    const decoder = new FrameDecoder();
    const err = protocolErrorOf(() => decoder.push(lengthHeader(MAX_FRAME_BYTES + 1)));
    expect(err.code).toBe('too_large');
  });

  it('rejects an oversize length header even when it arrives byte by byte', () => {
    const decoder = new FrameDecoder();
    const header = lengthHeader(0xffffffff);
    for (let i = 0; i < 3; i++) expect(decoder.push(header.subarray(i, i + 1))).toEqual([]);
    expect(protocolErrorOf(() => decoder.push(header.subarray(3))).code).toBe('too_large');
  });

  it('accepts a length of exactly MAX_FRAME_BYTES and waits for the body', () => {
    const decoder = new FrameDecoder();
    expect(decoder.push(lengthHeader(MAX_FRAME_BYTES))).toEqual([]);
    expect(decoder.pendingBytes).toBe(4);
  });

  it('honours a smaller limit passed to the constructor', () => {
    const decoder = new FrameDecoder(64);
    expect(decoder.push(pieceFrame(1, Buffer.alloc(64 - 5)))).toHaveLength(1);
    expect(protocolErrorOf(() => decoder.push(pieceFrame(1, Buffer.alloc(64 - 4)))).code).toBe('too_large');
  });

  it('rejects an unknown frame kind', () => {
    for (const kind of [2, 7, 255]) {
      const err = protocolErrorOf(() => new FrameDecoder().push(rawFrame(kind, 'whatever')));
      expect(err.code).toBe('bad_frame');
    }
  });

  it('rejects a control frame that is not valid JSON', () => {
    for (const text of ['{', '{"type":', 'not json', '', "{'a':1}"]) {
      const err = protocolErrorOf(() => new FrameDecoder().push(rawFrame(FRAME_CONTROL, text)));
      expect(err.code, JSON.stringify(text)).toBe('bad_message');
    }
  });

  it('rejects a control frame whose JSON is not an object', () => {
    for (const text of ['[]', '[{"type":"bye"}]', '42', 'null', '"bye"', 'true']) {
      const err = protocolErrorOf(() => new FrameDecoder().push(rawFrame(FRAME_CONTROL, text)));
      expect(err.code, text).toBe('bad_message');
    }
  });

  it('rejects a control frame larger than MAX_CONTROL_BYTES even within MAX_FRAME_BYTES', () => {
    const json = `{"type":"bye","pad":"${'x'.repeat(MAX_CONTROL_BYTES)}"}`;
    const err = protocolErrorOf(() => new FrameDecoder().push(rawFrame(FRAME_CONTROL, json)));
    expect(err.code).toBe('too_large');
  });

  it('rejects a piece frame shorter than its 4-byte id', () => {
    for (let idBytes = 0; idBytes < 4; idBytes++) {
      const err = protocolErrorOf(() => new FrameDecoder().push(rawFrame(FRAME_PIECE, Buffer.alloc(idBytes))));
      expect(err.code, `${idBytes} id bytes`).toBe('bad_frame');
    }
  });
});

/** Reads `stream` through readTarget/filled the way a socket with `onread` does, `sizes()` bytes at most per read. */
function readThrough(decoder: FrameDecoder, stream: Buffer, sizes: () => number): Frame[] {
  const frames: Frame[] = [];
  for (let at = 0; at < stream.length; ) {
    const target = decoder.readTarget();
    expect(target.length).toBeGreaterThan(0);
    const n = Math.min(target.length, sizes(), stream.length - at);
    stream.copy(target, 0, at, at + n);
    at += n;
    frames.push(...decoder.filled(n));
  }
  return frames;
}


describe('FrameDecoder with reads steered into its buffers', () => {
  const big = randomBytes(1024 * 1024);
  const largeControl: WireMessage = { type: 'error', id: 5, code: 'internal', message: 'y'.repeat(100_000) };
  const stream = Buffer.concat([
    encodeControl(ping),
    pieceFrame(1, big),
    encodeControl(largeControl),
    pieceFrame(2, Buffer.from('tail piece')),
    encodeControl(errorMsg),
    pieceFrame(3, big.subarray(0, 70_000)),
    encodeControl(bye),
  ]);
  const expected = plain([
    { kind: FRAME_CONTROL, message: ping },
    { kind: FRAME_PIECE, id: 1, data: big },
    { kind: FRAME_CONTROL, message: largeControl },
    { kind: FRAME_PIECE, id: 2, data: Buffer.from('tail piece') },
    { kind: FRAME_CONTROL, message: errorMsg },
    { kind: FRAME_PIECE, id: 3, data: big.subarray(0, 70_000) },
    { kind: FRAME_CONTROL, message: bye },
  ]);

  it('decodes the same frames whatever the read sizes', () => {
    for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const random = prng(seed);
      const maxRead = [1, 7, 4096, 65536, 1 << 20][seed % 5]!;
      const decoder = new FrameDecoder();
      const frames = readThrough(decoder, stream, () => 1 + Math.floor(random() * maxRead));
      expect(plain(frames), `seed ${seed}`).toEqual(expected);
      expect(decoder.pendingBytes).toBe(0);
      // Each piece comes with the SHA-256 of its data, taken as the reads landed.
      for (const frame of frames) if (frame.kind === FRAME_PIECE) expect(frame.digest.equals(createHash('sha256').update(frame.data).digest())).toBe(true);
    }
  });

  it('reads a piece body in place: the header read stops at the kind byte, the body lands in the buffer handed out', () => {
    const decoder = new FrameDecoder();
    const frame = pieceFrame(9, big);
    expect(decoder.readTarget().length).toBe(5); // length + kind, nothing of the body
    frame.copy(decoder.readTarget(), 0, 0, 5);
    expect(decoder.filled(5)).toEqual([]);
    const target = decoder.readTarget();
    expect(target.length).toBe(4 + big.length); // request id and piece, in one buffer
    frame.copy(target, 0, 5);
    const [piece] = decoder.filled(target.length);
    if (piece?.kind !== FRAME_PIECE) throw new Error('expected a piece frame');
    expect(piece.id).toBe(9);
    expect(piece.data.buffer).toBe(target.buffer); // the same memory: no copy after the read
    expect(piece.data.equals(big)).toBe(true);
  });

  it('checks length and kind before allocating a body', () => {
    const decoder = new FrameDecoder();
    const header = Buffer.concat([lengthHeader(MAX_FRAME_BYTES), Buffer.from([9])]);
    header.copy(decoder.readTarget());
    expect(protocolErrorOf(() => decoder.filled(5)).code).toBe('bad_frame');
    const control = Buffer.concat([lengthHeader(MAX_CONTROL_BYTES + 2), Buffer.from([FRAME_CONTROL])]);
    const second = new FrameDecoder();
    control.copy(second.readTarget());
    expect(protocolErrorOf(() => second.filled(5)).code).toBe('too_large');
  });
});

describe('FrameDecoder scratch-buffer edges', () => {
  const controlOfBody = (bodyBytes: number): Buffer => {
    // {"type":"bye","pad":"xx…"} padded so kind byte + JSON is exactly bodyBytes long.
    const base = JSON.stringify({ type: 'bye', pad: '' });
    return rawFrame(FRAME_CONTROL, JSON.stringify({ type: 'bye', pad: 'x'.repeat(bodyBytes - 1 - base.length) }));
  };

  it('decodes control frames that just fit the scratch buffer and just do not, after another frame', () => {
    for (const bodyBytes of [64 * 1024 - 4, 64 * 1024 - 3]) {
      const stream = Buffer.concat([encodeControl(ping), controlOfBody(bodyBytes), pieceFrame(4, Buffer.from('after'))]);
      for (const maxRead of [3, 1000, 70_000]) {
        const frames = readThrough(new FrameDecoder(), stream, () => maxRead);
        expect(frames.map((f) => f.kind), `${bodyBytes} / ${maxRead}`).toEqual([FRAME_CONTROL, FRAME_CONTROL, FRAME_PIECE]);
        expect((frames[1] as { message: { pad: string } }).message.pad.length).toBe(bodyBytes - 1 - JSON.stringify({ type: 'bye', pad: '' }).length);
      }
      const pushed = new FrameDecoder();
      const viaPush = [...pushed.push(stream.subarray(0, 30_000)), ...pushed.push(stream.subarray(30_000))];
      expect(viaPush).toHaveLength(3);
    }
  });

  it('reads an empty piece through steered reads, with the digest of nothing', () => {
    const frames = readThrough(new FrameDecoder(), Buffer.concat([pieceFrame(1, Buffer.alloc(0)), encodeControl(bye)]), () => 64);
    expect(frames).toHaveLength(2);
    const piece = frames[0]!;
    if (piece.kind !== FRAME_PIECE) throw new Error('expected a piece');
    expect(piece.data.length).toBe(0);
    expect(piece.digest.equals(createHash('sha256').digest())).toBe(true);
  });

  it('stops a read after a control frame at the next kind byte, so a piece body after it is not read into the scratch', () => {
    const decoder = new FrameDecoder();
    const control = encodeControl(ping);
    control.copy(decoder.readTarget(), 0, 0, 5);
    decoder.filled(5);
    // The rest of the control frame, plus the next frame's length and kind: nothing more.
    expect(decoder.readTarget().length).toBe(control.length - 5 + 5);
  });
});

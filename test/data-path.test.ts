import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PieceHasher } from '../electron/engine/index/piece-hasher.js';
import { BufferPool, pieceBuffers } from '../electron/engine/wire/buffer-pool.js';
import { FRAME_PIECE, FrameDecoder, encodeControl, encodePieceHeader } from '../electron/engine/wire/frame-codec.js';
import { Fixtures, announced, eventually, writeRandomFile } from './support/fixtures.js';
import { RawClient } from './support/raw-client.js';

const MiB = 1024 * 1024;
const sha = (data: Uint8Array) => createHash('sha256').update(data).digest();

describe('BufferPool', () => {
  it('hands a given-back buffer out again, never twice at once', () => {
    const pool = new BufferPool(1024, 4);
    const a = pool.take(1000);
    expect(a.length).toBe(1000);
    expect(pool.owns(a)).toBe(true);
    pool.give(a);
    pool.give(a); // a double give must not put the same memory in the pool twice
    expect(pool.freeCount).toBe(1);
    const b = pool.take(10);
    const c = pool.take(10);
    expect(b.buffer).toBe(a.buffer);
    expect(c.buffer).not.toBe(b.buffer);
  });

  it('ignores foreign buffers and allocates oversize requests outside the pool', () => {
    const pool = new BufferPool(1024, 4);
    pool.give(Buffer.alloc(1024 + 1));
    pool.give(Buffer.from('small'));
    expect(pool.freeCount).toBe(0);
    const big = pool.take(4096);
    expect(big.length).toBe(4096);
    expect(pool.owns(big)).toBe(false);
  });

  it('keeps at most `keep` free buffers', () => {
    const pool = new BufferPool(64, 2);
    const taken = [pool.take(64), pool.take(64), pool.take(64)];
    for (const b of taken) pool.give(b);
    expect(pool.freeCount).toBe(2);
  });
});

describe('PieceHasher', () => {
  const hasher = new PieceHasher(2);

  it('hashes movable pieces on a worker and hands the same bytes back', async () => {
    const pieces = Array.from({ length: 12 }, () => {
      const buf = pieceBuffers.take(MiB);
      randomBytes(MiB).copy(buf);
      return buf;
    });
    const expected = pieces.map((p) => ({ digest: sha(p), copy: Buffer.from(p) }));
    const results = await Promise.all(pieces.map((p) => hasher.hash(p, true)));
    results.forEach((r, i) => {
      expect(r.digest.equals(expected[i]!.digest)).toBe(true);
      expect(r.data.equals(expected[i]!.copy)).toBe(true);
      // The memory really moved: the caller's old view is detached.
      expect(pieces[i]!.byteLength).toBe(0);
    });
    await hasher.close();
  });

  it('hashes shared memory in place and leaves it usable', async () => {
    const chunk = randomBytes(64 * 1024);
    const slice = chunk.subarray(100, 5000);
    const { digest, data } = await hasher.hash(slice, false);
    expect(digest.equals(sha(slice))).toBe(true);
    expect(data).toBe(slice);
    expect(chunk.byteLength).toBe(64 * 1024);
    await hasher.close();
  });
});

describe('FrameDecoder and the pool', () => {
  it('gathers a piece spanning chunks into a pooled buffer, and control frames into ordinary ones', () => {
    const data = randomBytes(MiB);
    const wire = Buffer.concat([encodePieceHeader(7, data.length), data, encodeControl({ type: 'ping', id: 1 })]);
    const decoder = new FrameDecoder();
    const frames = [];
    for (let at = 0; at < wire.length; at += 64 * 1024) frames.push(...decoder.push(wire.subarray(at, at + 64 * 1024)));
    expect(frames).toHaveLength(2);
    const piece = frames[0]!;
    if (piece.kind !== FRAME_PIECE) throw new Error('expected a piece frame');
    expect(piece.id).toBe(7);
    expect(piece.data.equals(data)).toBe(true);
    expect(pieceBuffers.owns(piece.data)).toBe(true);
    expect(frames[1]).toEqual({ kind: 0, message: { type: 'ping', id: 1 } });
  });
});

describe('peer server request queue', () => {
  const fx = new Fixtures();
  afterEach(() => fx.cleanup());

  it('drops requests cancelled before they are served, and serves the rest in full', async () => {
    const tracker = await fx.tracker();
    const folder = await fx.tempDir();
    const data = await writeRandomFile(path.join(folder, 'big.bin'), 48 * MiB);
    const seeder = await fx.peer(tracker.port, { folder });
    await announced(seeder.engine);
    const [file] = seeder.engine.sharedFiles();
    const raw = await RawClient.connect(seeder.engine.port);
    fx.defer(() => raw.destroy());
    raw.hello();
    await raw.waitFor((m) => m.type === 'welcome');
    // 48 requests and, in the same breath, cancels for the last 24: those are still queued.
    const frames = [];
    for (let i = 0; i < 48; i++) frames.push(encodeControl({ type: 'request', id: 100 + i, hash: file!.hash, index: i }));
    for (let i = 24; i < 48; i++) frames.push(encodeControl({ type: 'cancel', id: 100 + i }));
    raw.sendRaw(Buffer.concat(frames));
    await eventually(() => raw.pieces.length >= 24 || undefined, 20_000, '24 pieces');
    await new Promise((r) => setTimeout(r, 300));
    const ids = raw.pieces.map((p) => p.id);
    // At most the few pieces already read ahead when the cancels arrived may slip through.
    expect(ids.length).toBeLessThanOrEqual(28);
    expect(ids.filter((id) => id >= 100 + 28)).toEqual([]);
    for (const piece of raw.pieces) {
      const index = piece.id - 100;
      expect(piece.data.equals(data.subarray(index * MiB, (index + 1) * MiB))).toBe(true);
    }
  });
});


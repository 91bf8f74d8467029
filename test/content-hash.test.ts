import { afterEach, beforeEach, describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {
  HASH_BYTES,
  contentHashOf,
  contentInfoOf,
  pieceCount,
  pieceHashAt,
  pieceLength,
} from '../electron/engine/core/content-hash.js';
import { hashFile } from '../electron/engine/index/file-hash.js';
import { HashCache } from '../electron/engine/index/hash-cache.js';
import { PIECE_SIZE } from '../shared/protocol/limits.js';
import { seededBytes } from './support/prng.js';

const MiB = 1024 * 1024;

function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** Independent implementation of the v1 content hash from its definition. */
function referenceHash(data: Buffer): { hash: string; pieces: Buffer[] } {
  const pieces: Buffer[] = [];
  for (let off = 0; off < data.length; off += PIECE_SIZE) pieces.push(sha256(data.subarray(off, off + PIECE_SIZE)));
  const header = Buffer.alloc(12);
  header.writeBigUInt64BE(BigInt(data.length), 0);
  header.writeUInt32BE(PIECE_SIZE, 8);
  const hash = createHash('sha256')
    .update(Buffer.from('p2pshare/v1\0', 'ascii'))
    .update(header)
    .update(Buffer.concat(pieces))
    .digest('hex');
  return { hash, pieces };
}

const bytes = seededBytes;

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'p2pshare-hash-test-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('piece arithmetic', () => {
  it('pieceCount rounds up', () => {
    expect(pieceCount(0)).toBe(0);
    expect(pieceCount(1)).toBe(1);
    expect(pieceCount(PIECE_SIZE)).toBe(1);
    expect(pieceCount(PIECE_SIZE + 1)).toBe(2);
    expect(pieceCount(10, 4)).toBe(3);
  });

  it('pieceLength is full except for the last piece', () => {
    expect(pieceLength(0, PIECE_SIZE + 1)).toBe(PIECE_SIZE);
    expect(pieceLength(1, PIECE_SIZE + 1)).toBe(1);
    expect(pieceLength(0, 5)).toBe(5);
    expect(pieceLength(2, 10, 4)).toBe(2);
  });
});

describe('contentInfoOf and hashFile', () => {
  it.each([
    ['empty', 0, 0],
    ['1 byte', 1, 1],
    ['exactly 1 MiB', MiB, 1],
    ['1 MiB + 1', MiB + 1, 2],
    ['2.5 MiB', 2.5 * MiB, 3],
  ])('%s gives %i bytes in %i pieces, matching the definition and hashFile', async (_label, size, pieces) => {
    const data = bytes(size, size + 7);
    const info = contentInfoOf(data);
    const ref = referenceHash(data);

    expect(info.size).toBe(size);
    expect(info.pieceSize).toBe(PIECE_SIZE);
    expect(pieceCount(info.size)).toBe(pieces);
    expect(info.pieceHashes.length).toBe(pieces * HASH_BYTES);
    expect(info.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(info.hash).toBe(ref.hash);
    for (let i = 0; i < pieces; i++) expect(pieceHashAt(info.pieceHashes, i).equals(ref.pieces[i]!), `piece ${i}`).toBe(true);
    expect(contentHashOf(info.size, info.pieceSize, info.pieceHashes)).toBe(info.hash);

    const file = path.join(dir, 'data.bin');
    await writeFile(file, data);
    const fromFile = await hashFile(file);
    expect(fromFile.hash).toBe(info.hash);
    expect(fromFile.size).toBe(size);
    expect(fromFile.pieceSize).toBe(PIECE_SIZE);
    expect(fromFile.pieceHashes.equals(info.pieceHashes)).toBe(true);
  });

  it('the empty hash still commits to size and piece size', () => {
    const empty = contentInfoOf(Buffer.alloc(0));
    expect(empty.pieceHashes.length).toBe(0);
    expect(empty.hash).not.toBe(sha256(Buffer.alloc(0)).toString('hex'));
    expect(empty.hash).not.toBe(contentInfoOf(Buffer.alloc(0), 4).hash);
  });

  it('changing any one byte changes the hash, and only the piece that holds it', () => {
    const data = bytes(MiB + 100, 3);
    const base = contentInfoOf(data);
    for (const at of [0, MiB - 1, MiB, MiB + 99]) {
      const changed = Buffer.from(data);
      changed[at] = changed[at]! ^ 0x01;
      const info = contentInfoOf(changed);
      expect(info.hash, `byte ${at}`).not.toBe(base.hash);
      const piece = Math.floor(at / PIECE_SIZE);
      expect(pieceHashAt(info.pieceHashes, piece).equals(pieceHashAt(base.pieceHashes, piece))).toBe(false);
      expect(pieceHashAt(info.pieceHashes, 1 - piece).equals(pieceHashAt(base.pieceHashes, 1 - piece))).toBe(true);
    }
  });

  it('appending a zero byte changes the hash (length is committed)', () => {
    const data = bytes(1000, 5);
    expect(contentInfoOf(Buffer.concat([data, Buffer.alloc(1)])).hash).not.toBe(contentInfoOf(data).hash);
  });

  it('honours a custom piece size for in-memory content', () => {
    const data = bytes(10, 9);
    const info = contentInfoOf(data, 4);
    expect(info.pieceSize).toBe(4);
    expect(info.pieceHashes.length).toBe(3 * HASH_BYTES);
    expect(pieceHashAt(info.pieceHashes, 2).equals(sha256(data.subarray(8, 10)))).toBe(true);
  });

  it('hashFile reports cumulative progress after each piece', async () => {
    const file = path.join(dir, 'progress.bin');
    await writeFile(file, bytes(2 * MiB + 10, 11));
    const seen: number[] = [];
    await hashFile(file, { onProgress: (n) => seen.push(n) });
    expect(seen).toEqual([MiB, 2 * MiB, 2 * MiB + 10]);
  });

  it('hashFile stops when its signal is aborted', async () => {
    const file = path.join(dir, 'abort.bin');
    await writeFile(file, bytes(MiB, 12));
    const controller = new AbortController();
    controller.abort();
    await expect(hashFile(file, { signal: controller.signal })).rejects.toThrow();
  });

  it('hashFile rejects for a missing file', async () => {
    await expect(hashFile(path.join(dir, 'missing.bin'))).rejects.toMatchObject({ code: 'ENOENT' });
  });
});

describe('HashCache', () => {
  const info = contentInfoOf(bytes(MiB + 5, 21));
  const mtime = 1_700_000_000_123.5;

  it('persists entries: a new instance loads them and hits on the same size and mtime', async () => {
    const file = path.join(dir, 'state', 'hash-cache.json'); // parent directory does not exist yet
    const first = new HashCache(file);
    await first.load();
    first.set('docs/a.bin', mtime, info);
    await first.flush();

    const second = new HashCache(file);
    await second.load();
    const got = second.get('docs/a.bin', info.size, mtime);
    expect(got).toBeDefined();
    expect(got!.hash).toBe(info.hash);
    expect(got!.size).toBe(info.size);
    expect(got!.pieceSize).toBe(PIECE_SIZE);
    expect(got!.pieceHashes.equals(info.pieceHashes)).toBe(true);
    expect(second.hits).toBe(1);
    expect(second.misses).toBe(0);
  });

  it('misses when the size, the mtime or the path differ', async () => {
    const file = path.join(dir, 'hash-cache.json');
    const first = new HashCache(file);
    first.set('a.bin', mtime, info);
    await first.flush();

    const cache = new HashCache(file);
    await cache.load();
    expect(cache.get('a.bin', info.size + 1, mtime)).toBeUndefined();
    expect(cache.get('a.bin', info.size, mtime + 1)).toBeUndefined();
    expect(cache.get('a.bin', info.size, Math.floor(mtime))).toBeUndefined();
    expect(cache.get('b.bin', info.size, mtime)).toBeUndefined();
    expect(cache.misses).toBe(4);
    expect(cache.hits).toBe(0);
    expect(cache.get('a.bin', info.size, mtime)?.hash).toBe(info.hash);
    expect(cache.hits).toBe(1);
  });

  it('a deleted entry is gone after reloading', async () => {
    const file = path.join(dir, 'hash-cache.json');
    const first = new HashCache(file);
    first.set('a.bin', mtime, info);
    first.set('b.bin', mtime, info);
    await first.flush();
    first.delete('a.bin');
    await first.flush();

    const second = new HashCache(file);
    await second.load();
    expect(second.get('a.bin', info.size, mtime)).toBeUndefined();
    expect(second.get('b.bin', info.size, mtime)?.hash).toBe(info.hash);
  });

  it('writes nothing when nothing changed', async () => {
    const file = path.join(dir, 'hash-cache.json');
    const cache = new HashCache(file);
    await cache.load();
    await cache.flush();
    await expect(readFile(file)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('loading a missing file gives an empty cache', async () => {
    const cache = new HashCache(path.join(dir, 'nope.json'));
    await expect(cache.load()).resolves.toBeUndefined();
    expect(cache.get('a.bin', 1, 1)).toBeUndefined();
  });

  it.each([
    ['not JSON', '{"version":1,"entries":{'],
    ['wrong version', JSON.stringify({ version: 2, entries: {} })],
    ['wrong shape', JSON.stringify({ version: 1, entries: { 'a.bin': ['x', 1, 'bad', ''] } })],
    ['a JSON array', '[]'],
    ['binary junk', '\u0000\u0001\u0002'],
  ])('a corrupt cache file (%s) loads as empty without throwing', async (_label, text) => {
    const file = path.join(dir, 'hash-cache.json');
    await writeFile(file, text);
    const cache = new HashCache(file);
    await expect(cache.load()).resolves.toBeUndefined();
    expect(cache.get('a.bin', info.size, mtime)).toBeUndefined();
    // And it recovers: new entries save over the damaged file.
    cache.set('a.bin', mtime, info);
    await cache.flush();
    const again = new HashCache(file);
    await again.load();
    expect(again.get('a.bin', info.size, mtime)?.hash).toBe(info.hash);
  });

  it('a corrupt file replaces entries loaded earlier rather than mixing with them', async () => {
    const file = path.join(dir, 'hash-cache.json');
    const writer = new HashCache(file);
    writer.set('a.bin', mtime, info);
    await writer.flush();
    const cache = new HashCache(file);
    await cache.load();
    await writeFile(file, 'garbage');
    await cache.load();
    expect(cache.get('a.bin', info.size, mtime)).toBeUndefined();
  });
});

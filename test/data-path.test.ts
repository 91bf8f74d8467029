import { createHash, randomBytes } from 'node:crypto';
import type net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ProtocolError } from '../electron/engine/errors.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { FramedConnection } from '../electron/engine/wire/connection.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { closeServer, listen, tcpTransport } from '../electron/engine/wire/transport.js';
import { PieceHasher } from '../electron/engine/index/piece-hasher.js';
import { BufferPool, pieceBuffers } from '../electron/engine/core/buffer-pool.js';
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


describe('direct reads (onread) on sockets we open', () => {
  const servers: net.Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => closeServer(s)));
  });
  const anyMessage = z.object({ type: z.string(), id: z.number().optional() }).passthrough();

  for (const [name, transport] of [
    ['plain TCP', tcpTransport],
    ['TLS', tlsTransport(generateNetworkKey())],
  ] as const) {
    it(`${name}: frames that arrive before the connection attaches are delivered, then pieces land whole`, async () => {
      const data = randomBytes(3 * MiB + 123);
      const server = transport.createServer((socket) => {
        socket.on('error', () => {});
        // Unasked: a control message at once, before the client has built its connection.
        socket.write(encodeControl({ type: 'ping', id: 1 }));
        socket.on('data', () => {
          // Any request: three pieces, written in odd-sized slices.
          const wire = Buffer.concat([0, 1, 2].map((i) => Buffer.concat([encodePieceHeader(1 + i, MiB), data.subarray(i * MiB, (i + 1) * MiB)])));
          for (let at = 0; at < wire.length; at += 77_777) socket.write(wire.subarray(at, at + 77_777));
        });
      });
      servers.push(server);
      const port = await listen(server, 0, '127.0.0.1', 'test server');
      const opened = await transport.connect('127.0.0.1', port, 5000);
      await new Promise((r) => setTimeout(r, 100)); // the ping arrives meanwhile
      const conn = new FramedConnection(opened.socket, anyMessage, { idleTimeoutMs: 0, callTimeoutMs: 5000 }, opened.reads);
      const messages: unknown[] = [];
      conn.on('message', (m) => messages.push(m));
      await eventually(() => messages.length > 0 || undefined, 5000, 'the early ping');
      expect(messages[0]).toEqual({ type: 'ping', id: 1 });
      const calls = [0, 1, 2].map(() => conn.callPiece({ type: 'request', hash: 'a'.repeat(64), index: 0 }));
      const pieces = await Promise.all(calls.map((c) => c.reply));
      expect(Buffer.concat(pieces.map((p) => p.data)).equals(data.subarray(0, 3 * MiB))).toBe(true);
      for (const [i, piece] of pieces.entries()) {
        expect(pieceBuffers.owns(piece.data)).toBe(true);
        expect(piece.digest.equals(sha(data.subarray(i * MiB, (i + 1) * MiB)))).toBe(true); // hashed as it arrived
      }
      conn.close();
    });
  }

  it('a malformed frame read directly closes that connection with a protocol error', async () => {
    const server = tcpTransport.createServer((socket) => {
      socket.on('error', () => {});
      socket.resume(); // read (and so see the client hang up), so the server can close after the test
      socket.write(Buffer.from([0, 0, 0, 9, 7, 1, 2, 3, 4, 5, 6, 7, 8])); // kind 7 does not exist
      socket.write(randomBytes(256 * 1024)); // and more bytes behind it, which must be dropped quietly
    });
    servers.push(server);
    const port = await listen(server, 0, '127.0.0.1', 'test server');
    const opened = await tcpTransport.connect('127.0.0.1', port, 5000);
    const conn = new FramedConnection(opened.socket, anyMessage, { idleTimeoutMs: 0, callTimeoutMs: 5000 }, opened.reads);
    const reason = await new Promise<Error | undefined>((resolve) => conn.once('close', resolve));
    expect(reason).toBeInstanceOf(ProtocolError);
    expect(reason?.message).toMatch(/unknown frame kind 7/);
  });
});

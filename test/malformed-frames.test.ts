import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Fixtures, announced, sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { RawClient } from './support/raw-client.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

function header(length: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(length);
  return b;
}

/** Each case: what to send after connecting, and what the closing error code should be. */
const BAD_INPUTS: Array<{ name: string; helloFirst: boolean; send: (c: RawClient) => void; code: string }> = [
  { name: 'length header over the frame limit', helloFirst: false, send: (c) => c.sendRaw(header(64 * 1024 * 1024)), code: 'too_large' },
  { name: 'zero-length frame', helloFirst: false, send: (c) => c.sendRaw(header(0)), code: 'bad_frame' },
  { name: 'unknown frame kind', helloFirst: false, send: (c) => c.sendRaw(Buffer.concat([header(2), Buffer.from([9, 9])])), code: 'bad_frame' },
  { name: 'invalid JSON', helloFirst: false, send: (c) => c.sendRaw(Buffer.concat([header(6), Buffer.from([0]), Buffer.from('{oops')])), code: 'bad_message' },
  { name: 'JSON array instead of object', helloFirst: false, send: (c) => c.sendRaw(Buffer.concat([header(3), Buffer.from([0]), Buffer.from('[]')])), code: 'bad_message' },
  { name: 'message before hello', helloFirst: false, send: (c) => c.send({ type: 'list', id: 1, query: '', offset: 0, limit: 10 }), code: 'bad_message' },
  { name: 'wrong protocol name', helloFirst: false, send: (c) => c.send({ type: 'hello', protocol: 'bittorrent' as 'p2pshare', versions: [1], peerId: 'ab'.repeat(16), listenPort: 1 }), code: 'bad_message' },
  { name: 'unsupported version', helloFirst: false, send: (c) => c.send({ type: 'hello', protocol: 'p2pshare', versions: [99], peerId: 'ab'.repeat(16), listenPort: 1 }), code: 'unsupported_version' },
  { name: 'unknown message type', helloFirst: true, send: (c) => c.send({ type: 'steal', id: 1 }), code: 'bad_message' },
  { name: 'field out of range', helloFirst: true, send: (c) => c.send({ type: 'lookup', id: -1, hash: 'a'.repeat(64) }), code: 'bad_message' },
  { name: 'piece frame where none is expected', helloFirst: true, send: (c) => c.sendRaw(Buffer.concat([header(3), Buffer.from([1, 0, 0])])), code: 'bad_frame' },
  // Well formed, but piece frames only answer a request: a server never takes one (nor hashes 2 MiB of it).
  { name: 'a whole piece frame sent to a server', helloFirst: true, send: (c) => c.sendRaw(Buffer.concat([header(9), Buffer.from([1, 0, 0, 0, 1, 1, 2, 3, 4])])), code: 'bad_frame' },
];

const TRACKER_ONLY: typeof BAD_INPUTS = [
  {
    name: 'announce with a traversal path',
    helloFirst: true,
    send: (c) => c.send({ type: 'announce', id: 1, reset: true, add: [{ path: '../../etc/passwd', size: 1, hash: 'a'.repeat(64) }], remove: [] }),
    code: 'bad_message',
  },
  {
    name: 'listing page over the limit',
    helloFirst: true,
    send: (c) => c.send({ type: 'list', id: 1, query: '', offset: 0, limit: 1_000_000 }),
    code: 'bad_message',
  },
];

describe('malformed frames against the tracker', () => {
  for (const bad of [...BAD_INPUTS, ...TRACKER_ONLY]) {
    it(`closes the connection on ${bad.name}, and keeps serving others`, async () => {
      const tracker = await fx.tracker();
      const warnings: string[] = [];
      tracker.on('warning', (w) => warnings.push(w));
      const folder = await fx.tempDir();
      await writeRandomFile(path.join(folder, 'ok.txt'), 10);
      const honest = await fx.peer(tracker.port, { folder });
      await announced(honest.engine);

      const raw = await RawClient.connect(tracker.port);
      fx.defer(() => raw.destroy());
      if (bad.helloFirst) {
        raw.hello('cd'.repeat(16), 9999);
        await raw.waitFor((m) => m.type === 'welcome');
      }
      bad.send(raw);
      await raw.waitClosed();
      // When the frame could be read, the tracker says why before hanging up.
      const error = raw.messages.find((m) => m.type === 'error');
      expect(error?.code).toBe(bad.code);
      expect(warnings.length).toBeGreaterThan(0);
      // The tracker is fine: the honest peer still lists.
      expect((await honest.engine.list()).items.map((i) => i.name)).toEqual(['ok.txt']);
    });
  }
});

describe('malformed frames against a peer', () => {
  for (const bad of BAD_INPUTS) {
    it(`closes the connection on ${bad.name}, and keeps serving others`, async () => {
      const tracker = await fx.tracker();
      const folder = await fx.tempDir();
      const data = await writeRandomFile(path.join(folder, 'file.bin'), 3 * 1024 * 1024);
      const seeder = await fx.peer(tracker.port, { folder });
      await announced(seeder.engine);
      const warnings: string[] = [];
      seeder.engine.on('warning', (w) => warnings.push(w));

      const raw = await RawClient.connect(seeder.engine.port);
      fx.defer(() => raw.destroy());
      if (bad.helloFirst) {
        raw.hello();
        await raw.waitFor((m) => m.type === 'welcome');
      }
      bad.send(raw);
      await raw.waitClosed();
      expect(raw.messages.find((m) => m.type === 'error')?.code).toBe(bad.code);
      expect(warnings.length).toBeGreaterThan(0);

      const leecher = await fx.peer(tracker.port);
      await announced(leecher.engine);
      const [item] = (await leecher.engine.list()).items;
      expect(await sha256File(await leecher.engine.fetch(item!))).toBe(sha256(data));
    });
  }

  it('serves only announced content: unknown hashes, out-of-range pieces and paths get nothing', async () => {
    const tracker = await fx.tracker();
    const folder = await fx.tempDir();
    await writeRandomFile(path.join(folder, 'a.txt'), 100);
    await writeRandomFile(path.join(folder, '.hidden-secret'), 100);
    const seeder = await fx.peer(tracker.port, { folder });
    const [file] = seeder.engine.sharedFiles();
    expect(seeder.engine.sharedFiles().map((f) => f.path)).toEqual(['a.txt']);

    const raw = await RawClient.connect(seeder.engine.port);
    fx.defer(() => raw.destroy());
    raw.hello();
    await raw.waitFor((m) => m.type === 'welcome');
    raw.send({ type: 'request', id: 1, hash: 'f'.repeat(64), index: 0 });
    raw.send({ type: 'get-meta', id: 2, hash: '0'.repeat(64) });
    raw.send({ type: 'request', id: 3, hash: file!.hash, index: 5 });
    raw.send({ type: 'request', id: 4, hash: file!.hash, index: 0 });
    for (const id of [1, 2, 3]) expect((await raw.waitFor((m) => m.id === id)).code).toBe('not_found');
    await expect.poll(() => raw.pieces.length).toBe(1);
    expect(raw.pieces[0]!.id).toBe(4);
    // A path instead of a hash is not even a valid request.
    raw.send({ type: 'request', id: 5, hash: '../../etc/passwd', index: 0 });
    await raw.waitClosed();
    expect(raw.messages.at(-1)?.code).toBe('bad_message');
  });
});

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PeerSource, directDial } from '../electron/engine/peer/peer-source.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { Fixtures, announced, writeRandomFile } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

/** `list` asked of a peer (docs/PROTOCOL.md §21): how members found on a LAN browse each other without a tracker. */
describe('a peer lists the files it shares itself', () => {
  it('answers list with its own files, filtered, sorted and paged like a tracker, over TLS to a member that proved its identity', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const folder = await fx.tempDir();
    await mkdir(path.join(folder, 'photos'));
    await writeRandomFile(path.join(folder, 'notes.txt'), 1000);
    await writeRandomFile(path.join(folder, 'photos', 'beach.jpg'), 70_000);
    await writeRandomFile(path.join(folder, 'photos', 'city.jpg'), 30_000);
    const holder = await fx.peer(tracker.port, { folder, networkKey: key });
    await announced(holder.engine);

    const me = PeerIdentity.generate();
    const source = await PeerSource.connect({ peerId: holder.engine.peerId, host: '127.0.0.1', port: holder.engine.port }, { peerId: me.peerId, listenPort: 0, identity: me }, directDial(tlsTransport(key)), 5000);
    try {
      const all = await source.list('', 0, 100);
      const shared = holder.engine.sharedFiles();
      expect(all.total).toBe(3);
      expect(all.items).toEqual(shared.map((f) => ({ name: f.path, size: f.size, hash: f.hash, peers: 1 })).sort((a, b) => (a.name < b.name ? -1 : 1)));
      expect((await source.list('photos/', 0, 100)).items.map((i) => i.name)).toEqual(['photos/beach.jpg', 'photos/city.jpg']);
      const second = await source.list('', 1, 1);
      expect([second.total, second.offset, second.items.map((i) => i.name)]).toEqual([3, 1, ['photos/beach.jpg']]);
      expect((await source.list('nothing like it', 0, 100)).items).toEqual([]);
    } finally {
      source.close();
    }
  });
});

import dgram from 'node:dgram';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Engine } from '../electron/engine/engine.js';
import { generateNetworkKey, type NetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { PeerSource, directDial } from '../electron/engine/peer/peer-source.js';
import { Download } from '../electron/engine/peer/download.js';
import { acceptHandshake } from '../electron/engine/wire/handshake.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { peerRequest } from '../shared/protocol/messages.js';
import { Fixtures, announced, eventually, sha256, sha256File, writeRandomFile } from './support/fixtures.js';
import { RawClient } from './support/raw-client.js';

const MiB = 1024 * 1024;
const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function secureNetwork(key: NetworkKey, fileName: string, size: number) {
  const tracker = await fx.tracker({ networkKey: key });
  const seedFolder = await fx.tempDir();
  const data = await writeRandomFile(path.join(seedFolder, fileName), size);
  const seeder = await fx.peer(tracker.port, { folder: seedFolder, networkKey: key });
  await announced(seeder.engine);
  return { tracker, seeder, data };
}

describe('a private network', () => {
  it('lists and downloads between members over TLS, each proving its identity', async () => {
    const key = generateNetworkKey();
    const { tracker, seeder, data } = await secureNetwork(key, 'secret plans.pdf', 3 * MiB);
    const leecher = await fx.peer(tracker.port, { networkKey: key });
    await announced(leecher.engine);
    const [item] = (await leecher.engine.list()).items;
    expect(item!.name).toBe('secret plans.pdf');
    const holders = await leecher.engine.findPeers(item!.hash);
    expect(holders.map((h) => h.peerId)).toEqual([seeder.engine.peerId]);
    expect(seeder.engine.peerId).toBe(seeder.engine.identity!.peerId);
    expect(await sha256File(await leecher.engine.fetch(item!))).toBe(sha256(data));
  });

  it('gives nothing to a client without the key, with a wrong key, or speaking raw TCP', async () => {
    const key = generateNetworkKey();
    const { tracker, seeder } = await secureNetwork(key, 'private.txt', 1000);
    const seederWarnings: string[] = [];
    seeder.engine.on('warning', (w) => seederWarnings.push(w));

    // No key (open mode): the TLS server never answers a plain hello.
    const open = new Engine({ dataDir: await fx.tempDir(), port: 0, trackers: [`127.0.0.1:${tracker.port}`], queryOnly: true, trackerBackoff: { baseMs: 100, maxMs: 200 } });
    await open.start();
    fx.defer(() => open.stop());
    await expect(open.waitForTracker(1500)).rejects.toMatchObject({ code: 'tracker_unreachable' });

    // A wrong key: the handshake fails and says why.
    const wrong = tlsTransport(generateNetworkKey());
    await expect(wrong.connect('127.0.0.1', tracker.port, 3000)).rejects.toMatchObject({ code: 'wrong_key', message: expect.stringMatching(/different network key/) });
    await expect(wrong.connect('127.0.0.1', seeder.engine.port, 3000)).rejects.toMatchObject({ code: 'wrong_key' });
    await eventually(() => seederWarnings.some((w) => /different network key/.test(w)), 3000, 'seeder warning');

    // Raw protocol bytes over TCP: the server replies with no protocol data at all.
    for (const port of [tracker.port, seeder.engine.port]) {
      const raw = await RawClient.connect(port);
      fx.defer(() => raw.destroy());
      const received: Buffer[] = [];
      raw.socket.on('data', (d: Buffer) => received.push(d));
      raw.hello();
      raw.send({ type: 'list', id: 1, query: '', offset: 0, limit: 10 });
      await raw.waitClosed();
      const bytes = Buffer.concat(received);
      expect(raw.messages).toEqual([]);
      expect(bytes.includes(Buffer.from('private'))).toBe(false);
      expect(bytes.includes(Buffer.from('{'))).toBe(false);
    }
  });

  it('leaves no plaintext file name or content on the wire (capture through a relay)', async () => {
    const key = generateNetworkKey();
    const captured: Buffer[] = [];
    // A TCP relay records every byte that crosses it, both ways, as a capture on the wire would.
    const relayTo = async (target: number): Promise<number> => {
      const relay = net.createServer((client) => {
        const upstream = net.connect(target, '127.0.0.1');
        client.on('data', (d: Buffer) => (captured.push(Buffer.from(d)), upstream.write(d)));
        upstream.on('data', (d: Buffer) => (captured.push(Buffer.from(d)), client.write(d)));
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        client.on('error', () => upstream.destroy());
        upstream.on('error', () => client.destroy());
      });
      await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
      fx.defer(() => new Promise((r) => relay.close(r)));
      const port = (relay.address() as net.AddressInfo).port;
      // The tracker's control plane (UDP, same port number) crosses a relay too, recorded the same way.
      const udp = dgram.createSocket('udp4');
      let client: { address: string; port: number } | undefined;
      const upstream = dgram.createSocket('udp4');
      udp.on('message', (d, from) => {
        captured.push(Buffer.from(d));
        client = from;
        upstream.send(d, target, '127.0.0.1');
      });
      upstream.on('message', (d) => {
        captured.push(Buffer.from(d));
        if (client) udp.send(d, client.port, client.address);
      });
      await new Promise<void>((r) => udp.bind(port, '127.0.0.1', r));
      fx.defer(() => new Promise<void>((r) => udp.close(() => upstream.close(() => r()))));
      return port;
    };
    const tracker = await fx.tracker({ networkKey: key });
    const seedFolder = await fx.tempDir();
    const name = 'quarterly-results-CONFIDENTIAL.xlsx';
    const content = Buffer.alloc(2 * MiB);
    for (let i = 0; i < content.length; i += 64) content.write('TOP-SECRET-CONTENT-LINE-', i, 'ascii');
    await (await import('node:fs/promises')).writeFile(path.join(seedFolder, name), content);
    const seeder = await fx.peer(tracker.port, { folder: seedFolder, networkKey: key });
    await announced(seeder.engine);
    const seederRelay = await relayTo(seeder.engine.port);
    const trackerRelay = await relayTo(tracker.port);

    // The leecher reaches the tracker and the seeder only through the relays.
    const leecher = await fx.peer(trackerRelay, { networkKey: key });
    await announced(leecher.engine);
    const [item] = (await leecher.engine.list()).items;
    expect(item!.name).toBe(name);
    const download = new Download({
      hash: item!.hash,
      name: item!.name,
      destDir: leecher.folder,
      stateDir: await fx.tempDir(),
      self: { peerId: leecher.engine.peerId, listenPort: leecher.engine.port, identity: leecher.engine.identity },
      findPeers: async (hash) => (await leecher.engine.findPeers(hash)).map((p) => ({ ...p, port: seederRelay })),
      transport: tlsTransport(key),
    });
    expect(await sha256File(await download.run())).toBe(sha256(content));

    const wire = Buffer.concat(captured);
    expect(wire.length).toBeGreaterThan(content.length); // the whole transfer crossed the relay
    // (The TLS PSK identity "p2pshare/v1" is public by design: it names the protocol, not the network.)
    for (const needle of ['CONFIDENTIAL', 'TOP-SECRET', item!.hash, '"type"', '"hello"', leecher.engine.peerId]) {
      expect(wire.includes(Buffer.from(needle)), `found "${needle}" on the wire`).toBe(false);
    }
  });

  it('refuses a member posing as another member (peer id not backed by its identity key)', async () => {
    const key = generateNetworkKey();
    const transport = tlsTransport(key);
    const victim = PeerIdentity.generate();
    const impostor = PeerIdentity.generate();
    const server = transport.createServer((socket) => {
      void acceptHandshake(socket, peerRequest, {
        idleTimeoutMs: 5000,
        callTimeoutMs: 5000,
        handshakeTimeoutMs: 5000,
        peerId: victim.peerId, // claims the victim's id…
        agent: 'impostor',
        identity: impostor, // …but can only sign with its own key
      }, () => ({})).catch(() => {});
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    fx.defer(() => new Promise((r) => server.close(r)));
    const port = (server.address() as net.AddressInfo).port;
    const me = PeerIdentity.generate();
    const attempt = PeerSource.connect({ peerId: victim.peerId, host: '127.0.0.1', port }, { peerId: me.peerId, listenPort: 0, identity: me }, directDial(transport), 5000);
    await expect(attempt).rejects.toThrow(/prove its identity: peer id does not match its identity key/);
  });
});

describe('hardening', () => {
  it('cuts off a slow-loris client while honest peers keep working', async () => {
    const tracker = await fx.tracker({ frameDeadlineMs: 800 });
    const folder = await fx.tempDir();
    await writeRandomFile(path.join(folder, 'ok.txt'), 10);
    const honest = await fx.peer(tracker.port, { folder });
    await announced(honest.engine);

    // Before hello: bytes trickle in but the handshake never completes.
    const early = await RawClient.connect(tracker.port);
    fx.defer(() => early.destroy());
    early.sendRaw(Buffer.from([0, 0, 0, 200, 0]));
    // After hello: a frame started, then one byte every 200 ms, forever.
    const late = await RawClient.connect(tracker.port);
    fx.defer(() => late.destroy());
    late.hello('cd'.repeat(16), 0);
    await late.waitFor((m) => m.type === 'welcome');
    late.sendRaw(Buffer.from([0, 0, 1, 0, 0]));
    const drip = setInterval(() => {
      if (!late.closed) late.sendRaw(Buffer.from('x'));
    }, 200);
    fx.defer(() => clearInterval(drip));
    const started = Date.now();
    await late.waitClosed(5000);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(late.messages.at(-1)).toMatchObject({ type: 'error', code: 'timeout' });
    expect((await honest.engine.list()).items.map((i) => i.name)).toEqual(['ok.txt']);
    await early.waitClosed(12_000); // the handshake timeout (10 s)
  }, 20_000);

  it('limits connections per address and in total', async () => {
    const tracker = await fx.tracker({ maxConnectionsPerAddress: 3, maxConnections: 100 });
    const clients: RawClient[] = [];
    for (let i = 0; i < 5; i++) {
      const c = await RawClient.connect(tracker.port);
      fx.defer(() => c.destroy());
      clients.push(c);
    }
    await eventually(() => clients.filter((c) => c.closed).length === 2, 3000, 'two refused');
    expect(clients.slice(0, 3).every((c) => !c.closed)).toBe(true);
    for (const c of clients) c.destroy();
    await eventually(() => tracker.connectionCount === 0, 3000);
    const again = await RawClient.connect(tracker.port);
    fx.defer(() => again.destroy());
    again.hello();
    await again.waitFor((m) => m.type === 'welcome');
  });

  it('does not share symlinks that lead outside the folder, dotfiles or OS clutter', async () => {
    const { symlink, writeFile, mkdir } = await import('node:fs/promises');
    const outside = await fx.tempDir();
    await writeFile(path.join(outside, 'passwd'), 'root:x:0:0');
    const folder = await fx.tempDir();
    await writeFile(path.join(folder, 'visible.txt'), 'hi');
    await symlink(path.join(outside, 'passwd'), path.join(folder, 'link-to-passwd'));
    await symlink(outside, path.join(folder, 'linked-dir'));
    for (const clutter of ['.DS_Store', 'Thumbs.db', 'desktop.ini', '.env', '.movie.mkv.1234abcd.p2p-partial']) await writeFile(path.join(folder, clutter), 'x');
    await mkdir(path.join(folder, '.git'));
    await writeFile(path.join(folder, '.git', 'config'), 'x');
    const tracker = await fx.tracker();
    const peer = await fx.peer(tracker.port, { folder });
    expect(peer.engine.sharedFiles().map((f) => f.path)).toEqual(['visible.txt']);
    const withHidden = await fx.peer(tracker.port, { folder, includeHidden: true });
    expect(withHidden.engine.sharedFiles().map((f) => f.path).sort()).toEqual(['.env', '.git/config', 'visible.txt']);
  });
});


import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseInvite } from '../shared/ipc/invite.js';
import { formatNetworkKey, generateNetworkKey } from '../electron/engine/security/network-key.js';
import { AppHost } from '../electron/host/app-host.js';
import { browserIntegration } from '../electron/host/desktop-integration.js';
import { firstAnsweringTracker } from '../electron/engine/tracker/first-answering.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { Fixtures, testSettings } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

/** A port that accepts and then says nothing: a tracker address that leads nowhere (a black hole). */
async function silentPort(host = '127.0.0.1'): Promise<number> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((s) => sockets.push(s));
  await new Promise<void>((r) => server.listen(0, host, r));
  fx.defer(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(() => r(undefined)));
  });
  return (server.address() as net.AddressInfo).port;
}

async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

describe('an invite names every address of its tracker, and the joiner keeps the first that answers', () => {
  it('Happy Eyeballs: of a silent, a closed and a real address (listed last), the real one wins, long before the silent one times out', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const addresses = [`127.0.0.1:${await silentPort()}`, `127.0.0.1:${await closedPort()}`, `127.0.0.1:${tracker.port}`];
    const me = PeerIdentity.generate();
    const started = Date.now();
    const chosen = await firstAnsweringTracker(addresses, { transport: tlsTransport(key), peerId: me.peerId, identity: me, timeoutMs: 10_000 });
    expect(chosen).toBe(`127.0.0.1:${tracker.port}`);
    expect(Date.now() - started).toBeLessThan(5000);
    // With another key nobody completes a handshake: none answers.
    expect(await firstAnsweringTracker(addresses.slice(1), { transport: tlsTransport(generateNetworkKey()), peerId: me.peerId, identity: me, timeoutMs: 2000 })).toBeUndefined();
  });

  it('the app joining with a several-address invite keeps the address that answered, and joins', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const dir = await fx.tempDir();
    const host = new AppHost({ dataDir: dir, integration: browserIntegration, version: 'test', defaults: { settings: testSettings(dir), folders: [] }, bindHost: '127.0.0.1', networkKey: null });
    await host.start();
    fx.defer(() => host.stop());
    const invite = `p2p://127.0.0.1:${await silentPort()},127.0.0.1:${tracker.port}#${formatNetworkKey(key)}`;
    expect(parseInvite(invite)).toMatchObject({ trackers: [expect.any(String), `127.0.0.1:${tracker.port}`] });
    const joined = await host.invoke('network:join', { invite });
    expect(joined).toMatchObject({ ok: true, value: { trackers: [`127.0.0.1:${tracker.port}`], openMode: false } });
  });
});

import { afterEach, describe, expect, it } from 'vitest';
import { Fixtures, eventually } from './support/fixtures.js';
import { RawClient } from './support/raw-client.js';

/**
 * The server keeps each session's connection by session number (the state hands out
 * records, and a replaced session's record is a new object): replacing a session must still
 * close exactly the old connection, and the old connection closing later must not remove
 * the new session.
 */

const fx = new Fixtures();
afterEach(() => fx.cleanup());

const HASH = 'cd'.repeat(32);

async function join(port: number, peerId: string, listenPort: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  fx.defer(() => client.destroy());
  client.hello(peerId, listenPort);
  await client.waitFor((m) => m.type === 'welcome');
  return client;
}

async function announce(client: RawClient, id: number, path: string): Promise<void> {
  client.send({ type: 'announce', id, reset: true, add: [{ path, size: 5, hash: HASH }], remove: [] });
  await client.waitFor((m) => m.type === 'ok' && m.id === id);
}

describe('tracker sessions', () => {
  it('a new session with the same peer id closes the old connection and keeps only the new files', async () => {
    const tracker = await fx.tracker();
    const left: string[] = [];
    tracker.on('leave', (peer) => left.push(peer.peerId));
    const id = 'ab'.repeat(16);
    const old = await join(tracker.port, id, 4001);
    await announce(old, 1, 'old.txt');
    const fresh = await join(tracker.port, id, 4002);
    await old.waitClosed();
    await announce(fresh, 2, 'new.txt');
    expect(tracker.state.peerCount).toBe(1);
    expect(tracker.state.list({ query: '', offset: 0, limit: 10 }).items.map((i) => i.name)).toEqual(['new.txt']);
    expect(tracker.state.lookup(HASH)?.peers).toEqual([{ peerId: id, host: '127.0.0.1', port: 4002 }]);
    // The replaced session left with its connection, without a 'leave' for the live one.
    expect(left).toEqual([]);
    expect(fresh.closed).toBe(false);
  });

  it('a new session on the same address replaces the old one; the old connection closing later changes nothing', async () => {
    const tracker = await fx.tracker();
    const a = await join(tracker.port, '01'.repeat(16), 5000);
    await announce(a, 1, 'a.txt');
    const b = await join(tracker.port, '02'.repeat(16), 5000);
    await a.waitClosed();
    await announce(b, 2, 'b.txt');
    await eventually(() => tracker.state.peerCount === 1, 2000, 'one session left');
    expect(tracker.state.lookup(HASH)?.peers.map((p) => p.peerId)).toEqual(['02'.repeat(16)]);
    b.send({ type: 'bye' });
    await b.waitClosed();
    await eventually(() => tracker.state.peerCount === 0 && tracker.state.entries === 0, 2000, 'the last session to go');
  });
});

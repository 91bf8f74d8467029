import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { ControlClient } from '../electron/engine/tracker/control-client.js';
import { Fixtures, eventually } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

/** The tracker's dial-back (docs/PROTOCOL.md §20.7): it dials the address it lists a member at and says whether the member itself answered. */
describe('dial-back: the tracker tells a member whether it can be reached directly', () => {
  it('a member whose peer server answers at its listed address hears reachable, and its reachability says direct', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const peer = await fx.peer(tracker.port, { networkKey: key });
    await eventually(() => peer.engine.trackers()[0]?.reachable === true, 10_000, 'dialled back');
    expect(peer.engine.trackers()[0]!.seenAs).toBe(`127.0.0.1:${peer.engine.port}`);
    expect(tracker.dialBack!.dialled).toBe(1);
    expect(peer.engine.reachability).toBe('direct');
    expect(peer.engine.reachable).toBe(true);
  });

  it('a member whose listed port is closed, or answered by another peer, hears not reachable', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    // A port nothing listens on: bound, then closed.
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    // A port where another member's peer server answers: a different peer id proves itself there.
    const other = await fx.peer(tracker.port, { networkKey: key });
    const results = new Map<number, boolean>();
    for (const listenPort of [closed, other.engine.port]) {
      const client = new ControlClient({ address: `127.0.0.1:${tracker.port}`, networkKey: key, identity: PeerIdentity.generate(), listenPort, files: () => [], trackerPeerId: tracker.peerId });
      client.on('reach', (reachable) => results.set(listenPort, reachable));
      client.start();
      fx.defer(() => client.stop());
    }
    await eventually(() => results.size === 2, 10_000, 'both dialled back');
    expect(results.get(closed)).toBe(false);
    expect(results.get(other.engine.port)).toBe(false);
  });

  it('dials a member once per address: a re-join is told the recent result without a second dial', async () => {
    const key = generateNetworkKey();
    const tracker = await fx.tracker({ networkKey: key });
    const identity = PeerIdentity.generate();
    const answers: boolean[] = [];
    const start = () => {
      const client = new ControlClient({ address: `127.0.0.1:${tracker.port}`, networkKey: key, identity, listenPort: 9, files: () => [], trackerPeerId: tracker.peerId });
      client.on('reach', (reachable) => answers.push(reachable));
      client.start();
      return client;
    };
    const first = start();
    await eventually(() => answers.length === 1, 10_000, 'first answer');
    first.stop();
    const second = start();
    fx.defer(() => second.stop());
    await eventually(() => answers.length === 2, 10_000, 'second answer');
    expect(answers).toEqual([false, false]);
    expect(tracker.dialBack!.dialled).toBe(1);
  });
});

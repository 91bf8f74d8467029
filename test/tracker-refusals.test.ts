import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProtocolError } from '../electron/engine/errors.js';
import type { Logger } from '../electron/engine/logger.js';
import { TrackerClient } from '../electron/engine/tracker/tracker-client.js';
import { TrackerState } from '../electron/engine/tracker/tracker-state.js';
import { Fixtures } from './support/fixtures.js';
import { RawClient } from './support/raw-client.js';

/**
 * A remote that breaks a tracker rule is told which rule, by its code, where the
 * rule is checked; only the tracker's own failures are `internal`, and those are logged.
 */
const fx = new Fixtures();
afterEach(() => fx.cleanup());

function collectingLogger(): Logger & { errors: string[] } {
  const errors: string[] = [];
  return { errors, debug() {}, info() {}, warn() {}, error: (m) => errors.push(m) };
}

async function serving(port: number, peerId: string, listenPort: number): Promise<RawClient> {
  const client = await RawClient.connect(port);
  fx.defer(() => client.destroy());
  client.hello(peerId, listenPort);
  return client;
}

describe('tracker refusals carry the rule they enforce', () => {
  it('refuses a peer past the peer table with tracker_full naming the cap, not internal', async () => {
    const logger = collectingLogger();
    const tracker = await fx.tracker({ maxPeers: 1, logger });
    const first = await serving(tracker.port, '01'.repeat(16), 7001);
    await first.waitFor((m) => m.type === 'welcome');

    const second = await serving(tracker.port, '02'.repeat(16), 7002);
    expect(await second.waitFor((m) => m.type === 'error')).toMatchObject({ code: 'tracker_full', message: 'tracker is full: it holds at most 1 peers; try again later' });
    await second.waitClosed();
    expect(logger.errors).toEqual([]); // a refusal, not a failure of ours

    // The client hears it as a full tracker, as it hears the connection cap.
    const client = new TrackerClient({ address: `127.0.0.1:${tracker.port}`, peerId: '03'.repeat(16), listenPort: 7003, files: () => [] });
    client.start();
    fx.defer(() => client.stop());
    await expect(client.waitConnected(5000)).rejects.toMatchObject({
      code: 'tracker_full',
      message: `tracker 127.0.0.1:${tracker.port} is full: it holds at most 1 peers; try again later`,
    });
  });

  it('answers a request that fails inside the tracker with internal, logs it, and keeps the session', async () => {
    const logger = collectingLogger();
    const tracker = await fx.tracker({ logger });
    vi.spyOn(tracker.state, 'list').mockImplementation(() => {
      throw new TypeError('listing exploded');
    });
    const client = await serving(tracker.port, '04'.repeat(16), 7004);
    await client.waitFor((m) => m.type === 'welcome');
    client.send({ type: 'list', id: 7, query: '', offset: 0, limit: 10 });
    expect(await client.waitFor((m) => m.id === 7)).toMatchObject({ type: 'error', code: 'internal' });
    expect(logger.errors).toEqual([expect.stringContaining('listing exploded')]);
    client.send({ type: 'ping', id: 8 });
    await client.waitFor((m) => m.type === 'pong' && m.id === 8);
    expect(client.closed).toBe(false);
  });

  it('the state raises typed protocol errors where its rules are checked', () => {
    const state = new TrackerState({ maxPeers: 1, perSession: 1 });
    const { peer } = state.addPeer('05'.repeat(16), '10.0.0.5', 1);
    expect(() => state.addPeer('06'.repeat(16), '10.0.0.6', 1)).toThrow(ProtocolError);
    expect(() => state.addPeer('06'.repeat(16), '10.0.0.6', 1)).toThrow(expect.objectContaining({ code: 'tracker_full' }));
    const file = (i: number) => ({ path: `f${i}`, size: 1, hash: i.toString(16).padStart(64, '0') });
    expect(() => state.announce(peer, { reset: true, add: [file(1), file(2)], remove: [] })).toThrow(expect.objectContaining({ code: 'too_many_files' }));
  });
});

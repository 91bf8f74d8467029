import { createHash, randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { DhtDiscovery, type DhtDiscoveryOptions } from '../electron/engine/discovery/dht-discovery.js';
import { Fixtures, eventually } from './support/fixtures.js';

const NETWORK_SIZE = 20;
const LOOPBACK = '127.0.0.1';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

function contentHash(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** Starts a node on loopback; every warning it raises is collected for the test to check. */
async function node(options: Partial<DhtDiscoveryOptions> & Pick<DhtDiscoveryOptions, 'bootstrap'>, warnings: string[]) {
  const dht = new DhtDiscovery({ port: 0, host: LOOPBACK, ...options });
  dht.on('warning', (w) => warnings.push(w));
  fx.defer(() => dht.stop());
  const port = await dht.start();
  expect(port).toBeGreaterThan(0);
  return { dht, entry: `${LOOPBACK}:${port}` };
}

/** A private DHT: the first node alone (bootstrap false), the others joining through it. */
async function privateNetwork(size: number, keyOf: (i: number) => Buffer | undefined, warnings: string[]) {
  const first = await node({ bootstrap: false, networkKey: keyOf(0) }, warnings);
  const rest = await Promise.all(Array.from({ length: size - 1 }, (_, i) => node({ bootstrap: [first.entry], networkKey: keyOf(i + 1) }, warnings)));
  const nodes = [first, ...rest].map((n) => n.dht);
  await eventually(() => nodes.every((n) => n.nodeCount > 0), 5000, 'every node to know another');
  return nodes;
}

describe('DhtDiscovery.infoHash', () => {
  it('is 20 deterministic bytes that depend on the mode and the key', () => {
    const hash = contentHash('file');
    const key = randomBytes(32);
    const open = DhtDiscovery.infoHash(hash);
    const keyed = DhtDiscovery.infoHash(hash, key);
    expect(open).toHaveLength(20);
    expect(keyed).toHaveLength(20);
    expect(DhtDiscovery.infoHash(hash).equals(open)).toBe(true);
    expect(DhtDiscovery.infoHash(hash, Buffer.from(key)).equals(keyed)).toBe(true);
    expect(keyed.equals(open)).toBe(false);
    expect(DhtDiscovery.infoHash(hash, randomBytes(32)).equals(keyed)).toBe(false);
    expect(DhtDiscovery.infoHash(contentHash('other'), key).equals(keyed)).toBe(false);
    // Nothing of the content hash shows through.
    expect(hash.includes(open.toString('hex'))).toBe(false);
    expect(hash.includes(keyed.toString('hex'))).toBe(false);
  });

  it('refuses anything but 64 lower-case hex digits', () => {
    for (const bad of ['', 'abc', contentHash('x').toUpperCase(), `${contentHash('x')}0`, 'g'.repeat(64)]) {
      expect(() => DhtDiscovery.infoHash(bad)).toThrow(/64 lower-case hex/);
    }
  });
});

describe('DhtDiscovery on a private loopback DHT', () => {
  it('finds the announcing peer under the right key, and nothing under another', async () => {
    const warnings: string[] = [];
    const key = randomBytes(32);
    const otherKey = randomBytes(32);
    // Node 19 belongs to another network that shares the same DHT.
    const nodes = await privateNetwork(NETWORK_SIZE, (i) => (i === NETWORK_SIZE - 1 ? otherKey : key), warnings);
    const a = nodes[7]!;
    const b = nodes[13]!;
    const stranger = nodes[NETWORK_SIZE - 1]!;
    expect(nodes.every((n) => n.nodeCount > 0)).toBe(true);

    const hash = contentHash(`shared ${Date.now()}`);
    const tcpPort = 40_123;
    a.announce(hash, tcpPort);
    const found = await eventually(async () => {
      const peers = await b.lookup(hash, { timeoutMs: 2000 });
      return peers.length > 0 ? peers : undefined;
    }, 8000, "B to find A's announcement");
    expect(found).toEqual([{ host: LOOPBACK, port: tcpPort }]);

    // Same content, another network key: another info-hash, and the walk ends empty.
    expect(DhtDiscovery.infoHash(hash, otherKey).equals(DhtDiscovery.infoHash(hash, key))).toBe(false);
    const started = Date.now();
    expect(await stranger.lookup(hash, { timeoutMs: 4000 })).toEqual([]);
    expect(Date.now() - started).toBeLessThan(4000); // ended because the walk was over, not by timeout
    // Under the right key, anyone finds it, stopping at `enough`.
    expect(await nodes[2]!.lookup(hash, { timeoutMs: 4000, enough: 1 })).toEqual([{ host: LOOPBACK, port: tcpPort }]);
    expect(warnings).toEqual([]);
  });

  it('reports its node count, refuses a taken port, and refuses lookups after stop()', async () => {
    const warnings: string[] = [];
    const { dht: first, entry } = await node({ bootstrap: false }, warnings);
    const counts: number[] = [];
    first.on('nodes', (n) => counts.push(n));
    expect(first.nodeCount).toBe(0);
    await expect(first.start()).rejects.toThrow(/already started/);
    const clash = new DhtDiscovery({ port: Number(entry.split(':')[1]), host: LOOPBACK, bootstrap: false });
    fx.defer(() => clash.stop());
    await expect(clash.start()).rejects.toMatchObject({ code: 'port_in_use' });
    const { dht: second } = await node({ bootstrap: [entry] }, warnings);
    await eventually(() => counts.length > 0, 3000, 'a nodes event');
    expect(counts[0]).toBeGreaterThan(0);
    expect(second.nodeCount).toBeGreaterThan(0);
    await second.stop();
    expect(second.nodeCount).toBe(0);
    await expect(second.lookup(contentHash('x'))).rejects.toThrow(/not started/);
    expect(() => second.announce(contentHash('x'), 0)).toThrow(/port 0/);
    expect(warnings).toEqual([]);
  });
});

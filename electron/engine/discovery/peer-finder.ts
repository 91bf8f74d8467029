import type { PeerAddress } from '../../../shared/protocol/messages.js';
import { PeerSource, directDial } from '../peer/peer-source.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import type { TrackerPool } from '../tracker/tracker-pool.js';
import type { Transport } from '../wire/transport.js';
import type { DhtDiscovery } from './dht-discovery.js';
import type { NetworkCache } from './network-cache.js';

/** Known peers asked at once when trackers can't say who has a content. */
const PEX_FANOUT = 8;
export const PEX_TIMEOUT_MS = 3000;
const DHT_LOOKUP_MS = 5000;
/** Tracker lookups in flight at once while remembering holders. */
const REMEMBER_PARALLEL = 8;

/** Who we are when we connect to a peer; changes at start and when the listen port moves. */
export interface LocalPeer {
  peerId: string;
  listenPort: number;
  identity: PeerIdentity | undefined;
}

export interface PeerFinderOptions {
  self: () => LocalPeer;
  trackers: TrackerPool;
  cache: NetworkCache;
  /** Present only while the engine has joined the DHT. */
  dht: () => DhtDiscovery | undefined;
  transport: Transport;
  /** Members found on this network, when LAN discovery runs (lan-catalog.ts). */
  lan?: () => LanHolders | undefined;
}

/** What the finder asks of LAN discovery: whether members are known here, and which hold a content. */
export interface LanHolders {
  readonly active: boolean;
  holders(hash: string): Promise<PeerAddress[]>;
}

/**
 * Answers "who has this content?": trackers first, then the peers remembered
 * from earlier, then peer exchange, then the DHT. What is found is remembered
 * for when the trackers are gone.
 */
export class PeerFinder {
  constructor(private readonly options: PeerFinderOptions) {}

  async findPeers(hash: string): Promise<PeerAddress[]> {
    const { cache } = this.options;
    const self = this.options.self();
    const byId = new Map<string, PeerAddress>();
    const add = (peers: PeerAddress[]) => {
      for (const p of peers) if (p.peerId !== self.peerId) byId.set(p.peerId || `${p.host}:${p.port}`, p);
    };
    const lan = this.options.lan?.();
    const [replies, fromLan] = await Promise.all([
      Promise.allSettled(this.options.trackers.connected().map((t) => t.lookup(hash))),
      lan?.active ? lan.holders(hash).catch(() => []) : [],
    ]);
    const fromTrackers = replies.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    cache.addHolders(hash, fromTrackers);
    add(fromTrackers);
    add(cache.holdersOf(hash));
    // Added last, so a member a tracker lists under its public address is reached over the LAN.
    add(fromLan);
    if (fromTrackers.length === 0 && fromLan.length === 0) {
      const exchanged = await this.exchangePeers(hash);
      cache.addHolders(hash, exchanged);
      add(exchanged);
    }
    const dht = this.options.dht();
    if (byId.size === 0 && dht) {
      const found = await dht.lookup(hash, { timeoutMs: DHT_LOOKUP_MS }).catch(() => []);
      // The DHT hands our own announcement back; our port on loopback is us.
      const listenPort = this.options.self().listenPort;
      add(found.filter((p) => p.port !== listenPort || p.host !== '127.0.0.1').map((p) => ({ peerId: '', host: p.host, port: p.port })));
    }
    return [...byId.values()];
  }

  /** Looks up and remembers who holds these contents, so they can be fetched with no tracker later. */
  async rememberHolders(hashes: string[]): Promise<void> {
    const tracker = this.options.trackers.connected()[0];
    if (!tracker) return;
    const queue = [...new Set(hashes)];
    const worker = async () => {
      for (let hash = queue.shift(); hash !== undefined; hash = queue.shift()) {
        this.options.cache.addHolders(hash, await tracker.lookup(hash).catch(() => []));
      }
    };
    await Promise.all(Array.from({ length: REMEMBER_PARALLEL }, worker));
  }

  /** Asks peers we have met whether they, or peers they know, hold `hash`. */
  private async exchangePeers(hash: string): Promise<PeerAddress[]> {
    const self = this.options.self();
    const known = this.options.cache.knownPeers().filter((p) => p.peerId !== self.peerId).slice(0, PEX_FANOUT);
    const answers = await Promise.allSettled(
      known.map(async (peer) => {
        const source = await PeerSource.connect(peer, self, directDial(this.options.transport), PEX_TIMEOUT_MS);
        try {
          return await source.exchangePeers(hash);
        } finally {
          source.close();
        }
      }),
    );
    return answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
  }
}

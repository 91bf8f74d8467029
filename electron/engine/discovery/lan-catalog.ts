import { MAX_LIST_PAGE } from '../../../shared/protocol/limits.js';
import type { ListingItem, PeerAddress } from '../../../shared/protocol/messages.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { PeerSource, type DialPeer } from '../peer/peer-source.js';
import type { LanDiscovery, LanPeer } from './lan-discovery.js';
import { PEX_TIMEOUT_MS, type LocalPeer } from './peer-finder.js';

/** A member's file list is asked again after this long (the listing view polls faster than files change). */
const FRESH_MS = 10_000;
/** Rows kept per member: a LAN browse, not a tracker. */
const MAX_ROWS_PER_PEER = 20_000;

interface PeerCatalog {
  items: ListingItem[];
  at: number;
}

/**
 * The files of the members found on this network (LanDiscovery), asked of each of them with the
 * peer protocol's `list`. Each member is dialled like any holder (TLS, identity check), so a
 * spoofed advertisement yields nothing. Feeds the network listing and "who has this content?".
 */
export class LanCatalog {
  private readonly catalogs = new Map<string, PeerCatalog>();
  private readonly inflight = new Map<string, Promise<PeerCatalog | undefined>>();

  constructor(
    private readonly discovery: LanDiscovery,
    private readonly self: () => LocalPeer,
    private readonly dial: DialPeer,
    private readonly logger: Logger,
  ) {
    discovery.on('gone', (peerId) => this.catalogs.delete(peerId));
  }

  /** Members are known on this network (even if they share nothing): the listing counts them as a source. */
  get active(): boolean {
    return this.discovery.peers().length > 0;
  }

  /** Every member's files as listing rows; `peers` counts the members sharing that row. */
  async listing(): Promise<ListingItem[]> {
    const catalogs = await Promise.all(this.discovery.peers().map((peer) => this.catalogOf(peer)));
    const rows = new Map<string, ListingItem>();
    for (const catalog of catalogs) {
      for (const item of catalog?.items ?? []) {
        const key = `${item.name}\0${item.hash}`;
        const seen = rows.get(key);
        rows.set(key, seen ? { ...seen, peers: seen.peers + 1 } : { ...item, peers: 1 });
      }
    }
    return [...rows.values()];
  }

  /** Members whose file list holds `hash`. */
  async holders(hash: string): Promise<PeerAddress[]> {
    const peers = this.discovery.peers();
    const catalogs = await Promise.all(peers.map((peer) => this.catalogOf(peer)));
    return peers.filter((_, i) => catalogs[i]?.items.some((item) => item.hash === hash)).map((p) => ({ peerId: p.peerId, host: p.host, port: p.port }));
  }

  private catalogOf(peer: LanPeer): Promise<PeerCatalog | undefined> {
    const known = this.catalogs.get(peer.peerId);
    if (known && Date.now() - known.at < FRESH_MS) return Promise.resolve(known);
    let pending = this.inflight.get(peer.peerId);
    if (!pending) {
      pending = this.fetch(peer)
        .then((catalog) => {
          this.catalogs.set(peer.peerId, catalog);
          return catalog;
        })
        .catch((err: unknown) => {
          this.logger.debug(`could not list the files of ${peer.peerId.slice(0, 8)} at ${peer.host}:${peer.port}: ${errorMessage(err)}`);
          return known; // the last list we had, if any, until the member answers again or leaves
        })
        .finally(() => this.inflight.delete(peer.peerId));
      this.inflight.set(peer.peerId, pending);
    }
    return pending;
  }

  private async fetch(peer: LanPeer): Promise<PeerCatalog> {
    const source = await PeerSource.connect({ peerId: peer.peerId, host: peer.host, port: peer.port }, this.self(), this.dial, PEX_TIMEOUT_MS);
    try {
      const items: ListingItem[] = [];
      for (let offset = 0; items.length < MAX_ROWS_PER_PEER; ) {
        const page = await source.list('', offset, MAX_LIST_PAGE);
        items.push(...page.items);
        offset += page.items.length;
        if (page.items.length === 0 || offset >= page.total) break;
      }
      return { items, at: Date.now() };
    } finally {
      source.close();
    }
  }
}

import type { ListingItem, PeerAddress } from '../../../shared/protocol/messages.js';
import { formatBytes } from '../../../shared/format.js';
import { PEX_TIMEOUT_MS, type LocalPeer } from '../discovery/peer-finder.js';
import { EngineError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { PeerSource, directDial } from '../peer/peer-source.js';
import type { Transport } from '../wire/transport.js';

/** Shortest content-hash prefix `resolve` accepts (the tracker matches prefixes from this length too). */
const MIN_HASH_PREFIX = 4;
/** Matches listed in an "ambiguous" error; the rest are counted. */
const AMBIGUOUS_SHOWN = 8;
const FULL_HASH = /^[0-9a-f]{64}$/i;
const HASH_PREFIX = new RegExp(`^[0-9a-f]{${MIN_HASH_PREFIX},64}$`, 'i');
const TOO_SHORT_PREFIX = new RegExp(`^[0-9a-f]{1,${MIN_HASH_PREFIX - 1}}$`, 'i');

export interface ContentResolverOptions {
  listAll: (query: string) => Promise<ListingItem[]>;
  findPeers: (hash: string) => Promise<PeerAddress[]>;
  self: () => LocalPeer;
  transport: Transport;
  logger: Logger;
}

/**
 * Turns what a person typed into one content: an exact listed path, or else a
 * content-hash prefix; a full hash nobody lists is asked of its holders directly.
 */
export class ContentResolver {
  constructor(private readonly options: ContentResolverOptions) {}

  /** Two contents under one name is an error naming both. */
  async resolve(nameOrHash: string): Promise<ListingItem> {
    let matches: ListingItem[];
    try {
      matches = await this.options.listAll(nameOrHash);
    } catch (err) {
      // No tracker and no saved listing: a full content hash can still be found (peer exchange, DHT).
      if (FULL_HASH.test(nameOrHash)) return this.describeByHash(nameOrHash.toLowerCase());
      throw err;
    }
    if (matches.length === 0 && FULL_HASH.test(nameOrHash)) return this.describeByHash(nameOrHash.toLowerCase());
    const distinct = (items: ListingItem[]) => [...new Map(items.map((i) => [i.hash, i])).values()];
    const exact = distinct(matches.filter((i) => i.name === nameOrHash));
    const candidates = exact.length > 0 ? exact : HASH_PREFIX.test(nameOrHash)
      ? distinct(matches.filter((i) => i.hash.startsWith(nameOrHash.toLowerCase())))
      : [];
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
      if (TOO_SHORT_PREFIX.test(nameOrHash)) {
        throw new EngineError('no_such_file', `no file is named "${nameOrHash}", and as a content-hash prefix it is too short: give at least ${MIN_HASH_PREFIX} hex digits`);
      }
      throw new EngineError('no_such_file', `nobody on the network has "${nameOrHash}"`);
    }
    const shown = candidates.slice(0, AMBIGUOUS_SHOWN);
    const lines = shown.map((c) => `  ${c.hash}  ${formatBytes(c.size)}  ${c.name}`).join('\n');
    const more = candidates.length > shown.length ? `\n  … and ${candidates.length - shown.length} more` : '';
    throw new EngineError('ambiguous_name', `"${nameOrHash}" matches ${candidates.length} different contents; pick one by a longer hash prefix:\n${lines}${more}`);
  }

  /** Finds a content by hash alone and asks a holder for its size and name. */
  private async describeByHash(hash: string): Promise<ListingItem> {
    const peers = await this.options.findPeers(hash);
    const self = this.options.self();
    for (const peer of peers) {
      let source: PeerSource | undefined;
      try {
        source = await PeerSource.connect(peer, self, directDial(this.options.transport), PEX_TIMEOUT_MS);
        const { size, name } = await source.describe(hash);
        return { hash, size, name: name ?? hash, peers: peers.length };
      } catch (err) {
        this.options.logger.debug(`cannot describe ${hash.slice(0, 12)} via ${peer.host}:${peer.port}: ${errorMessage(err)}`);
      } finally {
        source?.close();
      }
    }
    throw new EngineError('no_such_file', `nobody reachable has content ${hash} (no tracker, no saved listing, no peer found it)`);
  }
}

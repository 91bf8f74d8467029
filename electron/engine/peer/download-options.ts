import type { PeerAddress } from '../../../shared/protocol/messages.js';
import type { Logger } from '../logger.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import type { Transport } from '../wire/transport.js';
import type { DialPeer, DialedPeer } from './peer-source.js';
import type { RateLimiter } from './rate-limiter.js';

/** What a Download is given (download.ts): the content, where it goes, who we are, how peers are found and reached. */
export interface DownloadOptions {
  hash: string;
  /** Relative path it is saved under, inside destDir. */
  name: string;
  /** Size as listed, shown until the verified size is known. */
  sizeHint?: number;
  destDir: string;
  /** Where the resume record lives (engine data dir). */
  stateDir: string;
  self: { peerId: string; listenPort: number; identity?: PeerIdentity | undefined };
  /** Who has this content right now (asks the trackers). */
  findPeers: (hash: string) => Promise<PeerAddress[]>;
  transport?: Transport;
  /** Opens connections to peers (the engine's PeerDialer: direct, then reversal, punching, relay); default: dial directly over `transport`. */
  dial?: DialPeer;
  /** A path other than a relay to a peer, if one exists now: a relayed source moves onto it (PathUpgrade). */
  upgrade?: (address: PeerAddress) => Promise<DialedPeer | undefined>;
  /** Tests: when to look for that path. */
  upgradeMs?: { first: number; every: number };
  logger?: Logger;
  maxPeers?: number;
  requestTimeoutMs?: number;
  peerRetryDelaysMs?: number[];
  sourceDiscoveryMs?: number;
  /** Global download limit shared by every download. */
  limiter?: RateLimiter;
  /**
   * How long to wait `stalled` for a holder to come back before failing with
   * no_peers. Absent: wait for as long as it takes (the app); the CLI's -get
   * passes its timeout.
   */
  stallTimeoutMs?: number;
  /** Overrides STALL_POLL_MIN_MS / STALL_POLL_MAX_MS (tests). */
  stallPollMs?: { min: number; max: number };
  /** Overrides MAX_PIECES_STORING (tests). */
  maxPiecesStoring?: number;
}

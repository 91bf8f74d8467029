import type { PeerIdentity } from './security/peer-identity.js';
import type { Options as MulticastDNSOptions } from 'multicast-dns';
import type { DownloadProgress, TrackerStatus } from '../../shared/types.js';
import type { Logger } from './logger.js';
import type { MappedAddress } from './nat/port-mapping.js';
import type { FailedDownload, FinishedDownload } from './peer/download-queue.js';
import type { SavedDownload } from './peer/download-list.js';
import type { NetworkKey } from './security/network-key.js';
import type { Transport } from './wire/transport.js';

/** What an Engine (engine.ts) is given, and the events it emits. */
export interface EngineOptions {
  /** Where the engine keeps its state: peer id, hash caches, resume records. */
  dataDir: string;
  /** Port the peer server listens on; 0 picks a free one. */
  port: number;
  host?: string;
  trackers: string[];
  folders?: string[];
  /** Where downloads land; defaults to the first shared folder. */
  downloadDir?: string;
  /** Serve nothing and announce nothing (e.g. `-list`). */
  queryOnly?: boolean;
  logger?: Logger;
  /**
   * The network key: every connection is TLS 1.3 with a PSK derived from it.
   * Absent means open mode (plain TCP, anyone who can connect may list and download).
   */
  networkKey?: NetworkKey | undefined;
  /** Overrides the transport (tests); normally derived from networkKey. */
  transport?: Transport;
  maxPeersPerDownload?: number;
  includeHidden?: boolean;
  /** Tests: watch folders by polling. */
  usePolling?: boolean;
  trackerBackoff?: { baseMs: number; maxMs: number };
  peerRetryDelaysMs?: number[];
  /** How long a download waits `stalled` for a holder before failing (absent: as long as it takes). */
  stallTimeoutMs?: number;
  /** Tests: the stalled download's lookup backoff. */
  stallPollMs?: { min: number; max: number };
  /** Tests: when a relayed source looks for a better path (PathUpgrade). */
  pathUpgradeMs?: { first: number; every: number };
  /** Where the network cache (last listing, known peers) lives; defaults to dataDir. Clients of one user may share it. */
  cacheDir?: string;
  /** How often to check whether the listing changed and refresh the cached copy. */
  listingRefreshMs?: number;
  /** Join the Mainline DHT for trackerless discovery. */
  dht?: { port: number; bootstrap: string[] | false } | undefined;
  /** Ask the LAN's router (UPnP IGD) to forward the peer port, and announce the mapped port. Off unless asked: the CLI and the app turn it on. */
  portMapping?: boolean;
  /** Reach peers behind NATs through a tracker by hole punching (default true; `-no-punch`). */
  punch?: boolean;
  /** Use, and answer for, trackers' relays when nothing else reaches a peer (default true; `-no-relay`). */
  relay?: boolean;
  /** The peer identity to use instead of the data dir's own: a member's, with its certificate (docs/PROTOCOL.md §22). */
  identity?: PeerIdentity | undefined;
  /** The network's owner key (a member's, from its data dir): peers without a certificate it signed are not served. */
  ownerKey?: Buffer | undefined;
  /** With ownerKey: where the revocations a tracker passes on are kept (the member's data dir). */
  revocationsFile?: string | undefined;
  /**
   * Relay for other members (docs/PROTOCOL.md §20.6; off unless asked: `-relay`): trackers use it
   * once their dial-back finds us reachable. KiB/s over everything relayed, 0 = none.
   */
  offerRelay?: { limitKiBps: number } | false;
  /** Find, and be found by, members on this network over mDNS. Off unless asked: the CLI and the app turn it on. */
  lan?: boolean | { name?: string; trackerPort?: () => number | undefined; mdns?: MulticastDNSOptions };
  /** Global rate limits in bytes per second; 0 or absent means unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
  /** Where the download list is kept across restarts; absent keeps it in memory (one-shot CLI runs). */
  downloadList?: string;
  /** Fills a download list that has no file yet (the list an older version kept elsewhere). */
  seedDownloads?: readonly SavedDownload[];
}

export interface EngineEvents {
  /** This peer became a member while running (its tracker turned managed membership on): keep it. */
  membership: [{ certificate: Buffer; ownerKey: Buffer }];
  warning: [string];
  /** Our shared file set changed. */
  files: [];
  /** A folder's figures changed (hashing progress) without the file set changing. */
  folders: [];
  tracker: [TrackerStatus];
  /** Download rows that changed, at most one batch per PROGRESS_FLUSH_MS. */
  downloads: [DownloadProgress[]];
  /** A download left the list (cancelled, removed, or finished and its file deleted). */
  'download-removed': [string];
  'download-finished': [FinishedDownload];
  /** A download ended by an error (not by pause or cancel). */
  'download-failed': [FailedDownload];
  /** The LAN's router forwards this public address to the peer port (UPnP). */
  'port-mapped': [MappedAddress];
  /** The members found on this network changed (lanPeers()). */
  'lan-peers': [];
}

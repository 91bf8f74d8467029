import { EventEmitter } from 'node:events';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { MAX_LIST_PAGE } from '../../shared/protocol/limits.js';
import type { FileAnnouncement, ListingItem, PeerAddress } from '../../shared/protocol/messages.js';
import type { DownloadProgress, SharedFolderStatus, TrackerStatus } from '../../shared/types.js';
import { EngineError, errorMessage } from './errors.js';
import { formatBytes } from '../../shared/format.js';
import { InstanceLock } from './instance-lock.js';
import { PeerIdentity } from './security/peer-identity.js';
import type { NetworkKey } from './security/network-key.js';
import { throttledRefusals } from './wire/refusal-log.js';
import { tlsTransport } from './wire/tls-transport.js';
import { FolderIndex } from './index/folder-index.js';
import { silentLogger, type Logger } from './logger.js';
import { FolderContentSource } from './peer/content-source.js';
import { Download } from './peer/download.js';
import { PeerServer } from './peer/peer-server.js';
import { RateLimiter } from './peer/rate-limiter.js';
import { RateMeter } from './peer/rate-meter.js';
import { TrackerClient, type ListParams } from './tracker/tracker-client.js';
import { tcpTransport, type Transport } from './wire/transport.js';
import { NetworkCache, pageOfListing } from './discovery/network-cache.js';
import { DhtDiscovery } from './discovery/dht-discovery.js';
import { PeerSource } from './peer/peer-source.js';

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
  /** Where the network cache (last listing, known peers) lives; defaults to dataDir. Clients of one user may share it. */
  cacheDir?: string;
  /** How often to check whether the listing changed and refresh the cached copy. */
  listingRefreshMs?: number;
  /** Join the Mainline DHT for trackerless discovery. */
  dht?: { port: number; bootstrap: string[] | false } | undefined;
  /** Global rate limits in bytes per second; 0 or absent means unlimited. */
  uploadLimit?: number;
  downloadLimit?: number;
}

export interface EngineEvents {
  warning: [string];
  /** Our shared file set changed. */
  files: [];
  /** A folder's figures changed (hashing progress) without the file set changing. */
  folders: [];
  tracker: [TrackerStatus];
  download: [DownloadProgress];
}

export interface ListResult {
  total: number;
  items: ListingItem[];
  /** Set when no tracker answered and this page comes from the cached listing. */
  stale?: { savedAt: number };
}

/** Shortest content-hash prefix `resolve` accepts (the tracker matches prefixes from this length too). */
const MIN_HASH_PREFIX = 4;
/** Matches listed in an "ambiguous" error; the rest are counted. */
const AMBIGUOUS_SHOWN = 8;
/** Known peers asked at once when trackers can't say who has a content. */
const PEX_FANOUT = 8;
const PEX_TIMEOUT_MS = 3000;
const DHT_LOOKUP_MS = 5000;
const LISTING_REFRESH_MS = 5000;
/** A full listing copy is refetched at most this often, however busy the network. */
const LISTING_MIN_GAP_MS = 15_000;
/** With each saved listing, who holds its first this-many contents (peer lists for when no tracker answers). */
const LISTING_HOLDERS_REMEMBERED = 200;

/**
 * The P2P engine: shared folders, the peer server, tracker connections and
 * downloads behind one start/stop facade. The CLI, the desktop app and the
 * headless host all drive this; it never imports Electron.
 */
export class Engine extends EventEmitter<EngineEvents> {
  peerId = '';
  port = 0;
  identity: PeerIdentity | undefined;
  /** Held while this engine owns its data dir's identity (see InstanceLock). */
  private instanceLock: InstanceLock | undefined;
  private readonly logger: Logger;
  private readonly transport: Transport;
  private readonly folderIndexes = new Map<string, FolderIndex>();
  private readonly trackerClients: TrackerClient[] = [];
  private readonly activeDownloads = new Map<string, Download>();
  private server: PeerServer | undefined;
  private started = false;
  private readonly uploadLimiter: RateLimiter;
  private readonly downloadLimiter: RateLimiter;
  private readonly uploadMeter = new RateMeter();
  private downloadDir: string | undefined;
  readonly cache: NetworkCache;
  dht: DhtDiscovery | undefined;
  private listingTimer: NodeJS.Timeout | undefined;
  private listingGeneration = '';
  private listingFetchedAt = 0;
  private dhtAnnounced = new Set<string>();

  constructor(private readonly options: EngineOptions) {
    super();
    this.uploadLimiter = new RateLimiter(options.uploadLimit ?? 0);
    this.downloadLimiter = new RateLimiter(options.downloadLimit ?? 0);
    this.downloadDir = options.downloadDir;
    this.cache = new NetworkCache(path.join(options.cacheDir ?? options.dataDir, 'network-cache.json'));
    this.logger = options.logger ?? silentLogger;
    this.transport =
      options.transport ??
      (options.networkKey
        ? tlsTransport(options.networkKey, { onHandshakeFailure: throttledRefusals((line) => this.emit('warning', line)) })
        : tcpTransport);
  }

  get uploadedBytes(): number {
    return this.server?.uploadedBytes ?? 0;
  }

  get peerServer(): PeerServer | undefined {
    return this.server;
  }

  private async startServer(port: number): Promise<PeerServer> {
    const server = new PeerServer({
      port,
      host: this.options.host,
      peerId: this.peerId,
      source: new FolderContentSource(
        () => this.folderIndexes.values(),
        (hash) => this.activeDownloads.get(hash)?.served(),
      ),
      logger: this.logger,
      transport: this.transport,
      uploadLimiter: this.uploadLimiter,
      identity: this.identity,
      directory: (hash) => this.cache.holdersOf(hash),
    });
    server.on('warning', (m) => this.emit('warning', m));
    server.on('upload', ({ bytes }) => this.uploadMeter.add(bytes));
    server.on('peer', (peer) => this.cache.meet(peer));
    await server.start();
    return server;
  }

  /**
   * Moves the peer server to another port. The new port is opened first, so a
   * port in use is an error that changes nothing.
   */
  async setListenPort(port: number): Promise<number> {
    if (this.options.queryOnly || !this.server) throw new EngineError('io_error', 'this engine does not serve');
    if (port !== 0 && port === this.port) return this.port;
    const next = await this.startServer(port);
    const previous = this.server;
    this.server = next;
    this.port = next.port;
    await previous.stop();
    // The port is part of our hello: reconnect every tracker so they list the new address.
    this.setTrackers(this.trackerClients.map((t) => t.address), true);
    return this.port;
  }

  /** Replaces the tracker list, keeping connections to trackers that stay. */
  setTrackers(addresses: string[], reconnectAll = false): void {
    const wanted = [...new Set(addresses)];
    for (const client of [...this.trackerClients]) {
      if (reconnectAll || !wanted.includes(client.address)) {
        this.trackerClients.splice(this.trackerClients.indexOf(client), 1);
        void client.stop();
        this.emit('tracker', { address: client.address, connected: false });
      }
    }
    for (const address of wanted) {
      if (!this.trackerClients.some((t) => t.address === address)) this.addTracker(address);
    }
  }

  setDownloadDir(dir: string): void {
    this.downloadDir = dir;
  }

  /**
   * Bytes per second across all transfers. The download total is the sum of
   * the downloads' own rates (one meter each, one window), so it always equals
   * what their rows show, and a paused download drops out of it at once.
   */
  rates(): { upload: number; download: number } {
    let download = 0;
    for (const d of this.activeDownloads.values()) download += d.progress().downloadRate;
    return { upload: Math.round(this.uploadMeter.rate()), download };
  }

  /** Asks every connected tracker for its figures: peers online and listing generation. */
  async trackerStats(): Promise<Array<{ address: string; peers: number; generation: number }>> {
    const out: Array<{ address: string; peers: number; generation: number }> = [];
    await Promise.all(
      this.trackerClients.map(async (t) => {
        const stats = await t.refreshStats().catch(() => undefined);
        if (stats) out.push({ address: t.address, ...stats });
      }),
    );
    return out;
  }

  /** Changes the global limits (bytes per second, 0 = unlimited) for transfers in progress too. */
  setRateLimits(limits: { upload?: number; download?: number }): void {
    if (limits.upload !== undefined) this.uploadLimiter.setLimit(limits.upload);
    if (limits.download !== undefined) this.downloadLimiter.setLimit(limits.download);
  }

  async start(): Promise<void> {
    if (this.started) return;
    const lock = await InstanceLock.acquire(this.options.dataDir);
    if ('heldBy' in lock) {
      this.identity = PeerIdentity.generate();
      this.logger.warn(`another process${lock.heldBy ? ` (pid ${lock.heldBy})` : ''} is using ${this.options.dataDir}; this one runs under a temporary peer identity`);
    } else {
      if ('unlocked' in lock) this.logger.warn(`${lock.unlocked}: running without the instance lock`);
      else this.instanceLock = lock.lock;
      try {
        this.identity = await PeerIdentity.load(this.options.dataDir);
      } catch (err) {
        await this.releaseInstance();
        throw err;
      }
    }
    this.peerId = this.identity.peerId;
    try {
      await this.cache.load();
      // Folders first: a missing folder should fail before we open any port.
      for (const folder of this.options.folders ?? []) await this.addFolder(folder);
      if (!this.options.queryOnly) {
        try {
          this.server = await this.startServer(this.options.port);
          this.port = this.server.port;
        } catch (err) {
          await this.stopFolders();
          throw err;
        }
      }
      for (const address of this.options.trackers) this.addTracker(address);
      if (this.options.dht) {
        const dht = new DhtDiscovery({ port: this.options.dht.port, bootstrap: this.options.dht.bootstrap, logger: this.logger, ...(this.options.networkKey ? { networkKey: this.options.networkKey } : {}) });
        dht.on('warning', (m) => this.emit('warning', m));
        await dht.start();
        this.dht = dht;
        this.syncDht();
      }
      this.listingTimer = setInterval(() => void this.refreshListingCache(), this.options.listingRefreshMs ?? LISTING_REFRESH_MS);
      this.listingTimer.unref();
    } catch (err) {
      await this.releaseInstance(); // a retry in this process must find the lock free
      throw err;
    }
    this.started = true;
  }

  async stop(): Promise<void> {
    try {
      clearInterval(this.listingTimer);
      for (const download of this.activeDownloads.values()) download.pause();
      await this.dht?.stop();
      this.dht = undefined;
      await this.cache.flush();
      await Promise.all(this.trackerClients.map((t) => t.stop()));
      await this.server?.stop();
      await this.stopFolders();
    } finally {
      await this.releaseInstance();
      this.started = false;
    }
  }

  private async releaseInstance(): Promise<void> {
    await this.instanceLock?.release();
    this.instanceLock = undefined;
  }

  // ---- folders ----

  async addFolder(folder: string): Promise<SharedFolderStatus> {
    const root = path.resolve(folder);
    const existing = this.folderIndexes.get(root);
    if (existing) return { path: root, ...existing.stats() };
    const index = new FolderIndex({
      root,
      cacheFile: path.join(this.options.dataDir, 'hash-cache', `${createHash('sha256').update(root).digest('hex').slice(0, 16)}.json`),
      logger: this.logger,
      includeHidden: this.options.includeHidden ?? false,
      usePolling: this.options.usePolling ?? false,
    });
    index.on('change', () => this.onFilesChanged());
    index.on('status', () => this.emit('folders'));
    index.on('warning', (m) => this.emit('warning', m));
    await index.start();
    this.folderIndexes.set(root, index);
    this.onFilesChanged();
    return { path: root, ...index.stats() };
  }

  async removeFolder(folder: string): Promise<void> {
    const root = path.resolve(folder);
    const index = this.folderIndexes.get(root);
    if (!index) return;
    this.folderIndexes.delete(root);
    await index.stop();
    this.onFilesChanged();
  }

  folders(): SharedFolderStatus[] {
    return [...this.folderIndexes.entries()].map(([root, index]) => ({ path: root, ...index.stats() }));
  }

  folderIndex(folder: string): FolderIndex | undefined {
    return this.folderIndexes.get(path.resolve(folder));
  }

  /**
   * Everything we share, one entry per path (the first folder wins a clash),
   * plus downloads in progress that already hold verified pieces.
   */
  sharedFiles(): FileAnnouncement[] {
    const byPath = new Map<string, FileAnnouncement>();
    for (const index of this.folderIndexes.values()) {
      for (const file of index.announcements()) if (!byPath.has(file.path)) byPath.set(file.path, file);
    }
    for (const download of this.activeDownloads.values()) {
      const partial = download.served();
      if (partial && !byPath.has(download.name)) byPath.set(download.name, { path: download.name, size: partial.size, hash: download.hash });
    }
    return [...byPath.values()];
  }

  hasContent(hash: string): boolean {
    for (const index of this.folderIndexes.values()) if (index.findByHash(hash)) return true;
    return false;
  }

  private onFilesChanged(): void {
    for (const tracker of this.trackerClients) tracker.filesChanged();
    this.syncDht();
    this.emit('files');
  }

  /** Announces every shared content on the DHT, and stops announcing what we no longer have. */
  private syncDht(): void {
    const dht = this.dht;
    if (!dht || !this.port) return;
    const current = new Set(this.sharedFiles().map((f) => f.hash));
    for (const hash of current) if (!this.dhtAnnounced.has(hash)) dht.announce(hash, this.port);
    for (const hash of this.dhtAnnounced) if (!current.has(hash)) dht.withdraw(hash);
    this.dhtAnnounced = current;
  }

  /** Looks up and remembers who holds these contents, so they can be fetched with no tracker later. */
  private async rememberHolders(hashes: string[]): Promise<void> {
    const tracker = this.trackerClients.find((t) => t.connected);
    if (!tracker) return;
    const queue = [...new Set(hashes)];
    const worker = async () => {
      for (let hash = queue.shift(); hash !== undefined; hash = queue.shift()) {
        this.cache.addHolders(hash, await tracker.lookup(hash).catch(() => []));
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
  }

  /** Keeps a copy of the full listing on disk while a tracker answers, refetched when it changes. */
  private async refreshListingCache(): Promise<void> {
    if (!this.trackerClients.some((t) => t.connected)) return;
    try {
      const stats = await this.trackerStats();
      const generation = stats.map((s) => `${s.address}:${s.generation}`).join(',');
      if (generation === this.listingGeneration) return;
      if (Date.now() - this.listingFetchedAt < LISTING_MIN_GAP_MS && this.cache.listing) return;
      const items = await this.listAll('', false);
      this.listingGeneration = generation;
      this.listingFetchedAt = Date.now();
      this.cache.setListing(items);
      await this.rememberHolders(items.slice(0, LISTING_HOLDERS_REMEMBERED).map((i) => i.hash));
    } catch (err) {
      this.logger.debug(`listing cache refresh failed: ${errorMessage(err)}`);
    }
  }

  private async stopFolders(): Promise<void> {
    await Promise.all([...this.folderIndexes.values()].map((i) => i.stop()));
    this.folderIndexes.clear();
  }

  // ---- trackers ----

  private addTracker(address: string): void {
    const client = new TrackerClient({
      address,
      peerId: this.peerId,
      listenPort: this.options.queryOnly ? 0 : this.port,
      files: () => this.sharedFiles(),
      logger: this.logger,
      transport: this.transport,
      ...(this.identity ? { identity: this.identity } : {}),
      ...(this.options.trackerBackoff ? { backoffBaseMs: this.options.trackerBackoff.baseMs, backoffMaxMs: this.options.trackerBackoff.maxMs } : {}),
    });
    client.on('connected', () => {
      this.logger.info(`connected to tracker ${client.address}`);
      this.emit('tracker', { address: client.address, connected: true });
    });
    client.on('disconnected', () => this.emit('tracker', { address: client.address, connected: false }));
    client.on('refused', (problem) => this.emit('tracker', { address: client.address, connected: false, problem }));
    client.on('warning', (m) => this.emit('warning', m));
    this.trackerClients.push(client);
    client.start();
  }

  trackers(): TrackerStatus[] {
    return this.trackerClients.map((t) => ({ address: t.address, connected: t.connected, ...(t.refusal ? { problem: t.refusal } : {}) }));
  }

  /** The refusal of a tracker (wrong key first, then full), when no tracker is connected: the cause to report instead of "unreachable". */
  trackerRefusal(clients = this.trackerClients): EngineError | undefined {
    if (clients.some((t) => t.connected)) return undefined;
    const refusals = clients.flatMap((t) => (t.refusal ? [t.refusal] : []));
    const first = refusals.find((r) => r.code === 'wrong_key') ?? refusals[0];
    return first && new EngineError(first.code, first.message);
  }

  /**
   * Waits until at least one tracker (of `addresses`, when given) is connected;
   * fails at once when every one refused us (wrong key, full).
   */
  async waitForTracker(timeoutMs: number, addresses?: string[]): Promise<void> {
    const clients = addresses ? this.trackerClients.filter((t) => addresses.includes(t.address)) : this.trackerClients;
    if (clients.length === 0) throw new EngineError('tracker_unreachable', 'no tracker configured');
    await Promise.any(clients.map((t) => t.waitConnected(timeoutMs))).catch(() => {
      throw this.trackerRefusal(clients) ?? new EngineError('tracker_unreachable', `no tracker answered within ${timeoutMs / 1000} s (${clients.map((t) => t.address).join(', ')})`);
    });
  }

  /** Waits until every connected tracker has our current file set. */
  async flushAnnouncements(): Promise<void> {
    await Promise.all(this.trackerClients.map((t) => t.flush()));
  }

  /**
   * One page of the network's listing, merged over every reachable tracker.
   * With no tracker answering, the page comes from the last listing seen, marked stale.
   */
  async list(params: ListParams = {}, allowStale = true): Promise<ListResult> {
    const connected = this.trackerClients.filter((t) => t.connected);
    const replies = await Promise.allSettled(connected.map((t) => t.list(params)));
    const ok = replies.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    if (ok.length === 0) {
      const cached = this.cache.listing;
      if (allowStale && cached) return { ...pageOfListing(cached.items, params), stale: { savedAt: cached.savedAt } };
      const refusal = this.trackerRefusal();
      if (refusal) throw refusal;
      throw new EngineError('tracker_unreachable', `no tracker answered the listing request (${this.trackerClients.map((t) => t.address).join(', ') || 'none configured'}), and there is no saved listing yet`);
    }
    if (ok.length === 1) return { total: ok[0]!.total, items: ok[0]!.items };
    const merged = new Map<string, ListingItem>();
    for (const reply of ok) {
      for (const item of reply.items) {
        const key = `${item.name}\0${item.hash}`;
        const seen = merged.get(key);
        if (!seen || seen.peers < item.peers) merged.set(key, item);
      }
    }
    return { total: Math.max(...ok.map((r) => r.total)), items: [...merged.values()].slice(0, params.limit ?? 100) };
  }

  /** Every listing row matching `query`, all pages. */
  async listAll(query = '', allowStale = true): Promise<ListingItem[] & { stale?: { savedAt: number } }> {
    const items: ListingItem[] & { stale?: { savedAt: number } } = [];
    // Pages may hold fewer than `limit` rows (long names fill the byte budget first): advance by what came back.
    for (let offset = 0; ; ) {
      const page = await this.list({ query, offset, limit: MAX_LIST_PAGE }, allowStale);
      if (page.stale) items.stale = page.stale;
      items.push(...page.items);
      offset += page.items.length;
      if (page.items.length === 0 || offset >= page.total) break;
    }
    return items;
  }

  /**
   * Peers that have `hash`: every reachable tracker, the peers remembered from
   * earlier, and, when those say nothing, peer exchange with known peers and
   * the DHT. What is found is remembered for when the trackers are gone.
   */
  async findPeers(hash: string): Promise<PeerAddress[]> {
    const byId = new Map<string, PeerAddress>();
    const add = (peers: PeerAddress[]) => {
      for (const p of peers) if (p.peerId !== this.peerId) byId.set(p.peerId || `${p.host}:${p.port}`, p);
    };
    const connected = this.trackerClients.filter((t) => t.connected);
    const replies = await Promise.allSettled(connected.map((t) => t.lookup(hash)));
    const fromTrackers = replies.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
    this.cache.addHolders(hash, fromTrackers);
    add(fromTrackers);
    add(this.cache.holdersOf(hash));
    if (fromTrackers.length === 0) {
      const exchanged = await this.exchangePeers(hash);
      this.cache.addHolders(hash, exchanged);
      add(exchanged);
    }
    if (byId.size === 0 && this.dht) {
      const found = await this.dht.lookup(hash, { timeoutMs: DHT_LOOKUP_MS }).catch(() => []);
      add(found.filter((p) => p.port !== this.port || p.host !== '127.0.0.1').map((p) => ({ peerId: '', host: p.host, port: p.port })));
    }
    return [...byId.values()];
  }

  /** Finds a content by hash alone and asks a holder for its size and name. */
  private async describeByHash(hash: string): Promise<ListingItem> {
    const peers = await this.findPeers(hash);
    const self = { peerId: this.peerId, listenPort: this.port, identity: this.identity };
    for (const peer of peers) {
      let source: PeerSource | undefined;
      try {
        source = await PeerSource.connect(peer, self, this.transport, PEX_TIMEOUT_MS);
        const { size, name } = await source.describe(hash);
        return { hash, size, name: name ?? hash, peers: peers.length };
      } catch (err) {
        this.logger.debug(`cannot describe ${hash.slice(0, 12)} via ${peer.host}:${peer.port}: ${errorMessage(err)}`);
      } finally {
        source?.close();
      }
    }
    throw new EngineError('no_such_file', `nobody reachable has content ${hash} (no tracker, no saved listing, no peer found it)`);
  }

  /** Asks peers we have met whether they, or peers they know, hold `hash`. */
  private async exchangePeers(hash: string): Promise<PeerAddress[]> {
    const known = this.cache.knownPeers().filter((p) => p.peerId !== this.peerId).slice(0, PEX_FANOUT);
    const self = { peerId: this.peerId, listenPort: this.port, identity: this.identity };
    const answers = await Promise.allSettled(
      known.map(async (peer) => {
        const source = await PeerSource.connect(peer, self, this.transport, PEX_TIMEOUT_MS);
        try {
          return await source.exchangePeers(hash);
        } finally {
          source.close();
        }
      }),
    );
    return answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []));
  }

  /**
   * Turns what a person typed into one content: an exact listed path, or else
   * a content-hash prefix. Two contents under one name is an error naming both.
   */
  async resolve(nameOrHash: string): Promise<ListingItem> {
    let matches: ListingItem[];
    try {
      matches = await this.listAll(nameOrHash);
    } catch (err) {
      // No tracker and no saved listing: a full content hash can still be found (peer exchange, DHT).
      if (/^[0-9a-f]{64}$/i.test(nameOrHash)) return this.describeByHash(nameOrHash.toLowerCase());
      throw err;
    }
    if (matches.length === 0 && /^[0-9a-f]{64}$/i.test(nameOrHash)) return this.describeByHash(nameOrHash.toLowerCase());
    const distinct = (items: ListingItem[]) => [...new Map(items.map((i) => [i.hash, i])).values()];
    const exact = distinct(matches.filter((i) => i.name === nameOrHash));
    const candidates = exact.length > 0 ? exact : new RegExp(`^[0-9a-f]{${MIN_HASH_PREFIX},64}$`, 'i').test(nameOrHash)
      ? distinct(matches.filter((i) => i.hash.startsWith(nameOrHash.toLowerCase())))
      : [];
    if (candidates.length === 1) return candidates[0]!;
    if (candidates.length === 0) {
      if (new RegExp(`^[0-9a-f]{1,${MIN_HASH_PREFIX - 1}}$`, 'i').test(nameOrHash)) {
        throw new EngineError('no_such_file', `no file is named "${nameOrHash}", and as a content-hash prefix it is too short: give at least ${MIN_HASH_PREFIX} hex digits (try -list to see the hashes)`);
      }
      throw new EngineError('no_such_file', `nobody on the network has "${nameOrHash}" (try -list to see what is shared)`);
    }
    const shown = candidates.slice(0, AMBIGUOUS_SHOWN);
    const lines = shown.map((c) => `  ${c.hash}  ${formatBytes(c.size)}  ${c.name}`).join('\n');
    const more = candidates.length > shown.length ? `\n  … and ${candidates.length - shown.length} more` : '';
    throw new EngineError('ambiguous_name', `"${nameOrHash}" matches ${candidates.length} different contents; pick one by a longer hash prefix:\n${lines}${more}`);
  }

  // ---- downloads ----

  /** Starts (or returns the running) download of one listed content. */
  download(item: { hash: string; name: string; size?: number }, destDir?: string): Download {
    const existing = this.activeDownloads.get(item.hash);
    if (existing && existing.state !== 'failed' && existing.state !== 'cancelled') return existing;
    const dest = destDir ?? this.downloadDir ?? this.options.folders?.[0];
    if (!dest) throw new EngineError('io_error', 'no download folder: share a folder or set one');
    const download = new Download({
      hash: item.hash,
      name: item.name,
      ...(item.size !== undefined ? { sizeHint: item.size } : {}),
      destDir: dest,
      stateDir: path.join(this.options.dataDir, 'downloads'),
      self: { peerId: this.peerId, listenPort: this.port, identity: this.identity },
      findPeers: (hash) => this.findPeers(hash),
      transport: this.transport,
      logger: this.logger,
      limiter: this.downloadLimiter,
      ...(this.options.maxPeersPerDownload ? { maxPeers: this.options.maxPeersPerDownload } : {}),
      ...(this.options.peerRetryDelaysMs ? { peerRetryDelaysMs: this.options.peerRetryDelaysMs } : {}),
      ...(this.options.stallTimeoutMs !== undefined ? { stallTimeoutMs: this.options.stallTimeoutMs } : {}),
      ...(this.options.stallPollMs ? { stallPollMs: this.options.stallPollMs } : {}),
    });
    let lastState = download.state;
    download.on('progress', (p) => {
      this.emit('download', p);
      // A paused or failed download stops serving its pieces: tell the trackers.
      if (p.state !== lastState && (p.state === 'paused' || p.state === 'failed' || p.state === 'cancelled' || p.state === 'done')) this.onFilesChanged();
      lastState = p.state;
    });
    download.on('shareable', () => this.onFilesChanged());
    download.on('warning', (m) => this.emit('warning', m));
    this.activeDownloads.set(item.hash, download);
    return download;
  }

  /** Runs a download to the end and shares the result. */
  async fetch(item: { hash: string; name: string; size?: number }, destDir?: string): Promise<string> {
    return this.runDownload(this.download(item, destDir));
  }

  /** Runs (or resumes) a download to the end and shares the result. */
  async runDownload(download: Download): Promise<string> {
    const finalPath = await download.run();
    await this.adopt(finalPath, download);
    return finalPath;
  }

  getDownload(hash: string): Download | undefined {
    return this.activeDownloads.get(hash);
  }

  /**
   * Stops a download and forgets it. `deleteData: false` keeps its verified
   * pieces on disk, so downloading the same content again resumes from them.
   */
  async cancelDownload(hash: string, { deleteData }: { deleteData: boolean }): Promise<void> {
    const download = this.activeDownloads.get(hash);
    if (!download) throw new EngineError('not_found', 'No such download.');
    await download.cancel({ deleteData });
    if (this.activeDownloads.get(hash) === download) this.activeDownloads.delete(hash);
  }

  /** Forgets a download (after cancel, or a finished one the person cleared). */
  forgetDownload(hash: string): void {
    this.activeDownloads.delete(hash);
  }

  private async adopt(finalPath: string, download: Download): Promise<void> {
    if (!download.info) return;
    for (const index of this.folderIndexes.values()) {
      const rel = path.relative(index.root, finalPath);
      if (!rel.startsWith('..') && !path.isAbsolute(rel)) {
        try {
          await index.adopt(finalPath, download.info);
        } catch (err) {
          this.logger.debug(`could not adopt ${finalPath}: ${errorMessage(err)}`);
        }
      }
    }
  }

  downloads(): DownloadProgress[] {
    return [...this.activeDownloads.values()].map((d) => d.progress());
  }
}

import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { FileAnnouncement, ListingItem, PeerAddress } from '../../shared/protocol/messages.js';
import type { DownloadProgress, SharedFolderStatus, TrackerStatus } from '../../shared/types.js';
import { EngineError } from './errors.js';
import { InstanceLock } from './instance-lock.js';
import { PeerIdentity } from './security/peer-identity.js';
import { networkTransport } from './wire/network-transport.js';
import type { FolderIndex } from './index/folder-index.js';
import { SharedFolders } from './index/shared-folders.js';
import { silentLogger, type Logger } from './logger.js';
import { FolderContentSource } from './peer/content-source.js';
import { Download } from './peer/download.js';
import { DownloadQueue, type DownloadItem } from './peer/download-queue.js';
import { PeerServer } from './peer/peer-server.js';
import { RateLimiter } from './peer/rate-limiter.js';
import { RateMeter } from './peer/rate-meter.js';
import type { ListParams } from './tracker/tracker-client.js';
import type { TrackerLink } from './tracker/tracker-link.js';
import { TrackerPool, type TrackerStats } from './tracker/tracker-pool.js';
import { NetworkListing, type FullListing, type ListResult } from './tracker/listing.js';
import { ListingRefresher } from './tracker/listing-refresher.js';
import { ContentResolver } from './tracker/content-resolver.js';
import type { Transport } from './wire/transport.js';
import { NetworkCache } from './discovery/network-cache.js';
import { DhtDiscovery } from './discovery/dht-discovery.js';
import { DhtAnnouncer } from './discovery/dht-announcer.js';
import { LanPresence } from './discovery/lan-presence.js';
import { reachabilityOf, type Reachability } from './nat/reachability.js';
import { firstAnsweringTracker } from './tracker/first-answering.js';
import { directDial } from './peer/peer-source.js';
import { PeerFinder, type LocalPeer } from './discovery/peer-finder.js';
import type { MappedAddress } from './nat/port-mapping.js';
import { RouterPort } from './nat/router-port.js';
import { PeerReach } from './nat/peer-reach.js';
import { MAX_MEMBER_RELAYED_PAIRS, Relay } from './nat/relay.js';
import { MemberState } from './membership/member-state.js';
import { PREFACE_RELAY } from '../../shared/protocol/datagram.js';
import type { EngineEvents, EngineOptions } from './engine-options.js';

export type { ListResult } from './tracker/listing.js';
export type { DownloadItem, FailedDownload, FinishedDownload } from './peer/download-queue.js';
export type { SavedDownload } from './peer/download-list.js';


export type { EngineEvents, EngineOptions };

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
  private readonly sharedFolders: SharedFolders;
  private readonly trackerPool: TrackerPool;
  private readonly queue: DownloadQueue;
  private server: PeerServer | undefined;
  private started = false;
  private readonly uploadLimiter: RateLimiter;
  private readonly downloadLimiter: RateLimiter;
  private readonly uploadMeter = new RateMeter();
  private downloadDir: string | undefined;
  readonly cache: NetworkCache;
  dht: DhtDiscovery | undefined;
  /** Members on this network (mDNS), when `lan` is on. */
  readonly lan: LanPresence | undefined;
  private readonly routerPort: RouterPort;
  private readonly peerFinder: PeerFinder;
  private readonly dhtAnnouncer: DhtAnnouncer;
  private readonly listing: NetworkListing;
  private readonly listingRefresher: ListingRefresher;
  private readonly resolver: ContentResolver;
  private readonly reach: PeerReach;
  /** Managed membership: whom we serve, the revocations we keep and pass on. */
  readonly membership: MemberState;
  /** Our relay for other members, when we offer one (`offerRelay`). */
  readonly memberRelay: Relay | undefined;

  constructor(private readonly options: EngineOptions) {
    super();
    this.uploadLimiter = new RateLimiter(options.uploadLimit ?? 0);
    this.downloadLimiter = new RateLimiter(options.downloadLimit ?? 0);
    this.downloadDir = options.downloadDir;
    this.cache = new NetworkCache(path.join(options.cacheDir ?? options.dataDir, 'network-cache.json'));
    this.logger = options.logger ?? silentLogger;
    this.transport = options.transport ?? networkTransport(options.networkKey, (line) => this.emit('warning', line));
    this.sharedFolders = new SharedFolders({
      dataDir: options.dataDir,
      logger: this.logger,
      includeHidden: options.includeHidden ?? false,
      usePolling: options.usePolling ?? false,
      onChange: () => this.onFilesChanged(),
      onStatus: () => this.emit('folders'),
      onWarning: (m) => this.emit('warning', m),
    });
    this.membership = new MemberState({
      ownerKey: options.ownerKey,
      revocationsFile: options.revocationsFile,
      cut: (peerId) => this.server?.cutOff(peerId, 'this device was removed from the network') ?? 0,
      adopted: (membership) => this.emit('membership', membership),
      logger: this.logger,
    });
    const offer = options.offerRelay;
    // A member's cap is over all it relays (it is someone's own uplink), not per connection.
    const relayCap = offer ? Math.round(offer.limitKiBps * 1024) : 0;
    this.memberRelay = offer ? new Relay({ limitBytesPerSecond: relayCap, totalBytesPerSecond: relayCap, maxPairs: MAX_MEMBER_RELAYED_PAIRS, logger: this.logger }) : undefined;
    const self = (): LocalPeer => ({ peerId: this.peerId, listenPort: this.port, identity: this.identity });
    this.routerPort = new RouterPort(this.logger);
    this.routerPort.on('changed', () => this.trackerPool.set(this.trackerPool.addresses(), true));
    this.routerPort.on('mapped', (mapped) => this.emit('port-mapped', mapped));
    this.trackerPool = new TrackerPool({
      hello: (address) => ({ ...self(), listenPort: options.queryOnly ? 0 : this.routerPort.portFor(address, this.port) }),
      files: () => this.sharedFiles(),
      logger: this.logger,
      transport: this.transport,
      networkKey: options.networkKey,
      backoff: options.trackerBackoff,
      onStatus: (status) => this.emit('tracker', status),
      onWarning: (m) => this.emit('warning', m),
      onRing: (ring, via) => this.reach.answer(ring, via),
      offersRelay: this.memberRelay !== undefined,
      onRevoked: (entries) => this.membership.learn(entries),
      onCertificate: (certificate, ownerKey) => this.membership.adopt(certificate, ownerKey),
      onRelayOpen: (open) => {
        const refused = this.memberRelay?.admit(open.session, open.requester, open.target);
        if (refused) this.logger.debug(`relay: no room for ${open.requester.slice(0, 8)} ⇄ ${open.target.slice(0, 8)} (${refused})`);
      },
    });
    this.reach = new PeerReach({
      transport: this.transport,
      memberships: () => this.trackerPool.connected().flatMap((link) => (link.controlClient ? [link.controlClient] : [])),
      serveOver: async (raw, remote) => {
        if (!this.server) throw new EngineError('invalid_state', 'this engine does not serve');
        await this.server.serveOver(raw, remote);
      },
      reachable: () => this.reachable,
      reachableSoon: async () => {
        if (!this.reachable) await this.routerPort.answered();
        return this.reachable;
      },
      sealed: options.networkKey !== undefined,
      switches: () => ({ punch: this.options.punch !== false, relay: this.options.relay !== false }),
      logger: this.logger,
    });
    const lan = options.lan;
    this.lan = lan
      ? new LanPresence({ networkKey: options.networkKey, logger: this.logger, self, serving: !options.queryOnly, dial: directDial(this.transport), ...(typeof lan === 'object' ? lan : {}) })
      : undefined;
    this.lan?.on('changed', () => this.emit('lan-peers'));
    this.peerFinder = new PeerFinder({ self, trackers: this.trackerPool, cache: this.cache, dht: () => this.dht, transport: this.transport, lan: () => this.lan?.catalog });
    this.dhtAnnouncer = new DhtAnnouncer(() => this.dht, () => this.port, () => this.sharedFiles().map((f) => f.hash));
    this.listing = new NetworkListing(this.trackerPool, this.cache, () => this.lan?.catalog);
    this.listingRefresher = new ListingRefresher({
      trackers: this.trackerPool,
      cache: this.cache,
      fetchAll: () => this.listAll('', false),
      rememberHolders: (hashes) => this.peerFinder.rememberHolders(hashes),
      logger: this.logger,
      intervalMs: options.listingRefreshMs,
    });
    this.queue = new DownloadQueue({
      create: (item, destDir) => this.createDownload(item, destDir),
      defaultDir: () => this.downloadDir ?? this.options.folders?.[0],
      hasContent: (hash) => this.sharedFolders.hasContent(hash),
      adopt: async (download, finalPath) => {
        if (download.info) await this.sharedFolders.adopt(finalPath, download.info);
      },
      filesChanged: () => this.onFilesChanged(),
      listFile: options.downloadList,
    });
    this.queue.on('progress', (rows) => this.emit('downloads', rows));
    this.queue.on('removed', (hash) => this.emit('download-removed', hash));
    this.queue.on('finished', (done) => this.emit('download-finished', done));
    this.queue.on('failed', (failed) => this.emit('download-failed', failed));
    this.queue.on('warning', (m) => this.emit('warning', m));
    this.resolver = new ContentResolver({
      listAll: (query) => this.listAll(query),
      findPeers: (hash) => this.findPeers(hash),
      self,
      transport: this.transport,
      logger: this.logger,
    });
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
        () => this.sharedFolders.all(),
        (hash) => this.queue.get(hash)?.served(),
      ),
      logger: this.logger,
      transport: this.transport,
      uploadLimiter: this.uploadLimiter,
      identity: this.identity,
      directory: (hash) => this.cache.holdersOf(hash),
      catalog: () => this.sharedFiles().map((f) => ({ name: f.path, size: f.size, hash: f.hash, peers: 1 })),
      admits: (peerId, certificate) => this.membership.problem(peerId, certificate),
      onPreface: (socket, preface) => {
        // A relay session's connection may overtake the tracker's RELAY_OPEN: it waits a moment for it.
        if (preface.kind === PREFACE_RELAY && this.memberRelay) this.memberRelay.accept(socket, preface.session, preface.role, 1500);
        else this.reach.deliverReversal(socket, preface);
      },
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
    if (this.options.queryOnly || !this.server) throw new EngineError('invalid_state', 'this engine does not serve');
    if (port !== 0 && port === this.port) return this.port;
    const next = await this.startServer(port);
    const previous = this.server;
    this.server = next;
    this.port = next.port;
    await previous.stop();
    // The router forwards the old port: map the new one (which also drops any other announced port).
    await this.routerPort.remap(this.port);
    // The port is part of our hello: reconnect every tracker so they list the new address.
    this.setTrackers(this.trackerPool.addresses(), true);
    this.lan?.announce();
    return this.port;
  }

  /** Replaces the tracker list, keeping connections to trackers that stay. */
  setTrackers(addresses: string[], reconnectAll = false): void {
    this.trackerPool.set(addresses, reconnectAll);
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
    for (const d of this.queue.all()) download += d.progress().downloadRate;
    return { upload: Math.round(this.uploadMeter.rate()), download };
  }

  /** Asks every connected tracker for its figures: peers online and listing generation. */
  async trackerStats(): Promise<TrackerStats[]> {
    return this.trackerPool.stats();
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
      if (this.options.identity) this.logger.warn('so it is not a member here: a managed network refuses it');
      this.logger.warn(`another process${lock.heldBy ? ` (pid ${lock.heldBy})` : ''} is using ${this.options.dataDir}; this one runs under a temporary peer identity`);
    } else {
      if ('unlocked' in lock) this.logger.warn(`${lock.unlocked}: running without the instance lock`);
      else this.instanceLock = lock.lock;
      try {
        // A member's identity is the one its certificate names (DATA/member/), whatever the folder.
        this.identity = this.options.identity ?? (await PeerIdentity.load(this.options.dataDir));
      } catch (err) {
        await this.releaseInstance();
        throw err;
      }
    }
    this.peerId = this.identity.peerId;
    try {
      await this.membership.attach(this.identity);
      await this.cache.load();
      // Folders first: a missing folder should fail before we open any port.
      for (const folder of this.options.folders ?? []) await this.addFolder(folder);
      if (!this.options.queryOnly) {
        try {
          this.server = await this.startServer(this.options.port);
          this.port = this.server.port;
        } catch (err) {
          await this.sharedFolders.stop();
          throw err;
        }
      }
      for (const address of this.options.trackers) this.trackerPool.add(address);
      if (this.options.portMapping && this.server) this.routerPort.map(this.server.port);
      if (this.options.dht) {
        const dht = new DhtDiscovery({ port: this.options.dht.port, bootstrap: this.options.dht.bootstrap, logger: this.logger, ...(this.options.networkKey ? { networkKey: this.options.networkKey } : {}) });
        dht.on('warning', (m) => this.emit('warning', m));
        await dht.start();
        this.dht = dht;
        this.dhtAnnouncer.sync();
      }
      await this.lan?.start();
      this.listingRefresher.start();
      await this.queue.load(this.options.seedDownloads);
    } catch (err) {
      await this.releaseInstance(); // a retry in this process must find the lock free
      throw err;
    }
    this.started = true;
  }

  /** Whether other peers can dial us (a tracker's dial-back, else a mapping or no NAT): a reversal is asked for only then. */
  get reachable(): boolean {
    const how = this.reachability;
    return how === 'direct' || how === 'upnp' || how === 'nat-pmp';
  }

  /** How peers on other networks reach us (nat/reachability.ts; the app's Settings → Network says it). */
  get reachability(): Reachability {
    return reachabilityOf(this.trackerPool.connected().flatMap((link) => (link.controlClient ? [link.controlClient] : [])), this.mappedAddress);
  }

  /** The router's public address forwarding to this peer, once UPnP or NAT-PMP mapped it. */
  get mappedAddress(): MappedAddress | undefined {
    return this.routerPort.current;
  }

  async stop(): Promise<void> {
    try {
      await this.routerPort.stop();
      this.listingRefresher.stop();
      await this.queue.stop(); // transfers pause and close their files; the list resumes them next start
      await this.dht?.stop();
      this.dht = undefined;
      await this.lan?.stop(); // a goodbye: members here forget us now, not after the records' TTL
      await this.cache.flush();
      await this.trackerPool.stop();
      this.memberRelay?.stop();
      await this.server?.stop();
      await this.sharedFolders.stop();
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
    return this.sharedFolders.add(folder);
  }

  async removeFolder(folder: string): Promise<void> {
    await this.sharedFolders.remove(folder);
  }

  folders(): SharedFolderStatus[] {
    return this.sharedFolders.statuses();
  }

  folderIndex(folder: string): FolderIndex | undefined {
    return this.sharedFolders.get(folder);
  }

  /**
   * Everything we share, one entry per path (the first folder wins a clash),
   * plus downloads in progress that already hold verified pieces.
   */
  sharedFiles(): FileAnnouncement[] {
    const byPath = this.sharedFolders.announcements();
    for (const download of this.queue.all()) {
      const partial = download.served();
      if (partial && !byPath.has(download.name)) byPath.set(download.name, { path: download.name, size: partial.size, hash: download.hash });
    }
    return [...byPath.values()];
  }

  hasContent(hash: string): boolean {
    return this.sharedFolders.hasContent(hash);
  }

  private onFilesChanged(): void {
    this.trackerPool.filesChanged();
    this.dhtAnnouncer.sync();
    void this.queue.checkFinished(); // the watcher saw a file go: maybe a finished download's
    this.emit('files');
  }

  // ---- trackers, listing, discovery ----

  trackers(): TrackerStatus[] {
    return this.trackerPool.statuses();
  }

  /** The refusal of a tracker (wrong key first, then full), when no tracker is connected: the cause to report instead of "unreachable". */
  trackerRefusal(clients?: readonly TrackerLink[]): EngineError | undefined {
    return this.trackerPool.refusal(clients);
  }

  /**
   * Waits until at least one tracker (of `addresses`, when given) is connected;
   * fails at once when every one refused us (wrong key, full).
   */
  async waitForTracker(timeoutMs: number, addresses?: string[], signal?: AbortSignal): Promise<void> {
    await this.trackerPool.waitForAny(timeoutMs, addresses, signal);
  }

  /** Of one tracker's addresses (an invite's), the first whose handshake completes, tried Happy-Eyeballs style. */
  async firstAnsweringTracker(addresses: readonly string[], timeoutMs: number): Promise<string | undefined> {
    return firstAnsweringTracker(addresses, { transport: this.transport, peerId: this.peerId, identity: this.identity, timeoutMs });
  }

  /** Waits until every connected tracker has our current file set. */
  async flushAnnouncements(): Promise<void> {
    await this.trackerPool.flush();
  }

  /**
   * One page of the network's listing, merged over every reachable tracker.
   * With no tracker answering, the page comes from the last listing seen, marked stale.
   */
  async list(params: ListParams = {}, allowStale = true): Promise<ListResult> {
    return this.listing.list(params, allowStale);
  }

  /** Every listing row matching `query`, all pages. */
  async listAll(query = '', allowStale = true): Promise<FullListing> {
    return this.listing.listAll(query, allowStale);
  }

  /**
   * Peers that have `hash`: every reachable tracker, the peers remembered from
   * earlier, and, when those say nothing, peer exchange with known peers and
   * the DHT. What is found is remembered for when the trackers are gone.
   */
  async findPeers(hash: string): Promise<PeerAddress[]> {
    return this.peerFinder.findPeers(hash);
  }

  /**
   * Turns what a person typed into one content: an exact listed path, or else
   * a content-hash prefix. Two contents under one name is an error naming both.
   */
  async resolve(nameOrHash: string): Promise<ListingItem> {
    return this.resolver.resolve(nameOrHash);
  }

  // ---- downloads: the queue owns them; these address them by content hash ----

  /** Adds a download of one listed content to the queue (or returns the row of the one already there). */
  startDownload(item: DownloadItem, destDir?: string): Promise<DownloadProgress> {
    return this.queue.start(item, destDir);
  }

  pauseDownload(hash: string): Promise<void> {
    return this.queue.pause(hash);
  }

  resumeDownload(hash: string): Promise<void> {
    return this.queue.resume(hash);
  }

  retryDownload(hash: string): Promise<void> {
    return this.queue.retry(hash);
  }

  /**
   * Stops a download and forgets it. `deleteData: false` keeps its verified
   * pieces on disk, so downloading the same content again resumes from them.
   */
  cancelDownload(hash: string, options: { deleteData: boolean }): Promise<void> {
    return this.queue.cancel(hash, options);
  }

  /** Takes a stopped download off the list; its file stays. */
  removeDownload(hash: string): Promise<void> {
    return this.queue.remove(hash);
  }

  /** Every download's row, in the order they were added. */
  downloads(): DownloadProgress[] {
    return this.queue.list();
  }

  finishedDownloadPath(hash: string): string {
    return this.queue.finishedPath(hash);
  }

  /** Drops finished downloads whose file was deleted (before a listing shows "Downloaded"). */
  checkFinishedDownloads(): Promise<void> {
    return this.queue.checkFinished();
  }

  /** Downloads one content to the end, through the queue, and shares the result: `-get`. */
  async fetch(item: DownloadItem, destDir?: string): Promise<string> {
    return this.queue.fetch(item, destDir);
  }

  /**
   * The Download of one content, registered but not queued, for callers that
   * drive a single transfer themselves (tests, tools): see runDownload.
   */
  download(item: DownloadItem, destDir?: string): Download {
    return this.queue.register(item, destDir);
  }

  /** Runs (or resumes) a registered download now, outside the queue's slots, and shares the result. */
  async runDownload(download: Download): Promise<string> {
    return this.queue.run(download);
  }

  private createDownload(item: DownloadItem, destDir: string): Download {
    return new Download({
      hash: item.hash,
      name: item.name,
      ...(item.size !== undefined ? { sizeHint: item.size } : {}),
      destDir,
      stateDir: path.join(this.options.dataDir, 'downloads'),
      self: { peerId: this.peerId, listenPort: this.port, identity: this.identity },
      findPeers: (hash) => this.findPeers(hash),
      transport: this.transport,
      dial: (address) => this.reach.dial(address),
      upgrade: (address) => this.reach.upgrade(address),
      ...(this.options.pathUpgradeMs ? { upgradeMs: this.options.pathUpgradeMs } : {}),
      logger: this.logger,
      limiter: this.downloadLimiter,
      ...(this.options.maxPeersPerDownload ? { maxPeers: this.options.maxPeersPerDownload } : {}),
      ...(this.options.peerRetryDelaysMs ? { peerRetryDelaysMs: this.options.peerRetryDelaysMs } : {}),
      ...(this.options.stallTimeoutMs !== undefined ? { stallTimeoutMs: this.options.stallTimeoutMs } : {}),
      ...(this.options.stallPollMs ? { stallPollMs: this.options.stallPollMs } : {}),
    });
  }
}

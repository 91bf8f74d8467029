import { EventEmitter } from 'node:events';
import path from 'node:path';
import type { PeerAddress } from '../../../shared/protocol/messages.js';
import { unsafePathReason } from '../../../shared/protocol/path.js';
import type { DownloadProgress, DownloadState, PeerRoute } from '../../../shared/types.js';
import { EngineError, errorCode, errorMessage } from '../errors.js';
import { contentHashOf, pieceLength, type ContentInfo } from '../core/content-hash.js';
import { silentLogger, type Logger } from '../logger.js';
import { tcpTransport, type Transport } from '../wire/transport.js';
import { HolderSearch } from './holder-search.js';
import { PiecePicker } from './piece-picker.js';
import { PeerSource, directDial, type DialPeer, type DialedPeer } from './peer-source.js';
import { PathUpgrade } from './path-upgrade.js';
import { PieceStore, loadResumeState } from './piece-store.js';
import type { ServedContent } from './content-source.js';
import { RateMeter } from './rate-meter.js';
import { pieceBuffers } from '../core/buffer-pool.js';
import type { ReceivedPiece } from '../wire/frame-codec.js';

/** Sources one download uses at once. */
export const DEFAULT_MAX_PEERS = 4;
/**
 * Piece requests outstanding per source: 4 MiB in flight keeps a fast link
 * busy, and leaves pieces for other sources to take (so faster peers get more).
 */
const PIPELINE_DEPTH = 8;
/**
 * Received pieces waiting for the disk at most; beyond this no new requests go out
 * until writes catch up, so a disk slower than the network bounds memory instead
 * of filling it.
 */
const MAX_PIECES_STORING = 32;
const REQUEST_TIMEOUT_MS = 30_000;
const BUSY_RETRY_MS = 200;
const AVAILABILITY_POLL_MS = 300;
/** While below maxPeers, look for more sources this often (new seeders, other downloaders). */
const SOURCE_DISCOVERY_MS = 2000;

import type { DownloadOptions } from './download-options.js';
export type { DownloadOptions };

export interface DownloadEvents {
  /** The first verified piece is on disk: from now on this peer can serve some of it. */
  shareable: [];
  progress: [DownloadProgress];
  warning: [string];
}

/**
 * Fetches one content from whoever has it: random peer order (as the original
 * spec does), up to `maxPeers` at once, every piece verified before it is
 * written, a lying peer banned, and the file renamed into place only when whole.
 */
export class Download extends EventEmitter<DownloadEvents> {
  readonly hash: string;
  readonly name: string;
  readonly finalPath: string;
  state: DownloadState = 'queued';
  size: number | undefined;
  error: { code: string; message: string } | undefined;
  /** Verified bytes per remote peer id, for the UI and tests. */
  readonly bytesByPeer = new Map<string, number>();
  /** Peers that sent bad data for this content; never asked again. */
  readonly banned = new Set<string>();
  info: ContentInfo | undefined;

  private readonly logger: Logger;
  private readonly transport: Transport;
  private readonly dial: DialPeer;
  /** Every peer bytes came from, with its path; kept after it disconnects, for the summary. */
  private readonly routes = new Map<string, PeerRoute>();
  private readonly maxPeers: number;
  private readonly meter = new RateMeter();
  private store: PieceStore | undefined;
  private readonly sources = new Set<PeerSource>();
  /** Candidate holders and the search for more (one per run). */
  private search: HolderSearch | undefined;
  private connecting = 0;
  /** Holders are being looked up because no source is left. */
  private refreshing = false;
  /** Which piece next, from whom (one per transfer). */
  private picker: PiecePicker | undefined;
  private abort: AbortController | undefined;
  private settle: { resolve(): void; reject(err: Error): void } | undefined;
  /** Settles when the current run() has closed its store (cancel waits for it before touching the files). */
  private runEnded: Promise<unknown> = Promise.resolve();
  /** Verified pieces being written right now. */
  private readonly pendingWrites = new Set<Promise<void>>();
  /** Relayed sources looking for a better path (absent without `upgrade`). */
  private readonly upgrades: PathUpgrade | undefined;

  constructor(private readonly options: DownloadOptions) {
    super();
    const unsafe = unsafePathReason(options.name);
    if (unsafe) throw new EngineError('unsafe_path', `refusing to save "${options.name}": ${unsafe}`);
    this.hash = options.hash;
    this.name = options.name;
    this.finalPath = path.join(options.destDir, ...options.name.split('/'));
    this.logger = options.logger ?? silentLogger;
    this.transport = options.transport ?? tcpTransport;
    this.dial = options.dial ?? directDial(this.transport);
    this.maxPeers = options.maxPeers ?? DEFAULT_MAX_PEERS;
    this.size = options.sizeHint;
    const upgrade = options.upgrade;
    this.upgrades = upgrade && new PathUpgrade({
      find: (source) => upgrade(source.address),
      move: (source, dialed) => this.movePath(source, dialed),
      inUse: (source) => this.settle !== undefined && this.sources.has(source),
      ...(options.upgradeMs ? { firstMs: options.upgradeMs.first, everyMs: options.upgradeMs.every } : {}),
    });
  }

  get bytesDone(): number {
    return this.store?.bytesDone ?? 0;
  }

  /** Most pieces waiting for the disk at once in the last transfer (diagnostics and tests). */
  get peakStoring(): number {
    return this.picker?.peakStoring ?? 0;
  }

  get peers(): number {
    return this.sources.size;
  }

  progress(): DownloadProgress {
    const size = this.size ?? 0;
    const done = this.state === 'done' ? size : this.bytesDone;
    // Paused, stalled or done: nothing moves, so the rate is 0 at once (not a decaying average).
    const rate = this.state === 'downloading' && !this.abort?.signal.aborted ? this.meter.rate() : 0;
    // Right after a (re)start the window is near empty: say "estimating" rather than jump about.
    const eta = rate > 0 && size > done && this.meter.settled() ? Math.ceil((size - done) / rate) : null;
    return {
      hash: this.hash,
      name: this.name,
      path: this.finalPath,
      state: this.state,
      size,
      bytesDone: done,
      peers: this.sources.size,
      routes: [...this.routes.values()].map((r) => ({ ...r })),
      downloadRate: Math.round(rate),
      etaSeconds: eta,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  /** Runs to completion; resolves with the final path. Rejects with an EngineError (kept partial on disk). */
  run(): Promise<string> {
    const running = this.runOnce();
    this.runEnded = running.catch(() => {});
    return running;
  }

  private async runOnce(): Promise<string> {
    if (this.state === 'done') return this.finalPath;
    this.abort = new AbortController();
    this.error = undefined;
    this.search = this.holderSearch(this.abort.signal);
    this.meter.reset(); // the rate before a pause says nothing about the rate after it
    this.setState('connecting');
    try {
      const statePath = this.statePath;
      let previous = await loadResumeState(statePath, this.hash);
      if (previous && contentHashOf(previous.size, previous.pieceSize, Buffer.from(previous.pieceHashes, 'base64')) !== this.hash) {
        previous = undefined; // damaged record: fetch the hashes again
      }
      const meta: { size: number; pieceSize: number; pieceHashes: Buffer } = previous
        ? { size: previous.size, pieceSize: previous.pieceSize, pieceHashes: Buffer.from(previous.pieceHashes, 'base64') }
        : await this.fetchMeta();
      this.size = meta.size;
      this.info = { hash: this.hash, ...meta };
      this.store = await PieceStore.open({ hash: this.hash, name: this.name, finalPath: this.finalPath, root: this.options.destDir, statePath, ...meta }, previous);
      if (this.store.resumedPieces > 0) this.logger.info(`${this.name}: resuming with ${this.store.resumedPieces} verified pieces`);
      if (!this.store.complete) {
        this.setState('downloading');
        if (this.store.piecesDone > 0) this.emit('shareable'); // resumed with pieces to share
        await this.transfer();
      }
      this.setState('verifying');
      const finalPath = await this.store.finalize();
      this.setState('done');
      return finalPath;
    } catch (err) {
      const failure = err instanceof EngineError ? err : new EngineError('io_error', errorMessage(err), { cause: err });
      // Verified pieces already being written still land: settle them before reporting the final figures.
      await Promise.allSettled([...this.pendingWrites]);
      if (this.abort.signal.aborted) {
        this.setState(this.state === 'failed' ? 'failed' : (this.abort.signal.reason as DownloadState) ?? 'paused');
      } else {
        this.error = { code: failure.code, message: failure.message };
        this.setState('failed');
      }
      throw failure;
    } finally {
      this.closeSources();
      await this.store?.close();
    }
  }

  /** The pieces verified so far, servable to other peers while this download goes on. */
  served(): ServedContent | undefined {
    const store = this.store;
    const info = this.info;
    // Stalled still serves: other downloaders waiting for the same holder can trade pieces meanwhile.
    if (!store || !info || store.piecesDone === 0 || (this.state !== 'downloading' && this.state !== 'stalled')) return undefined;
    return {
      name: this.name,
      size: info.size,
      pieceSize: info.pieceSize,
      pieceHashes: info.pieceHashes,
      hasPiece: (i) => store.has(i),
      bitfield: () => store.bitfield(),
      readPiece: (i) => store.read(i),
      close: async () => {},
    };
  }

  /** Shows the download as waiting for its turn (a queue slot). */
  markQueued(): void {
    if (this.state === 'paused' || this.state === 'failed' || this.state === 'cancelled') {
      this.error = undefined;
      this.setState('queued');
    }
  }

  /** A download finished in an earlier run: shown as done, nothing to fetch. */
  markDone(finalPath: string): void {
    if (finalPath !== this.finalPath) return;
    this.setState('done');
  }

  /** Stops transferring; verified pieces stay on disk for `run()` to resume. */
  pause(): void {
    this.stop('paused');
  }

  private get statePath(): string {
    return path.join(this.options.stateDir, `${this.hash}.json`);
  }

  /**
   * Stops for good. With `deleteData` the partial file and its resume record
   * go too; without, both stay, so a later download of the same content
   * resumes from the verified pieces (as a paused one would).
   */
  async cancel({ deleteData }: { deleteData: boolean }): Promise<void> {
    this.stop('cancelled');
    // The running transfer closes its store on the way out: touch the files only after that.
    await this.runEnded;
    if (!deleteData) return;
    if (this.store) return this.store.discard();
    // Restored after a restart and never run: no store was opened, the files are still there.
    await PieceStore.discardFiles(this.finalPath, this.hash, this.statePath);
  }

  private stop(reason: 'paused' | 'cancelled'): void {
    if (!this.abort || this.abort.signal.aborted || this.state === 'done' || this.state === 'failed') {
      if (reason === 'cancelled' || this.state === 'queued') this.setState(reason);
      return;
    }
    this.abort.abort(reason);
    this.settle?.reject(new EngineError('cancelled', `download ${reason}`));
  }

  private holderSearch(signal: AbortSignal): HolderSearch {
    return new HolderSearch(
      {
        hash: this.hash,
        name: this.name,
        selfPeerId: this.options.self.peerId,
        findPeers: this.options.findPeers,
        logger: this.logger,
        banned: this.banned,
        connected: () => [...this.sources].map((s) => s.address),
        bytesDone: () => this.bytesDone,
        onStalled: () => this.setState('stalled'),
        retryDelaysMs: this.options.peerRetryDelaysMs,
        stallTimeoutMs: this.options.stallTimeoutMs,
        stallPollMs: this.options.stallPollMs,
      },
      signal,
    );
  }

  private checkAborted(): void {
    if (this.abort?.signal.aborted) throw new EngineError('cancelled', `download ${String(this.abort.signal.reason)}`);
  }

  /** Tries peers in random order until one gives piece hashes that match the content hash. */
  private async fetchMeta(): Promise<{ size: number; pieceSize: number; pieceHashes: Buffer }> {
    for (;;) {
      this.checkAborted();
      const address = await this.search!.next();
      let source: PeerSource | undefined;
      try {
        source = await PeerSource.connect(address, this.options.self, this.dial, this.requestTimeoutMs);
        const meta = await source.fetchMeta(this.hash, this.options.sizeHint);
        if (this.search!.answered()) this.setState('connecting');
        this.sources.add(source);
        this.watchSource(source);
        return meta;
      } catch (err) {
        source?.close();
        if (errorCode(err) === 'hash_mismatch') this.ban(address, errorMessage(err));
        else this.logger.debug(`${this.name}: peer ${address.host}:${address.port} failed: ${errorMessage(err)}`);
      }
    }
  }

  private get requestTimeoutMs(): number {
    return this.options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  }

  private transfer(): Promise<void> {
    this.picker = new PiecePicker(this.store!);
    const discovery = setInterval(() => void this.discoverSources(), this.options.sourceDiscoveryMs ?? SOURCE_DISCOVERY_MS);
    discovery.unref();
    return new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
      this.checkAborted();
      for (const source of this.sources) this.feed(source);
      this.fillSources();
    }).finally(() => {
      clearInterval(discovery);
      this.settle = undefined;
    });
  }

  /** Tops up the candidate list with peers that appeared since (a swarm grows as others download). */
  private async discoverSources(): Promise<void> {
    if (!this.settle || this.refreshing || this.sources.size + this.connecting >= this.maxPeers) return;
    if (await this.search!.discover()) this.fillSources();
  }

  /** Opens connections to more peers, up to maxPeers. */
  private fillSources(): void {
    if (!this.settle) return;
    while (this.sources.size + this.connecting < this.maxPeers && this.search!.size > 0) {
      const address = this.search!.take()!;
      this.connecting++;
      void this.addSource(address);
    }
    if (this.sources.size === 0 && this.connecting === 0 && !this.refreshing) {
      this.refreshing = true;
      this.search!.refresh().then(
        () => {
          this.refreshing = false;
          this.fillSources();
        },
        (err: Error) => {
          this.refreshing = false;
          this.settle?.reject(err);
        },
      );
    }
  }

  /** Connects to one more source; a failure only costs that candidate. */
  private async addSource(address: PeerAddress): Promise<void> {
    let source: PeerSource | undefined;
    try {
      source = await PeerSource.connect(address, this.options.self, this.dial, this.requestTimeoutMs);
      await source.refreshAvailability(this.hash);
    } catch (err) {
      source?.close();
      this.connecting--;
      this.logger.debug(`${this.name}: cannot use peer ${address.host}:${address.port}: ${errorMessage(err)}`);
      this.fillSources();
      return;
    }
    this.connecting--;
    if (!this.settle) return source.close();
    if (this.search?.answered()) this.setState('downloading');
    this.sources.add(source);
    this.watchSource(source);
    this.feed(source);
    this.emitProgress();
  }

  /** Moves `old`'s peer onto a better path: the new connection joins, then the relayed one leaves (its requests go back to the picker). */
  private async movePath(old: PeerSource, dialed: DialedPeer): Promise<boolean> {
    let better: PeerSource | undefined;
    try {
      better = await PeerSource.connect(old.address, this.options.self, async () => dialed, this.requestTimeoutMs);
      await better.refreshAvailability(this.hash);
    } catch (err) {
      better?.close();
      this.logger.debug(`${this.name}: a better path to ${old.label} did not hold: ${errorMessage(err)}`);
      return false;
    }
    if (!this.settle || !this.sources.has(old)) {
      better.close();
      return true;
    }
    this.sources.add(better);
    this.watchSource(better);
    this.logger.info(`${this.name}: peer ${old.label} moved from the relay to a ${better.path} path`);
    this.dropSource(old, `moved to a ${better.path} path`);
    this.feed(better);
    return true;
  }

  /** The route record of `source`'s peer: the path of its latest connection, bytes over all of them. */
  private routeOf(source: PeerSource): PeerRoute {
    const peer = source.address.peerId.slice(0, 8);
    let route = this.routes.get(peer);
    if (!route) this.routes.set(peer, (route = { peer, path: source.path, bytes: 0 }));
    route.path = source.path;
    return route;
  }

  private watchSource(source: PeerSource): void {
    this.routeOf(source);
    this.upgrades?.watch(source);
    source.conn.once('close', (reason) => {
      if (this.sources.has(source)) this.dropSource(source, reason ? errorMessage(reason) : 'closed');
    });
  }

  private feed(source: PeerSource): void {
    const store = this.store;
    if (!store || !this.settle) return;
    const maxStoring = this.options.maxPiecesStoring ?? MAX_PIECES_STORING;
    const picker = this.picker!;
    while (source.inflight.size < PIPELINE_DEPTH && !source.closed && picker.storingCount < maxStoring) {
      const index = picker.pick(source);
      if (index === undefined) {
        if (source.inflight.size === 0 && !store.complete) this.waitForPieces(source);
        return;
      }
      this.request(source, index);
    }
  }

  /** A partial holder has nothing we need yet: ask again shortly what it has. */
  private waitForPieces(source: PeerSource): void {
    if (source.refreshing) return;
    source.refreshing = true;
    setTimeout(() => {
      if (source.closed || !this.settle) return;
      source
        .refreshAvailability(this.hash)
        .then(() => {
          source.refreshing = false;
          this.feed(source);
        })
        .catch((err: unknown) => this.dropSource(source, errorMessage(err)));
    }, AVAILABILITY_POLL_MS).unref();
  }

  private request(source: PeerSource, index: number): void {
    this.picker!.requested(source, index);
    const limiter = this.options.limiter;
    const length = pieceLength(index, this.size ?? 0, this.info?.pieceSize);
    // The download limit is spent when asking, so at most a pipeline's worth is ever in flight over it.
    const granted = limiter && limiter.limit > 0 ? limiter.take(length) : undefined;
    const ask = () => (source.closed || !this.settle ? Promise.reject(new EngineError('cancelled', 'source gone')) : source.requestPiece(this.hash, index, this.requestTimeoutMs));
    (granted ? granted.then(ask) : ask()).then(
      (piece) => this.onPiece(source, index, piece),
      (err: unknown) => this.onRequestFailed(source, index, err),
    );
  }

  private onPiece(source: PeerSource, index: number, piece: ReceivedPiece): void {
    const store = this.store;
    const picker = this.picker!;
    picker.released(source, index);
    if (!store || !this.settle || picker.received(index)) {
      pieceBuffers.give(piece.data); // a duplicate (endgame) or a piece of a stopped download
      if (store && this.settle) this.feed(source);
      return;
    }
    // The same piece requested from another peer in endgame is no longer needed from it.
    for (const other of picker.sendersOf(index)) other.cancelPiece(index);
    picker.beginStoring(index);
    const storing = this.verifyAndStore(store, source, index, piece);
    this.pendingWrites.add(storing);
    storing.then(
      () => {
        this.pendingWrites.delete(storing);
        if (store.complete && this.pendingWrites.size === 0) this.settle?.resolve();
        // A write done makes room: a source held back by MAX_PIECES_STORING may ask again.
        else if (this.settle) for (const other of this.sources) if (other.inflight.size < PIPELINE_DEPTH) this.feed(other);
      },
      (err: Error) => {
        this.pendingWrites.delete(storing);
        this.settle?.reject(err);
      },
    );
    // The write runs meanwhile: ask this peer for more right away.
    this.feed(source);
  }

  /** Writes a received piece if it is the piece we asked for (its digest was taken as it arrived). */
  private async verifyAndStore(store: PieceStore, source: PeerSource, index: number, { data, digest }: ReceivedPiece): Promise<void> {
    try {
      if (!this.settle) {
        // Stopped meanwhile: a verified piece still lands, so a resume need not fetch it again.
        if (store.matches(index, data.length, digest)) await store.write(index, data);
        return;
      }
      if (!store.matches(index, data.length, digest)) {
        this.picker!.endStoring(index);
        this.picker!.giveBack(index);
        this.ban(source.address, `peer ${source.label} sent a corrupt piece ${index} of ${this.name}`);
        this.dropSource(source, 'sent corrupt data');
        return;
      }
      this.search?.progressed();
      source.bytes += data.length;
      this.routeOf(source).bytes += data.length;
      this.bytesByPeer.set(source.address.peerId, (this.bytesByPeer.get(source.address.peerId) ?? 0) + data.length);
      this.meter.add(data.length);
      await store.write(index, data);
      // The first verified piece on disk: from now on we can serve part of this file.
      if (store.piecesDone === 1) this.emit('shareable');
      this.emitProgress();
    } finally {
      this.picker!.endStoring(index);
      pieceBuffers.give(data);
    }
  }

  private onRequestFailed(source: PeerSource, index: number, err: unknown): void {
    this.picker!.released(source, index);
    this.picker!.giveBack(index);
    if (!this.settle) return;
    if (errorCode(err) === 'cancelled' && !source.closed) return this.feed(source); // we withdrew it: the piece came from another peer
    if (errorCode(err) === 'busy' && !source.closed) {
      // Back-pressure, not misbehaviour: ask again shortly.
      setTimeout(() => this.feed(source), BUSY_RETRY_MS).unref();
      return;
    }
    this.dropSource(source, errorMessage(err));
  }

  private dropSource(source: PeerSource, reason: string): void {
    if (!this.sources.delete(source)) return;
    this.upgrades?.forget(source);
    this.logger.debug(`${this.name}: dropping peer ${source.label}: ${reason}`);
    for (const index of [...source.inflight]) {
      this.picker?.released(source, index);
      this.picker?.giveBack(index);
    }
    source.close();
    this.emitProgress();
    for (const other of this.sources) this.feed(other);
    this.fillSources();
  }

  private ban(address: PeerAddress, why: string): void {
    this.banned.add(address.peerId);
    const message = `${why}; banned it for this file`;
    this.logger.warn(message);
    this.emit('warning', message);
  }

  private closeSources(): void {
    for (const source of this.sources) {
      this.upgrades?.forget(source);
      source.close();
    }
    this.sources.clear();
    this.picker?.clearRequests();
  }

  private setState(state: DownloadState): void {
    if (this.state === state) return;
    this.state = state;
    this.emitProgress();
  }

  /**
   * Every change, unthrottled: the download queue's ProgressBatch is the one
   * place that decides how often a row leaves the engine.
   */
  private emitProgress(): void {
    this.emit('progress', this.progress());
  }
}

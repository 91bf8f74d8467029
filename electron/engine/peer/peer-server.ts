import { EventEmitter } from 'node:events';
import { MAX_HASHES_PER_REPLY, MAX_LOOKUP_PEERS, PIECE_SIZE } from '../../../shared/protocol/limits.js';
import { peerRequest, type ListingItem, type PeerAddress, type PeerRequest } from '../../../shared/protocol/messages.js';
import { pageOfListing } from '../discovery/network-cache.js';
import { budgetedPage } from '../tracker/listing-query.js';
import { EngineError, ProtocolError, errorCode, errorMessage } from '../errors.js';
import { HASH_BYTES, pieceCount } from '../core/content-hash.js';
import { silentLogger, type Logger } from '../logger.js';
import type { FramedConnection } from '../wire/connection.js';
import { pieceBuffers } from '../core/buffer-pool.js';
import { GatedListener, PEER_LIMITS } from '../wire/gated-listener.js';
import type { PrefaceHandler } from '../wire/preface.js';
import type { Duplex } from 'node:stream';
import type { Transport } from '../wire/transport.js';
import type { ContentSource, ServedContent } from './content-source.js';
import { RateLimiter } from './rate-limiter.js';
import type { PeerIdentity } from '../security/peer-identity.js';

const IDLE_TIMEOUT_MS = 60_000;
/** Piece requests one connection may have queued; more get `busy`. */
const MAX_QUEUED_REQUESTS = 64;
/** Pieces read from disk ahead of the one being sent. */
const READ_AHEAD = 2;
/** Bytes one connection may queue in its socket before waiting for a drain (a few pieces: keeps loopback and LAN links busy). */
const SEND_BUFFER_BYTES = 4 * 1024 * 1024;
/** Contents one connection may hold open at once. */
const MAX_OPEN_CONTENTS = 16;

export interface PeerServerOptions {
  port: number;
  host?: string | undefined;
  peerId: string;
  source: ContentSource;
  logger?: Logger;
  transport?: Transport;
  /** Established connections at once (default PEER_LIMITS); more are refused with `busy`. */
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** Overrides the per-frame deadline (tests). */
  frameDeadlineMs?: number;
  /** Overrides the time a new connection has to finish its handshake (tests). */
  handshakeDeadlineMs?: number;
  /** Peers we know hold a content, for peer exchange (besides ourselves). */
  directory?: (hash: string) => PeerAddress[];
  /** Global upload limit shared by every connection. */
  uploadLimiter?: RateLimiter;
  identity?: PeerIdentity;
  /** Takes connections that open with a rendezvous preface (a holder we asked to dial back). */
  onPreface?: PrefaceHandler;
  /** Managed membership: why a peer with this id and certificate may not be served, or undefined. */
  admits?: ((peerId: string, certificate: Buffer | undefined) => string | undefined) | undefined;
  /** The files we share, for a peer's `list` (absent: `list` is not_found). */
  catalog?: () => ListingItem[];
}

export interface PeerServerEvents {
  warning: [string];
  /** A remote peer that serves on `port` said hello: someone to remember for peer exchange. */
  peer: [PeerAddress];
  /** Bytes of piece data sent to a remote peer. */
  upload: [{ peerId: string; hash: string; bytes: number }];
}

/** Serves pieces of announced content to other peers. */
export class PeerServer extends EventEmitter<PeerServerEvents> {
  uploadedBytes = 0;
  private readonly listener: GatedListener<PeerRequest>;
  /** Served connections by the peer id they proved, so a revoked member's are cut at once. */
  private readonly byPeer = new Map<string, Set<FramedConnection<PeerRequest>>>();
  private readonly logger: Logger;
  /** @internal */
  readonly limiter: RateLimiter;

  constructor(private readonly options: PeerServerOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.limiter = options.uploadLimiter ?? new RateLimiter(0);
    this.listener = new GatedListener({
      name: 'The peer',
      port: options.port,
      host: options.host,
      transport: options.transport,
      logger: this.logger,
      limits: {
        ...PEER_LIMITS,
        connections: options.maxConnections ?? PEER_LIMITS.connections,
        connectionsPerAddress: options.maxConnectionsPerAddress ?? PEER_LIMITS.connectionsPerAddress,
      },
      handshakeDeadlineMs: options.handshakeDeadlineMs,
      requests: peerRequest,
      idleTimeoutMs: IDLE_TIMEOUT_MS,
      frameDeadlineMs: options.frameDeadlineMs,
      peerId: options.peerId,
      agent: 'p2pclient',
      identity: options.identity,
      full: (connections) => new ProtocolError('busy', `peer is busy: it serves at most ${connections} connections`),
      accept: (hello, conn) => {
        const live = this.byPeer.get(hello.peerId) ?? new Set();
        // Managed membership (§22): the serving peer checks for itself; it doesn't rely on the tracker.
        const refused = this.options.admits?.(hello.peerId, hello.cert === undefined ? undefined : Buffer.from(hello.cert, 'base64'));
        if (refused) throw new ProtocolError('not_member', refused);
        live.add(conn);
        this.byPeer.set(hello.peerId, live);
        conn.once('close', () => {
          live.delete(conn);
          if (live.size === 0 && this.byPeer.get(hello.peerId) === live) this.byPeer.delete(hello.peerId);
        });
        if (hello.listenPort > 0) this.emit('peer', { peerId: hello.peerId, host: conn.remoteAddress, port: hello.listenPort });
        new ServingSession(conn, hello.peerId, this.options.source, this);
        return {};
      },
      warn: (message) => this.warn(message),
      onPreface: options.onPreface,
    });
  }

  /** Closes every connection of `peerId` with the reason (a revoked member, §22.3); how many there were. */
  cutOff(peerId: string, why: string): number {
    const conns = [...(this.byPeer.get(peerId) ?? [])];
    for (const conn of conns) conn.close(new ProtocolError('not_member', why));
    this.byPeer.delete(peerId);
    return conns.length;
  }

  get port(): number {
    return this.listener.port;
  }

  /** Frames received from closed connections (ops figures; the fuzz test counts with it). */
  get framesReceived(): number {
    return this.listener.framesReceived;
  }

  start(): Promise<number> {
    return this.listener.start();
  }

  /** Serves a connection we opened for a rendezvous (reversed, relayed, punched) as an accepted one. */
  serveOver(raw: Duplex, remote: string): Promise<void> {
    return this.listener.serveOver(raw, remote);
  }

  stop(): Promise<void> {
    return this.listener.stop();
  }

  get connectionCount(): number {
    return this.listener.connectionCount;
  }

  /** @internal One page of our own files for a peer's `list`; undefined when we keep no catalog. */
  catalogPage(q: Extract<PeerRequest, { type: 'list' }>): { total: number; items: ListingItem[] } | undefined {
    const all = this.options.catalog?.();
    if (!all) return undefined;
    const matches = pageOfListing(all, { ...q, offset: 0, limit: all.length }).items;
    return { total: matches.length, items: budgetedPage(matches, q.offset, q.limit) };
  }

  /** @internal */
  knownHolders(hash: string, exclude: string): PeerAddress[] {
    return (this.options.directory?.(hash) ?? []).filter((p) => p.peerId !== exclude).slice(0, MAX_LOOKUP_PEERS);
  }

  /** @internal */
  warn(message: string): void {
    this.logger.warn(message);
    this.emit('warning', message);
  }
}

interface QueuedRequest {
  id: number;
  hash: string;
  index: number;
}

/** One remote peer's requests, answered in order with backpressure. */
class ServingSession {
  private readonly open = new Map<string, Promise<ServedContent | undefined>>();
  private readonly queue: QueuedRequest[] = [];
  private serving = false;

  constructor(
    private readonly conn: FramedConnection<PeerRequest>,
    private readonly remotePeerId: string,
    private readonly source: ContentSource,
    private readonly server: PeerServer,
  ) {
    conn.on('message', (message) => this.onMessage(message));
    conn.on('close', (reason) => {
      if (reason instanceof ProtocolError) server.warn(`peer ${conn.remoteAddress}: ${reason.message}`);
      this.queue.length = 0;
      for (const pending of this.open.values()) void pending.then((c) => c?.close()).catch(() => {});
      this.open.clear();
    });
  }

  private onMessage(message: PeerRequest): void {
    switch (message.type) {
      case 'get-meta':
        void this.content(message.hash).then((content) => {
          if (!content) return this.notFound(message.id);
          const have = content.bitfield?.();
          this.conn.send({
            type: 'meta',
            id: message.id,
            hash: message.hash,
            size: content.size,
            pieceSize: PIECE_SIZE,
            name: content.name,
            ...(have ? { have: have.toString('base64') } : {}),
          });
        }, (err: unknown) => this.fail(message.id, err)).catch((err: unknown) => this.abort(err));
        return;
      case 'get-hashes':
        void this.content(message.hash).then((content) => {
          if (!content) return this.notFound(message.id);
          const count = pieceCount(content.size, content.pieceSize);
          if (message.from >= count && count > 0) {
            this.conn.send({ type: 'error', id: message.id, code: 'not_found', message: 'piece index out of range' });
            return;
          }
          const end = Math.min(count, message.from + Math.min(message.count, MAX_HASHES_PER_REPLY));
          const slice = content.pieceHashes.subarray(message.from * HASH_BYTES, end * HASH_BYTES);
          this.conn.send({ type: 'hashes', id: message.id, hash: message.hash, from: message.from, hashes: slice.toString('base64') });
        }, (err: unknown) => this.fail(message.id, err)).catch((err: unknown) => this.abort(err));
        return;
      case 'request':
        if (this.queue.length >= MAX_QUEUED_REQUESTS) {
          this.conn.send({ type: 'error', id: message.id, code: 'busy', message: `at most ${MAX_QUEUED_REQUESTS} queued requests` });
          return;
        }
        this.queue.push({ id: message.id, hash: message.hash, index: message.index });
        this.pump().catch((err: unknown) => this.abort(err));
        return;
      case 'cancel': {
        const at = this.queue.findIndex((r) => r.id === message.id);
        if (at >= 0) this.queue.splice(at, 1);
        return;
      }
      case 'get-peers':
        void this.content(message.hash).then(
          (content) => this.conn.send({ type: 'peer-list', id: message.id, hash: message.hash, has: content !== undefined, peers: this.server.knownHolders(message.hash, this.remotePeerId) }),
          (err: unknown) => this.fail(message.id, err),
        ).catch((err: unknown) => this.abort(err));
        return;
      case 'list': {
        const page = this.server.catalogPage(message);
        if (!page) return this.notFound(message.id);
        this.conn.send({ type: 'listing', id: message.id, total: page.total, offset: message.offset, items: page.items });
        return;
      }
      case 'ping':
        this.conn.send({ type: 'pong', id: message.id });
        return;
      case 'bye':
        this.conn.close();
        return;
      case 'error':
        this.server.warn(`peer ${this.conn.remoteAddress} reported: ${message.code} ${message.message}`);
        this.conn.close();
        return;
    }
  }

  private content(hash: string): Promise<ServedContent | undefined> {
    let pending = this.open.get(hash);
    if (!pending) {
      if (this.open.size >= MAX_OPEN_CONTENTS) {
        const [oldestHash, oldest] = this.open.entries().next().value!;
        this.open.delete(oldestHash);
        void oldest.then((c) => c?.close()).catch(() => {});
      }
      pending = this.source.open(hash);
      this.open.set(hash, pending);
      // Forget misses so content shared later can be found.
      void pending.then((c) => {
        if (!c && this.open.get(hash) === pending) this.open.delete(hash);
      }, () => this.open.delete(hash));
    }
    return pending;
  }

  /**
   * Answers queued requests in order. Up to READ_AHEAD pieces are read from disk
   * while earlier ones are being sent, so the disk and the socket work at the same
   * time; the socket may hold SEND_BUFFER_BYTES before we wait for it to drain.
   */
  private async pump(): Promise<void> {
    if (this.serving) return;
    this.serving = true;
    const reads: Array<{ request: QueuedRequest; data: Promise<Buffer | undefined> }> = [];
    try {
      for (;;) {
        while (reads.length < READ_AHEAD && this.queue.length > 0) {
          const request = this.queue.shift()!;
          reads.push({ request, data: this.load(request) });
        }
        const next = reads.shift();
        if (!next || this.conn.closed) break;
        const data = await next.data;
        if (!data) continue; // already answered with an error
        await this.server.limiter.take(data.length);
        if (this.conn.closed) break;
        this.conn.sendPiece(next.request.id, data, () => pieceBuffers.give(data));
        this.server.uploadedBytes += data.length;
        this.server.emit('upload', { peerId: this.remotePeerId, hash: next.request.hash, bytes: data.length });
        if (this.conn.unsentBytes > SEND_BUFFER_BYTES) await this.conn.drained();
      }
    } finally {
      this.serving = false;
    }
  }

  /** Reads one requested piece; a failure is answered here and yields undefined (never rejects). */
  private async load(request: QueuedRequest): Promise<Buffer | undefined> {
    const content = await this.content(request.hash).catch(() => undefined);
    if (this.conn.closed) return undefined;
    if (!content) {
      this.notFound(request.id);
      return undefined;
    }
    if (!content.hasPiece(request.index)) {
      this.conn.send({ type: 'error', id: request.id, code: 'not_found', message: `no piece ${request.index}` });
      return undefined;
    }
    try {
      return await content.readPiece(request.index);
    } catch (err) {
      // The file changed or vanished under us: drop the cached handle so the next request re-opens.
      this.open.delete(request.hash);
      void content.close().catch(() => {});
      this.fail(request.id, err);
      return undefined;
    }
  }

  /** Our own failure while serving: costs this connection, never the process. */
  private abort(err: unknown): void {
    this.server.warn(`serving ${this.conn.remoteAddress} failed: ${errorMessage(err)}`);
    this.conn.close(new ProtocolError('internal', 'internal error'));
  }

  private notFound(id: number): void {
    this.conn.send({ type: 'error', id, code: 'not_found', message: 'no such content here' });
  }

  private fail(id: number, err: unknown): void {
    const code = errorCode(err) === 'not_found' ? 'not_found' : 'internal';
    if (code === 'internal') this.server.warn(`serving failed: ${errorMessage(err)}`);
    this.conn.send({ type: 'error', id, code, message: err instanceof EngineError ? err.message : 'read failed' });
  }
}

import { EventEmitter } from 'node:events';
import { MAX_FILES_PER_ANNOUNCE, MESSAGE_BUDGET_BYTES } from '../../../shared/protocol/limits.js';
import {
  trackerReply,
  type FileAnnouncement,
  type ListSortKey,
  type ListingMessage,
  type PeersMessage,
  type PongMessage,
  type TrackerReply,
  type WelcomeMessage,
} from '../../../shared/protocol/messages.js';
import { EngineError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { FramedConnection } from '../wire/connection.js';
import { clientHandshake } from '../wire/handshake.js';
import { isKeyMismatch } from '../wire/tls-transport.js';
import { parseHostPort, tcpTransport, type Transport } from '../wire/transport.js';
import { Backoff } from './retry-timer.js';
import { awaitConnection } from './await-connection.js';
import type { PeerIdentity } from '../security/peer-identity.js';

const CONNECT_TIMEOUT_MS = 5000;
const CALL_TIMEOUT_MS = 10_000;
/** Coalesce bursts of folder changes into one announce. */
const ANNOUNCE_DEBOUNCE_MS = 100;
/** After a refusal (wrong key, tracker full) the next try waits about this long: sooner would change nothing. */
const REFUSED_RETRY_MS = 30_000;

/** What a person is told when the tracker holds another network key. */
export const WRONG_KEY_SENTENCE = 'this tracker uses a different network key: ask for a new invite';

/** A tracker that answers but will not take us: retrying soon won't help, and the person must hear why. */
export interface TrackerRefusal {
  code: 'wrong_key' | 'tracker_full' | 'not_member';
  message: string;
}

export interface TrackerClientOptions {
  address: string;
  peerId: string;
  /** Our serving port; 0 when we only query. */
  listenPort: number;
  /** Current truth of what we share; read on every (re)announce. */
  files: () => Iterable<FileAnnouncement>;
  logger?: Logger;
  transport?: Transport;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Proves our peer id over TLS. */
  identity?: PeerIdentity;
}

export interface TrackerClientEvents {
  connected: [WelcomeMessage];
  disconnected: [Error | undefined];
  /** Something went wrong that a person may want to know, e.g. unreachable. */
  warning: [string];
  /** The tracker refused us (wrong key, full); `refusal` holds it until we connect. */
  refused: [TrackerRefusal];
}

export interface ListParams {
  query?: string;
  offset?: number;
  limit?: number;
  sort?: ListSortKey;
  descending?: boolean;
}

/**
 * One tracker connection kept alive for the engine's lifetime: connects,
 * announces everything once, then only sends changes, heartbeats, and
 * reconnects with backoff when the tracker goes away.
 */
export class TrackerClient extends EventEmitter<TrackerClientEvents> {
  readonly host: string;
  readonly port: number;
  private conn: FramedConnection<TrackerReply> | undefined;
  private welcome: WelcomeMessage | undefined;
  private stopped = true;
  private readonly backoff: Backoff;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private announceTimer: NodeJS.Timeout | undefined;
  private announced = new Map<string, FileAnnouncement>();
  private syncing: Promise<void> = Promise.resolve();
  private readonly logger: Logger;
  private readonly transport: Transport;
  private failuresReported = 0;
  /** The code of the failure last said out loud, so a new kind of failure is said too. */
  private lastReported: string | undefined;
  /** Why the tracker last refused us, until we connect again. */
  refusal: TrackerRefusal | undefined;
  /** Last figures the tracker reported in a pong. */
  stats: { peers: number; generation: number } | undefined;

  constructor(private readonly options: TrackerClientOptions) {
    super();
    const { host, port } = parseHostPort(options.address);
    this.host = host;
    this.port = port;
    this.logger = options.logger ?? silentLogger;
    this.transport = options.transport ?? tcpTransport;
    this.backoff = new Backoff(options.backoffBaseMs, options.backoffMaxMs);
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get connected(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** The address the tracker sees us at (our IP plus the port we announced). */
  get observedAddress(): WelcomeMessage['address'] {
    return this.welcome?.address;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.announceTimer);
    const conn = this.conn;
    this.conn = undefined;
    if (conn && !conn.closed) {
      // Tell the tracker we are leaving so we vanish from the listing at once.
      conn.send({ type: 'bye' });
      await conn.drained();
      conn.socket.end();
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 500);
        conn.socket.once('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      conn.close();
    }
  }

  /** Resolves once connected; rejects at a refusal (wrong key, full) or after `timeoutMs`. */
  waitConnected(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.refusal) return Promise.reject(new EngineError(this.refusal.code, this.refusal.message));
    return awaitConnection(this, this.address, timeoutMs, signal);
  }

  /** The shared files changed: send the difference soon. */
  filesChanged(): void {
    if (!this.connected || this.announceTimer) return;
    this.announceTimer = setTimeout(() => {
      this.announceTimer = undefined;
      this.queueSync(false);
    }, ANNOUNCE_DEBOUNCE_MS);
    this.announceTimer.unref();
  }

  /** Resolves once everything queued so far has been announced. */
  flush(): Promise<void> {
    if (this.announceTimer) {
      clearTimeout(this.announceTimer);
      this.announceTimer = undefined;
      this.queueSync(false);
    }
    return this.syncing;
  }

  async list(params: ListParams = {}): Promise<ListingMessage> {
    return this.requireConn().call<ListingMessage>(
      {
        type: 'list',
        query: params.query ?? '',
        offset: params.offset ?? 0,
        limit: params.limit ?? 100,
        ...(params.sort ? { sort: params.sort } : {}),
        ...(params.descending ? { descending: true } : {}),
      },
      CALL_TIMEOUT_MS,
    );
  }

  /** Peers holding `hash`; an empty list when the tracker knows no one. */
  async lookup(hash: string): Promise<PeersMessage['peers']> {
    try {
      const reply = await this.requireConn().call<PeersMessage>({ type: 'lookup', hash }, CALL_TIMEOUT_MS);
      return reply.peers;
    } catch (err) {
      if (err instanceof EngineError && err.code === 'not_found') return [];
      throw err;
    }
  }

  /** Asks the tracker for its current figures (also serves as a heartbeat). */
  async refreshStats(): Promise<{ peers: number; generation: number } | undefined> {
    if (!this.conn || this.conn.closed) return undefined;
    await this.ping(this.conn, CALL_TIMEOUT_MS);
    return this.stats;
  }

  private async ping(conn: FramedConnection<TrackerReply>, timeoutMs: number): Promise<void> {
    const pong = await conn.call<PongMessage>({ type: 'ping' }, timeoutMs);
    if (pong.peers !== undefined && pong.generation !== undefined) this.stats = { peers: pong.peers, generation: pong.generation };
  }

  private requireConn(): FramedConnection<TrackerReply> {
    if (!this.conn || this.conn.closed) {
      throw new EngineError('tracker_unreachable', `not connected to tracker ${this.address}`);
    }
    return this.conn;
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    try {
      const opened = await this.transport.connect(this.host, this.port, CONNECT_TIMEOUT_MS);
      if (this.stopped) {
        opened.socket.destroy();
        return;
      }
      const { conn, welcome } = await clientHandshake(
        opened,
        { peerId: this.options.peerId, listenPort: this.options.listenPort, agent: 'p2pclient' },
        trackerReply,
        { idleTimeoutMs: 0, callTimeoutMs: CALL_TIMEOUT_MS },
        this.options.identity,
      );
      if (this.stopped) {
        conn.close();
        return;
      }
      this.conn = conn;
      this.welcome = welcome;
      this.backoff.reset();
      if (this.failuresReported > 0) this.logger.info(`tracker ${this.address} is reachable again`);
      this.failuresReported = 0;
      this.lastReported = undefined;
      this.refusal = undefined;
      conn.on('message', (message) => {
        if (message.type === 'error') this.logger.warn(`tracker ${this.address}: ${message.code}: ${message.message}`);
      });
      conn.once('close', (reason) => this.onClosed(conn, reason));
      this.startHeartbeat(conn, welcome.heartbeatMs ?? 4000);
      this.announced = new Map();
      this.queueSync(true);
      this.emit('connected', welcome);
    } catch (err) {
      const refusal = this.refusalOf(err);
      if (refusal) {
        this.refusal = refusal;
        this.emit('refused', refusal);
        this.scheduleReconnect(new EngineError(refusal.code, refusal.message));
      } else this.scheduleReconnect(err);
    }
  }

  private refusalOf(err: unknown): TrackerRefusal | undefined {
    return trackerRefusalOf(this.address, err);
  }

  private onClosed(conn: FramedConnection<TrackerReply>, reason: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    clearInterval(this.heartbeatTimer);
    this.emit('disconnected', reason);
    if (!this.stopped) this.scheduleReconnect(reason ?? new Error('connection closed'));
  }

  private scheduleReconnect(err: unknown): void {
    if (this.stopped) return;
    const refused = this.refusal !== undefined && err instanceof EngineError && err.code === this.refusal.code;
    const delay = refused ? Math.max(this.backoff.next(), Math.round(REFUSED_RETRY_MS * (0.75 + Math.random() / 2))) : this.backoff.next();
    const retry = `retrying in ${(delay / 1000).toFixed(1)} s`;
    const message = refused ? `${errorMessage(err)}; ${retry}` : `tracker ${this.address} unreachable (${errorMessage(err)}); ${retry}`;
    // Say it loudly the first time (and when the cause changes), then quietly: a long outage should not flood the log.
    const kind = refused ? this.refusal!.code : 'unreachable';
    const changed = kind !== this.lastReported;
    this.lastReported = kind;
    if (this.failuresReported++ === 0 || changed) {
      this.logger.warn(message);
      this.emit('warning', message);
    } else this.logger.debug(message);
    this.retryTimer = setTimeout(() => void this.connect(), delay);
    this.retryTimer.unref();
  }

  private startHeartbeat(conn: FramedConnection<TrackerReply>, intervalMs: number): void {
    clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = setInterval(() => {
      this.ping(conn, intervalMs * 2).catch((err: unknown) => {
        conn.close(err instanceof Error ? err : new Error(String(err)));
      });
    }, intervalMs);
    this.heartbeatTimer.unref();
  }

  private queueSync(reset: boolean): void {
    const conn = this.conn;
    if (!conn) return;
    this.syncing = this.syncing
      .then(() => this.sync(conn, reset))
      .catch((err: unknown) => {
        if (conn.closed) return;
        const code = err instanceof EngineError ? err.code : undefined;
        if (code === 'tracker_full' || code === 'too_many_files') {
          // A cap of the tracker: the person must hear it, with the cap it names ("tracker is full: it lists at most …").
          const said = errorMessage(err).replace(/^remote: /, '');
          const message = code === 'tracker_full' ? `tracker ${this.address} is full: ${said.replace(/^tracker is full: /, '')}` : `tracker ${this.address}: ${said}`;
          this.logger.warn(message);
          this.emit('warning', message);
        } else this.logger.warn(`announce to ${this.address} failed: ${errorMessage(err)}`);
      });
  }

  /** Sends the difference between what the tracker has and what we share, in batches. */
  private async sync(conn: FramedConnection<TrackerReply>, reset: boolean): Promise<void> {
    if (conn.closed || this.options.listenPort === 0) return;
    const desired = new Map<string, FileAnnouncement>();
    for (const file of this.options.files()) desired.set(file.path, file);
    const add: FileAnnouncement[] = [];
    const remove: string[] = [];
    for (const [path, file] of desired) {
      const known = this.announced.get(path);
      if (!known || known.hash !== file.hash || known.size !== file.size) add.push(file);
    }
    for (const path of this.announced.keys()) if (!desired.has(path)) remove.push(path);
    if (!reset && add.length === 0 && remove.length === 0) return;
    let first = true;
    do {
      const addBatch = takeBatch(add, (f) => f.path.length * 3 + 110);
      const removeBatch = takeBatch(remove, (p) => p.length * 3 + 4);
      await conn.call({ type: 'announce', reset: reset && first, add: addBatch, remove: removeBatch });
      if (reset && first) this.announced = new Map();
      for (const file of addBatch) this.announced.set(file.path, file);
      for (const path of removeBatch) this.announced.delete(path);
      first = false;
    } while (add.length > 0 || remove.length > 0);
  }
}

/** Removes and returns the next batch: at most MAX_FILES_PER_ANNOUNCE items and about half the byte budget. */
function takeBatch<T>(items: T[], cost: (item: T) => number): T[] {
  let bytes = 0;
  let n = 0;
  while (n < items.length && n < MAX_FILES_PER_ANNOUNCE) {
    bytes += cost(items[n]!);
    if (bytes > MESSAGE_BUDGET_BYTES / 2 && n > 0) break;
    n++;
  }
  return items.splice(0, n);
}

/** A failed stream handshake as the refusal a person must hear (wrong key, full), or undefined for an outage. */
export function trackerRefusalOf(address: string, err: unknown): TrackerRefusal | undefined {
  if (isKeyMismatch(err)) return { code: 'wrong_key', message: `${address}: ${WRONG_KEY_SENTENCE}` };
  // Managed membership (§22): the key is right, but this identity holds no valid certificate there.
  if (err instanceof EngineError && err.code === 'not_member') return { code: 'not_member', message: `tracker ${address}: ${err.message.replace(/^refused: /, '')}` };
  if (err instanceof EngineError && err.code === 'tracker_full') {
    // The handshake refusal reads "refused: tracker is full: it serves at most N connections; try again later".
    return { code: 'tracker_full', message: `tracker ${address} is full: ${err.message.replace(/^refused: (tracker is full: )?/, '')}` };
  }
  return undefined;
}

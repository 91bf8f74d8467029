import { trackerReply, type TrackerReply, type TrackerRequest, type WelcomeMessage } from '../../../shared/protocol/messages.js';
import { EngineError } from '../errors.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import type { FramedConnection } from '../wire/connection.js';
import { clientHandshake } from '../wire/handshake.js';
import type { Transport } from '../wire/transport.js';

const CONNECT_TIMEOUT_MS = 5000;
export const STREAM_CALL_TIMEOUT_MS = 10_000;
/**
 * A stream unused this long is closed: protocol v2 keeps no connection to a tracker just to
 * stay listed (that is the control plane's job), and reopening a TLS-PSK session is cheap.
 */
export const STREAM_IDLE_MS = 5000;

type Request = Exclude<TrackerRequest, { type: 'bye' | 'error' }>;
type Distribute<T> = T extends unknown ? Omit<T, 'id'> : never;

export interface TrackerStreamOptions {
  host: string;
  port: number;
  peerId: string;
  transport: Transport;
  identity?: PeerIdentity | undefined;
  idleMs?: number;
}

/**
 * The stream channel to one tracker, opened when a request needs it (a listing page, a
 * lookup with more holders than a datagram carries, an announce entry too large for one)
 * and closed after STREAM_IDLE_MS without one. It says hello as a query-only client
 * (listenPort 0): membership is the control plane's, and closing this changes nothing
 * in the listing.
 */
export class TrackerStream {
  private conn: FramedConnection<TrackerReply> | undefined;
  private opening: Promise<FramedConnection<TrackerReply>> | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private closed = false;
  welcome: WelcomeMessage | undefined;

  constructor(private readonly options: TrackerStreamOptions) {}

  get open(): boolean {
    return this.conn !== undefined && !this.conn.closed;
  }

  /** Sends one request and resolves with its reply; opens the stream when needed. */
  async call<T extends TrackerReply>(request: Distribute<Request>, timeoutMs = STREAM_CALL_TIMEOUT_MS): Promise<T> {
    const conn = await this.connection();
    clearTimeout(this.idleTimer);
    try {
      return await conn.call<T>(request as Distribute<TrackerRequest>, timeoutMs);
    } finally {
      this.armIdle(conn);
    }
  }

  /** Opens the stream now (to learn whether the tracker takes us: a wrong key shows here). */
  async probe(): Promise<void> {
    this.armIdle(await this.connection());
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.idleTimer);
    const conn = this.conn;
    this.conn = undefined;
    if (conn && !conn.closed) {
      conn.send({ type: 'bye' });
      conn.socket.end();
      conn.close();
    }
  }

  private connection(): Promise<FramedConnection<TrackerReply>> {
    if (this.closed) return Promise.reject(new EngineError('tracker_unreachable', `stream to tracker ${this.options.host}:${this.options.port} is closed`));
    if (this.conn && !this.conn.closed) return Promise.resolve(this.conn);
    this.opening ??= this.connect().finally(() => (this.opening = undefined));
    return this.opening;
  }

  private async connect(): Promise<FramedConnection<TrackerReply>> {
    const { host, port, transport } = this.options;
    const opened = await transport.connect(host, port, CONNECT_TIMEOUT_MS);
    const { conn, welcome } = await clientHandshake(
      opened,
      { peerId: this.options.peerId, listenPort: 0, agent: 'p2pclient' },
      trackerReply,
      { idleTimeoutMs: 0, callTimeoutMs: STREAM_CALL_TIMEOUT_MS },
      this.options.identity,
    );
    if (this.closed) {
      conn.close();
      throw new EngineError('tracker_unreachable', 'stream closed while opening');
    }
    this.conn = conn;
    this.welcome = welcome;
    conn.once('close', () => {
      if (this.conn === conn) this.conn = undefined;
    });
    return conn;
  }

  private armIdle(conn: FramedConnection<TrackerReply>): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.conn !== conn || conn.closed) return;
      this.conn = undefined;
      conn.send({ type: 'bye' });
      conn.socket.end();
      conn.close();
    }, this.options.idleMs ?? STREAM_IDLE_MS);
    this.idleTimer.unref();
  }
}

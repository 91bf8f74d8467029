import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { ROLE_REQUESTER, type DatagramStatus } from '../../../shared/protocol/datagram.js';
import type { Logger } from '../logger.js';
import { RateLimiter } from '../peer/rate-limiter.js';

/** The default cap of one relayed connection, both directions together. */
export const DEFAULT_RELAY_LIMIT_KIBPS = 4096;
/** Relayed connections at once; a relay is a last resort, not a second network. */
export const MAX_RELAYED_PAIRS = 32;
/** Relayed connections one member may take part in at once. */
export const MAX_RELAYED_PER_MEMBER = 4;
/** The second side must arrive this long after CONNECT, or the session is dropped. */
const PAIRING_MS = 15_000;
/** A relayed connection with no byte either way this long is closed. */
const IDLE_MS = 120_000;

export interface TrackerRelayOptions {
  /** Bytes per second per relayed connection (both directions share it); 0 = unlimited. */
  limitBytesPerSecond: number;
  /** Bytes per second over every relayed connection; default 8 × the per-connection cap. */
  totalBytesPerSecond?: number;
  maxPairs?: number;
  maxPerMember?: number;
  logger: Logger;
}

interface RelaySession {
  members: [string, string];
  sockets: [net.Socket | undefined, net.Socket | undefined];
  timer: NodeJS.Timeout;
  spliced: boolean;
}

/**
 * A tracker's relay (docs/PROTOCOL.md §20.3): it splices two TCP connections that presented the
 * same session, one from each side. Sessions are made only by CONNECT from a joined member to
 * another joined member and travel only in sealed datagrams, so a non-member has none, and no
 * request carries an address: the relay is no proxy. What it carries is the two peers' own
 * TLS, so it sees ciphertext and sizes only.
 */
export class TrackerRelay {
  port = 0;
  /** Bytes carried, both ways (ops figures, tests, the bench). */
  bytesRelayed = 0;
  private readonly sessions = new Map<string, RelaySession>();
  private readonly total: RateLimiter;
  private readonly maxPairs: number;
  private readonly maxPerMember: number;

  constructor(private readonly options: TrackerRelayOptions) {
    this.total = new RateLimiter(options.totalBytesPerSecond ?? options.limitBytesPerSecond * 8);
    this.maxPairs = options.maxPairs ?? MAX_RELAYED_PAIRS;
    this.maxPerMember = options.maxPerMember ?? MAX_RELAYED_PER_MEMBER;
  }

  get activePairs(): number {
    return this.sessions.size;
  }

  /** A new session between two members, or why not. */
  open(requester: string, target: string): Buffer | DatagramStatus {
    if (this.sessions.size >= this.maxPairs) return 'relay_full';
    let involving = 0;
    for (const s of this.sessions.values()) if (s.members.includes(requester) || s.members.includes(target)) involving++;
    if (involving >= this.maxPerMember) return 'relay_full';
    const session = randomBytes(16);
    const key = session.toString('hex');
    const timer = setTimeout(() => {
      const s = this.sessions.get(key);
      if (s && !s.spliced) this.end(key, 'the other side never came');
    }, PAIRING_MS);
    timer.unref();
    this.sessions.set(key, { members: [requester, target], sockets: [undefined, undefined], timer, spliced: false });
    return session;
  }

  /** A socket whose preface named `session` and `role`; anything unknown or repeated is closed. */
  accept(socket: net.Socket, session: Buffer, role: number): void {
    const key = session.toString('hex');
    const s = this.sessions.get(key);
    const slot = role === ROLE_REQUESTER ? 0 : 1;
    if (!s || s.sockets[slot]) {
      this.options.logger.debug(`relay: refused a connection from ${socket.remoteAddress ?? '?'}: ${s ? 'that side is there already' : 'no such session'}`);
      socket.destroy();
      return;
    }
    s.sockets[slot] = socket;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.once('close', () => this.end(key, 'closed'));
    const [a, b] = s.sockets;
    if (a && b) this.splice(key, s, a, b);
  }

  stop(): void {
    for (const key of [...this.sessions.keys()]) this.end(key, 'relay stopped');
  }

  private splice(key: string, s: RelaySession, a: net.Socket, b: net.Socket): void {
    s.spliced = true;
    clearTimeout(s.timer);
    const pair = new RateLimiter(this.options.limitBytesPerSecond);
    this.options.logger.info(`relay: ${s.members[0].slice(0, 8)} ⇄ ${s.members[1].slice(0, 8)}`);
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.setTimeout(IDLE_MS, () => this.end(key, 'idle'));
      from.on('data', (chunk: Buffer) => {
        from.pause();
        this.bytesRelayed += chunk.length;
        void Promise.all([pair.take(chunk.length), this.total.take(chunk.length)]).then(() => {
          if (to.destroyed) return;
          if (to.write(chunk)) from.resume();
          else to.once('drain', () => from.resume());
        });
      });
      from.once('end', () => to.end());
    };
    pipe(a, b);
    pipe(b, a);
  }

  private end(key: string, why: string): void {
    const s = this.sessions.get(key);
    if (!s) return;
    this.sessions.delete(key);
    clearTimeout(s.timer);
    for (const socket of s.sockets) socket?.destroy();
    if (s.spliced) this.options.logger.debug(`relay: ${s.members[0].slice(0, 8)} ⇄ ${s.members[1].slice(0, 8)} ended (${why})`);
  }
}

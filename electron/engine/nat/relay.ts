import { randomBytes } from 'node:crypto';
import type net from 'node:net';
import { ROLE_REQUESTER, type DatagramStatus } from '../../../shared/protocol/datagram.js';
import type { Logger } from '../logger.js';
import { RateLimiter } from '../peer/rate-limiter.js';

/** The default cap of one relayed connection, both directions together. */
export const DEFAULT_RELAY_LIMIT_KIBPS = 4096;
/** Relayed connections at once; a relay is a last resort, not a second network. */
export const MAX_RELAYED_PAIRS = 32;
/** A member's relay carries fewer: it is someone's own uplink. */
export const MAX_MEMBER_RELAYED_PAIRS = 8;
/** Relayed connections one member may take part in at once. */
export const MAX_RELAYED_PER_MEMBER = 4;
/** The second side must arrive this long after the session opened, or the session is dropped. */
const PAIRING_MS = 15_000;
/** A relayed connection with no byte either way this long is closed. */
const IDLE_MS = 120_000;
/**
 * A member relay hears of a session in a datagram from the tracker; a side's TCP connection can
 * overtake it (or the datagram's first copy can be lost). Such a connection waits this long.
 */
const EARLY_WAIT_MS = 1500;
/** Connections waiting so at once; more are closed (each is one socket). */
const MAX_EARLY = 16;

export interface RelayOptions {
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

interface EarlySocket {
  socket: net.Socket;
  role: number;
  timer: NodeJS.Timeout;
}

/**
 * A relay (docs/PROTOCOL.md §20.3, §20.6): it splices two TCP connections that presented the
 * same session, one from each side. A tracker runs one for its members; a reachable member may
 * offer one. Sessions are made only by a tracker, from a CONNECT of a joined member naming
 * another joined member, and travel only in sealed datagrams, so a non-member has none; the
 * relay never dials anything and no request carries an address: it is no proxy. What it
 * carries is the two peers' own TLS, so it sees ciphertext and sizes only.
 */
export class Relay {
  port = 0;
  /** Bytes carried, both ways (ops figures, tests, the bench). */
  bytesRelayed = 0;
  private readonly sessions = new Map<string, RelaySession>();
  private readonly early = new Map<string, EarlySocket[]>();
  private earlyCount = 0;
  private readonly total: RateLimiter;
  private readonly maxPairs: number;
  private readonly maxPerMember: number;

  constructor(private readonly options: RelayOptions) {
    this.total = new RateLimiter(options.totalBytesPerSecond ?? options.limitBytesPerSecond * 8);
    this.maxPairs = options.maxPairs ?? MAX_RELAYED_PAIRS;
    this.maxPerMember = options.maxPerMember ?? MAX_RELAYED_PER_MEMBER;
  }

  get activePairs(): number {
    return this.sessions.size;
  }

  /** A new session between two members (the tracker's own relay), or why not. */
  open(requester: string, target: string): Buffer | DatagramStatus {
    const session = randomBytes(16);
    const refused = this.admit(session, requester, target);
    return refused ?? session;
  }

  /**
   * A session a tracker made (RELAY_OPEN to a member relay): waits for its two sides. Undefined
   * when admitted, else why not; a session already known is left as it is (each datagram comes twice).
   */
  admit(session: Buffer, requester: string, target: string): DatagramStatus | undefined {
    const key = session.toString('hex');
    if (this.sessions.has(key)) return undefined;
    if (this.sessions.size >= this.maxPairs) return 'relay_full';
    let involving = 0;
    for (const s of this.sessions.values()) if (s.members.includes(requester) || s.members.includes(target)) involving++;
    if (involving >= this.maxPerMember) return 'relay_full';
    const timer = setTimeout(() => {
      const s = this.sessions.get(key);
      if (s && !s.spliced) this.end(key, 'the other side never came');
    }, PAIRING_MS);
    timer.unref();
    this.sessions.set(key, { members: [requester, target], sockets: [undefined, undefined], timer, spliced: false });
    for (const waiting of this.early.get(key) ?? []) {
      clearTimeout(waiting.timer);
      this.earlyCount--;
      if (!waiting.socket.destroyed) this.accept(waiting.socket, session, waiting.role);
    }
    this.early.delete(key);
    return undefined;
  }

  /**
   * A socket whose preface named `session` and `role`; anything unknown or repeated is closed.
   * With `waitMs`, a socket for a session not known yet waits that long for admit().
   */
  accept(socket: net.Socket, session: Buffer, role: number, waitMs = 0): void {
    const key = session.toString('hex');
    const s = this.sessions.get(key);
    const slot = role === ROLE_REQUESTER ? 0 : 1;
    if (!s && waitMs > 0 && this.earlyCount < MAX_EARLY) return this.hold(socket, key, role, Math.min(waitMs, EARLY_WAIT_MS));
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
    for (const list of this.early.values()) {
      for (const waiting of list) {
        clearTimeout(waiting.timer);
        waiting.socket.destroy();
      }
    }
    this.early.clear();
    this.earlyCount = 0;
  }

  private hold(socket: net.Socket, key: string, role: number, waitMs: number): void {
    const list = this.early.get(key) ?? [];
    const waiting: EarlySocket = {
      socket,
      role,
      timer: setTimeout(() => {
        const rest = (this.early.get(key) ?? []).filter((w) => w !== waiting);
        if (rest.length) this.early.set(key, rest);
        else this.early.delete(key);
        this.earlyCount--;
        this.options.logger.debug(`relay: refused a connection from ${socket.remoteAddress ?? '?'}: no such session`);
        socket.destroy();
      }, waitMs),
    };
    waiting.timer.unref();
    socket.on('error', () => {});
    list.push(waiting);
    this.early.set(key, list);
    this.earlyCount++;
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

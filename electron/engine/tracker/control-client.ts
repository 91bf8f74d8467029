import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatagramType, REPLY_TYPES, type ConnectMethodNumber } from '../../../shared/protocol/datagram.js';
import type { Role } from '../control/rendezvous-codec.js';
import { WIRE_ERROR_CODES, type WireErrorCode } from '../../../shared/protocol/errors.js';
import type { FileAnnouncement, PeerAddress } from '../../../shared/protocol/messages.js';
import type { AnnounceBatch } from '../control/announce-codec.js';
import { isDrop, openBody, sealBody, type AckBody, type ConnectingBody, type PunchPeerBody, type ReachBody, type RelayOpenBody, type RingBody, type CookieBody, type DatagramBody, type ErrorBody, type PeerRef, type PeersBody, type WelcomeBody } from '../control/datagram-codec.js';
import { DatagramSeal } from '../control/datagram-seal.js';
import { signJoin, verifyWelcome } from '../control/join-proof.js';
import { EngineError, ProtocolError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { NetworkKey } from '../security/network-key.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { parseHostPort } from '../wire/transport.js';
import { AnnounceSync } from './announce-sync.js';
import { awaitConnection } from './await-connection.js';
import { ControlSocket } from './control-socket.js';
import { DEFAULT_ATTEMPTS, DEFAULT_RETRANSMIT_MS, RetransmitQueue, nonceRef, type Attempt } from './control-requests.js';
import { Backoff } from './retry-timer.js';

/** Heartbeats go up to this fraction of the interval early, so peers that joined together drift apart. */
const HEARTBEAT_JITTER = 0.1;
/** stop() waits at most this long for the ACK of its LEAVE. */
const LEAVE_WAIT_MS = 500;
/** Errors that mean the tracker no longer knows our session (it restarted, or we moved): join again. */
const REJOIN_CODES = new Set<string>(['unknown_peer', 'bad_token', 'address_changed']);
const WIRE_CODES = new Set<string>(WIRE_ERROR_CODES);
/** Linux keeps a UDP mapping 30 s before a reply and 120 s after; home routers often 30–60 s. */
const NAT_KEEPALIVE_MS = 25_000;
const CONNECT_REFUSALS: Partial<Record<string, string>> = {
  target_offline: 'it is not online there',
  relay_off: 'that tracker does not relay',
  relay_full: 'its relay is at its limit',
  busy: 'too many connection requests; try again shortly',
  tracker_full: 'too many connections are being set up',
};

export interface ControlClientOptions {
  /** The tracker's HOST:PORT (its UDP control plane shares the stream's port number). */
  address: string;
  /** Sealed mode under this key; undefined is open mode (readable and forgeable on the path). */
  networkKey: NetworkKey | undefined;
  /** Signs our JOIN: our peer id is this key's. */
  identity: PeerIdentity;
  /** Our serving port, the one other peers are told. */
  listenPort: number;
  /** We relay for other members (docs/PROTOCOL.md §20.6): said in each JOIN. */
  offersRelay?: boolean;
  /** Current truth of what we share; read on every sync. */
  files: () => Iterable<FileAnnouncement>;
  logger?: Logger;
  /** The tracker's peer id when known: a WELCOME signed by another key is refused. */
  trackerPeerId?: string;
  /** First wait for a reply before retransmitting (default 1 s), doubled per try. */
  retransmitMs?: number;
  /** Tries per request before the tracker counts as unreachable (default 4). */
  attempts?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

/** What the tracker told us in its WELCOME. */
export interface ControlWelcome {
  observedHost: string;
  observedPort: number;
  intervalMs: number;
  trackerPeerId: string;
  generation: number;
  peersOnline: number;
}

export interface ControlClientEvents {
  connected: [ControlWelcome];
  /** The session ended: the tracker stopped answering, or forgot us (we join again by ourselves). */
  disconnected: [Error | undefined];
  warning: [string];
  /** The listing generation in an ACK changed: listing pages fetched before are stale. */
  generation: [number];
  /** Entries that fit no datagram, for the stream channel. */
  oversized: [AnnounceBatch];
  /** Another member asked, through the tracker, to be connected to us (docs/PROTOCOL.md §20). */
  ring: [RingBody];
  /** The tracker dialled our listed address back: whether we answered there (§20.7). */
  reach: [boolean];
  /** We offered to relay, and the tracker made a session for two members (§20.6). */
  relayOpen: [RelayOpenBody];
  /** Owner-signed revocations the tracker passed on (§22.3); the receiver checks each. */
  revoked: [Buffer[]];
  /** Our own member certificate, when the tracker turned management on (§22.4). */
  certificate: [Buffer, Buffer];
}

type Session = { token: Buffer; seq: number };

/**
 * A peer's membership of one tracker over protocol v2's control plane (UDP, docs/PROTOCOL.md
 * §19): INIT → COOKIE → JOIN → WELCOME, then announces, heartbeats at the interval the tracker
 * chooses, lookups, and LEAVE at stop(). No connection is held: a lost tracker shows as
 * unanswered requests, and we join again with backoff. Every reply is opened by the seal,
 * decoded by the codec and matched to an outstanding request before use; anything else is ignored.
 */
export class ControlClient extends EventEmitter<ControlClientEvents> {
  readonly host: string;
  readonly port: number;
  private readonly seal: DatagramSeal;
  private readonly requests: RetransmitQueue;
  private readonly sync: AnnounceSync;
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private readonly socket: ControlSocket;
  private session: Session | undefined;
  private intervalMs = 0;
  private stopped = true;
  private retryTimer: NodeJS.Timeout | undefined;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private failuresReported = 0;
  private figures: { peers: number; generation: number } | undefined;
  /** The address the tracker saw our datagrams come from (WELCOME). */
  private observed: string | undefined;
  /** The TCP port the tracker lists us at (WELCOME). */
  private observedPort: number | undefined;
  /** What the tracker's dial-back found for the address it lists us at; undefined until it says. */
  reachableByDial: boolean | undefined;
  /** Sessions of the RINGs seen lately (each comes twice). */
  private readonly rings: string[] = [];

  constructor(private readonly options: ControlClientOptions) {
    super();
    if (!Number.isInteger(options.listenPort) || options.listenPort < 1 || options.listenPort > 65535) {
      throw new RangeError('a control-plane member serves: listenPort must be 1…65535');
    }
    const { host, port } = parseHostPort(options.address);
    this.host = host;
    this.port = port;
    this.logger = options.logger ?? silentLogger;
    this.seal = new DatagramSeal(options.networkKey ?? null, { accept: REPLY_TYPES });
    this.socket = new ControlSocket({ host, port, address: this.address, seal: this.seal, logger: this.logger,
      reply: (reply) => this.onReply(reply),
      // Nothing listens there (the tracker is down): every request in flight fails now, not after its retransmissions.
      unreachable: (err) => this.requests.cancelAll(err),
    });
    this.backoff = new Backoff(options.backoffBaseMs, options.backoffMaxMs);
    this.requests = new RetransmitQueue({
      send: (datagram) => this.socket.send(datagram),
      timeoutMs: options.retransmitMs ?? DEFAULT_RETRANSMIT_MS,
      attempts: options.attempts ?? DEFAULT_ATTEMPTS,
      address: this.address,
    });
    this.sync = new AnnounceSync({
      files: options.files,
      send: (batch, reset) => this.announce(batch, reset),
      oversized: (batch) => {
        this.logger.warn(`tracker ${this.address}: ${batch.add.length + batch.remove.length} entries with very long paths fit no datagram; they are left for the stream channel`);
        this.emit('oversized', batch);
      },
      refused: (err) => {
        // As the stream session says it: "tracker HOST:PORT is full: it lists at most …".
        const said = err.message.replace(/^tracker \S+: /, '');
        this.warn(err.code === 'tracker_full' ? `tracker ${this.address} is full: ${said.replace(/^tracker is full: /, '')}` : `tracker ${this.address}: ${said}`);
      },
      logger: this.logger,
    });
  }

  get address(): string {
    return this.host.includes(':') ? `[${this.host}]:${this.port}` : `${this.host}:${this.port}`;
  }

  get peerId(): string {
    return this.options.identity.peerId;
  }

  /** Last figures the tracker reported (WELCOME, then every ACK). */
  get stats(): { peers: number; generation: number } | undefined {
    return this.figures;
  }

  get connected(): boolean {
    return this.session !== undefined;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    if (!this.options.networkKey) this.logger.warn(`tracker ${this.address}: open mode, control datagrams are readable and forgeable by anyone on the path`);
    void this.join();
  }

  /** Says LEAVE (best effort: at most LEAVE_WAIT_MS for its ACK), then closes the socket. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const session = this.endSession();
    if (session) {
      const leave = this.call(session, (ref) => ({ type: DatagramType.LEAVE, ...ref }), isAck, { attempts: 2, timeoutMs: LEAVE_WAIT_MS / 2 });
      await Promise.race([leave.catch(() => undefined), sleep(LEAVE_WAIT_MS, undefined, { ref: false })]);
    }
    this.socket.close();
  }

  /** Tests: vanish without LEAVE, as a crashed process would. */
  kill(): void {
    this.stopped = true;
    this.endSession();
    this.socket.close();
  }

  /** Resolves once joined; rejects `tracker_unreachable` after `timeoutMs`. */
  waitConnected(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    return this.connected ? Promise.resolve() : awaitConnection(this, this.address, timeoutMs, signal);
  }

  /** Our files changed: the difference goes out after a short debounce. */
  filesChanged(): void {
    this.sync.changed();
  }

  /** Resolves once every queued announce change is ACKed (or the session ended). */
  flush(): Promise<void> {
    return this.sync.flush();
  }

  /** Peers holding `hash` (at most one datagram's worth); [] when the tracker knows none. */
  async lookup(hash: string): Promise<PeerAddress[]> {
    const session = this.session;
    if (!session) throw new EngineError('tracker_unreachable', `not joined to tracker ${this.address}`);
    const reply = await this.call(session, (ref) => ({ type: DatagramType.LOOKUP, ...ref, hash }), (r): r is PeersBody => r.type === DatagramType.PEERS && r.hash === hash);
    return reply.peers;
  }

  /**
   * Asks the tracker to put us in touch with member `target` by `method`; resolves with the
   * session (and, for the relay, its port) once the tracker has rung the target. A refusal
   * (target offline, relay off or full) rejects with the tracker's reason.
   */
  async requestConnect(target: string, method: ConnectMethodNumber, requestNonce: Buffer): Promise<ConnectingBody> {
    const session = this.session;
    if (!session) throw new EngineError('tracker_unreachable', `not joined to tracker ${this.address}`);
    const reply = await this.call(
      session,
      (ref) => ({ type: DatagramType.CONNECT, ...ref, target, method, requestNonce }),
      (r): r is ConnectingBody => r.type === DatagramType.CONNECTING,
      { attempts: 2 },
    );
    if (reply.status !== 'ok') throw new EngineError('no_peers', `tracker ${this.address} cannot connect us to ${target.slice(0, 8)}: ${CONNECT_REFUSALS[reply.status] ?? reply.status}`);
    return reply;
  }

  /** The tracker's resolved IP, where PUNCH_HELLO goes and a relay with host '::' is. */
  get trackerIp(): string | undefined {
    return this.socket.trackerIp;
  }

  /** A sealed PUNCH_HELLO for a punching socket to send to the tracker itself. */
  punchHello(session: Buffer, role: Role): Buffer {
    return sealBody(this.seal, { type: DatagramType.PUNCH_HELLO, session, role });
  }

  /** Opens what the tracker sent to a punching socket: a PUNCH_PEER, or undefined for anything else. */
  openPunchPeer(datagram: Buffer): PunchPeerBody | undefined {
    const body = openBody(this.seal, datagram);
    return !isDrop(body) && body.type === DatagramType.PUNCH_PEER ? body : undefined;
  }

  /** Whether the tracker sees us at another address than our socket's: a NAT is in between. */
  get behindNat(): boolean {
    const local = this.socket.localAddress;
    return this.observed !== undefined && local !== undefined && this.observed !== local;
  }

  private onReply(reply: DatagramBody): void {
    if (reply.type === DatagramType.RING) return this.onRing(reply);
    if (reply.type === DatagramType.REACH) return this.onReach(reply);
    // Only as asked for: a tracker that names sessions to a peer that never offered is ignored.
    if (reply.type === DatagramType.RELAY_OPEN) return void (this.options.offersRelay && this.session && this.emit('relayOpen', reply));
    if (reply.type === DatagramType.REVOKED) return void this.emit('revoked', reply.entries);
    if (reply.type === DatagramType.CERTIFICATE) return void this.emit('certificate', reply.certificate, reply.ownerKey);
    this.requests.deliver(reply);
  }

  private onReach(reach: ReachBody): void {
    // About the address the tracker lists us at now, or a stale (or replayed) answer to ignore.
    if (reach.host !== this.observed || reach.port !== this.observedPort) return;
    if (this.reachableByDial === reach.reachable) return;
    this.reachableByDial = reach.reachable;
    this.logger.info(`tracker ${this.address} ${reach.reachable ? 'reached' : 'could not reach'} this peer at ${reach.host}:${reach.port}${reach.reachable ? '' : ': other peers reach it through the tracker (reversal, hole punching, relay)'}`);
    this.emit('reach', reach.reachable);
  }

  private onRing(ring: RingBody): void {
    const key = ring.session.toString('hex');
    if (this.rings.includes(key)) return; // the tracker sends each RING twice
    this.rings.push(key);
    if (this.rings.length > 64) this.rings.shift();
    this.emit('ring', ring);
  }

  private async join(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.socket.open();
      if (this.stopped) return this.socket.close(); // stopped while the name resolved
      const cookie = await this.init();
      const welcome = await this.welcome(cookie);
      if (this.stopped) return;
      this.session = { token: Buffer.from(welcome.token), seq: 0 };
      this.intervalMs = welcome.intervalMs;
      this.observed = welcome.observedHost;
      this.observedPort = welcome.observedPort;
      this.reachableByDial = undefined; // a new session, maybe at a new address: the next REACH says
      this.figures = { peers: welcome.peersOnline, generation: welcome.generation };
      this.backoff.reset();
      if (this.failuresReported > 0) this.logger.info(`tracker ${this.address} is reachable again`);
      this.failuresReported = 0;
      this.scheduleHeartbeat(this.session);
      this.sync.restart();
      const { observedHost, observedPort, intervalMs, trackerPeerId, generation, peersOnline } = welcome;
      this.emit('connected', { observedHost, observedPort, intervalMs, trackerPeerId, generation, peersOnline });
    } catch (err) {
      this.retryLater(err);
    }
  }

  private async init(): Promise<Buffer> {
    const clientNonce = randomBytes(8);
    const datagram = sealBody(this.seal, { type: DatagramType.INIT, clientNonce });
    // INIT is stateless on the tracker, so a retransmission may repeat the same bytes.
    const reply = await this.requests.request({
      attempt: () => ({ ref: nonceRef(clientNonce), datagram }),
      accepts: (r): r is CookieBody => r.type === DatagramType.COOKIE && r.clientNonce.equals(clientNonce),
    });
    if (reply.type === DatagramType.ERROR) throw refusalOf(reply, this.address);
    return Buffer.from(reply.cookie);
  }

  private async welcome(cookie: Buffer): Promise<WelcomeBody> {
    let clientNonce = Buffer.alloc(0);
    // A JOIN repeated with the same nonce is refused as a replay: every try is a new, newly signed JOIN.
    const attempt = (): Attempt => {
      clientNonce = randomBytes(8);
      const join = signJoin(this.options.identity, { cookie, clientNonce, listenPort: this.options.listenPort, offersRelay: this.options.offersRelay === true });
      return { ref: nonceRef(clientNonce), datagram: sealBody(this.seal, join) };
    };
    const reply = await this.requests.request({
      attempt,
      accepts: (r): r is WelcomeBody => r.type === DatagramType.WELCOME && verifyWelcome(r, clientNonce),
    });
    if (reply.type === DatagramType.ERROR) throw refusalOf(reply, this.address);
    const pinned = this.options.trackerPeerId;
    if (pinned !== undefined && reply.trackerPeerId !== pinned) {
      throw new EngineError('bad_message', `tracker ${this.address} answered as ${reply.trackerPeerId.slice(0, 8)}, not the tracker ${pinned.slice(0, 8)} we know`);
    }
    return reply;
  }

  /** One request of a joined member: a fresh seq per try; ACKs update our figures. */
  private async call<R extends DatagramBody>(
    session: Session,
    build: (ref: PeerRef) => DatagramBody,
    accepts: (reply: DatagramBody) => reply is R,
    tuning: { attempts?: number; timeoutMs?: number } = {},
  ): Promise<R> {
    const attempt = (): Attempt => {
      const seq = ++session.seq;
      return { ref: seq, datagram: sealBody(this.seal, build({ peerId: this.options.identity.peerId, token: session.token, seq })) };
    };
    let reply: R | ErrorBody;
    try {
      reply = await this.requests.request({ attempt, accepts, ...tuning });
    } catch (err) {
      if (err instanceof EngineError && err.code === 'tracker_unreachable') this.lost(session, err);
      throw err;
    }
    if (reply.type === DatagramType.ERROR) {
      const err = refusalOf(reply, this.address);
      if (REJOIN_CODES.has(reply.code)) this.rejoin(session, err);
      throw err;
    }
    if (reply.type === DatagramType.ACK) this.onAck(reply);
    return reply;
  }

  private announce(batch: AnnounceBatch, reset: boolean): Promise<void> {
    const session = this.session;
    if (!session) return Promise.reject(new EngineError('tracker_unreachable', `not joined to tracker ${this.address}`));
    return this.call(session, (ref) => ({ type: DatagramType.ANNOUNCE, ...ref, reset, add: batch.add, remove: batch.remove }), isAck).then(() => undefined);
  }

  private onAck(ack: AckBody): void {
    this.intervalMs = ack.intervalMs;
    const previous = this.figures?.generation;
    this.figures = { peers: ack.peersOnline, generation: ack.generation };
    if (previous !== ack.generation) this.emit('generation', ack.generation);
  }

  private scheduleHeartbeat(session: Session): void {
    clearTimeout(this.heartbeatTimer);
    // Behind a NAT the heartbeat also keeps our UDP mapping open, so that a RING reaches us: it must beat the router's timeout.
    const every = this.behindNat ? Math.min(this.intervalMs, NAT_KEEPALIVE_MS) : this.intervalMs;
    const delay = Math.round(every * (1 - HEARTBEAT_JITTER * Math.random()));
    this.heartbeatTimer = setTimeout(() => void this.heartbeat(session), delay);
    this.heartbeatTimer.unref();
  }

  private async heartbeat(session: Session): Promise<void> {
    try {
      await this.call(session, (ref) => ({ type: DatagramType.HEARTBEAT, ...ref }), isAck);
    } catch {
      // lost() or rejoin() took care of the session; any other refusal is retried at the next beat
    }
    if (this.session === session) this.scheduleHeartbeat(session);
  }

  /** The tracker stopped answering: join again with backoff. */
  private lost(session: Session, err: Error): void {
    if (this.session !== session) return;
    this.endSession(err);
    this.emit('disconnected', err);
    this.retryLater(err);
  }

  /** The tracker forgot us (it restarted): join again, spread over an interval so a restarted tracker is not hit by every peer at once. */
  private rejoin(session: Session, err: Error): void {
    if (this.session !== session) return;
    this.endSession(err);
    this.logger.info(`tracker ${this.address} no longer knows us (${err.message}): joining again`);
    this.emit('disconnected', err);
    if (this.stopped) return;
    this.retryTimer = setTimeout(() => void this.join(), Math.round(Math.random() * this.intervalMs));
    this.retryTimer.unref();
  }

  /** Ends the session, if any: no more heartbeats or announces, outstanding requests fail. */
  private endSession(err: Error = new EngineError('tracker_unreachable', 'the client stopped')): Session | undefined {
    const session = this.session;
    this.session = undefined;
    clearTimeout(this.heartbeatTimer);
    clearTimeout(this.retryTimer);
    this.sync.pause();
    this.requests.cancelAll(err);
    return session;
  }

  private retryLater(err: unknown): void {
    if (this.stopped) return;
    const delay = this.backoff.next();
    const reason = errorMessage(err);
    const message = `${reason.startsWith('tracker ') ? reason : `tracker ${this.address}: ${reason}`}; retrying in ${(delay / 1000).toFixed(1)} s`;
    // Loudly the first time, then quietly: a long outage should not flood the log.
    if (this.failuresReported++ === 0) this.warn(message);
    else this.logger.debug(message);
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.join(), delay);
    this.retryTimer.unref();
  }

  private warn(message: string): void {
    this.logger.warn(message);
    this.emit('warning', message);
  }
}

function isAck(reply: DatagramBody): reply is AckBody {
  return reply.type === DatagramType.ACK && reply.status === 'ok';
}

/** An ERROR as an error the caller can act on; control-plane codes travel in the message under `bad_message`. */
function refusalOf(reply: ErrorBody, address: string): EngineError {
  const message = `tracker ${address}: ${reply.message}`;
  if (WIRE_CODES.has(reply.code)) return new ProtocolError(reply.code as WireErrorCode, message);
  return new ProtocolError('bad_message', `${message} (${reply.code})`);
}

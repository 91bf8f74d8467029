import { EventEmitter } from 'node:events';
import { trackerRequest, type HelloMessage, type TrackerRequest, type WelcomeMessage } from '../../../shared/protocol/messages.js';
import { EngineError, ProtocolError, errorCode, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { FramedConnection } from '../wire/connection.js';
import { GatedListener, TRACKER_LIMITS } from '../wire/gated-listener.js';
import type { Transport } from '../wire/transport.js';
import { networkTransport } from '../wire/network-transport.js';
import type { NetworkKey } from '../security/network-key.js';
import { TrackerState, type PeerRecord } from './tracker-state.js';
import { PeerIdentity } from '../security/peer-identity.js';
import { ControlServer } from './control-server.js';
import { DEFAULT_RELAY_LIMIT_KIBPS, Relay } from '../nat/relay.js';
import { DialBack } from './dial-back.js';
import { PREFACE_RELAY } from '../../../shared/protocol/datagram.js';
import type { MemberRegistry } from '../membership/member-registry.js';
import { serveRedemption } from '../membership/redemption.js';
import { answerAdmin } from './admin-requests.js';

/** Peers send a ping at least this often; the tracker tells them in `welcome`. */
export const DEFAULT_HEARTBEAT_MS = 4000;
/** A peer silent this long is dropped from the listing. */
export const DEFAULT_PEER_TIMEOUT_MS = 12_000;
/** Established connections a tracker serves at once, by default; more are refused with `tracker_full`. */
export const DEFAULT_MAX_CONNECTIONS = TRACKER_LIMITS.connections;
/** Tries at a free port number open on both TCP and UDP (port 0). */
const PORT_ATTEMPTS = 8;

export interface TrackerServerOptions {
  port: number;
  host?: string | undefined;
  heartbeatMs?: number;
  peerTimeoutMs?: number;
  maxConnections?: number;
  maxConnectionsPerAddress?: number;
  /** Overrides the per-frame deadline (tests). */
  frameDeadlineMs?: number;
  /** Overrides the time a new connection has to finish its handshake (tests). */
  handshakeDeadlineMs?: number;
  /** Peer sessions held at once (default MAX_PEER_SLOTS); one more is refused with `tracker_full`. */
  maxPeers?: number;
  /** Override the handshake slots (tests that stand in for many hosts from one loopback address). */
  maxHandshakes?: number;
  maxHandshakesPerAddress?: number;
  /** Files all sessions together may have announced (default DEFAULT_MAX_FILE_ENTRIES). */
  maxFileEntries?: number;
  /** Files one session may have announced (default MAX_FILES_PER_PEER). */
  maxFilesPerSession?: number;
  logger?: Logger;
  /** The network key: TLS 1.3 with a PSK derived from it. Absent is open mode (plain TCP). */
  networkKey?: NetworkKey | undefined;
  /** Overrides the transport the key implies (tests). */
  transport?: Transport;
  /** The tracker's own identity (proved to peers over TLS); generated when absent. */
  identity?: PeerIdentity;
  /** Serve protocol v2's control plane (UDP, the same port number) beside the stream; default true. */
  controlPlane?: boolean;
  /** The shortest announce interval the control plane hands out (tests). */
  minIntervalMs?: number;
  /** Per-source datagram budget of the control plane (tests). */
  sourceRate?: { ratePerSecond: number; burst: number };
  /** Relay for members whose peers reach them no other way (default on; `-no-relay`: false). */
  relay?: boolean;
  /**
   * Managed membership (docs/PROTOCOL.md §22): certificates required once the registry is
   * managed, invites redeemed here, revocations acted on at once. Needs a network key.
   */
  membership?: MemberRegistry | undefined;
  /** Dial members back when they join, to tell them whether they can be reached directly (default on). */
  dialBack?: boolean;
  /** Cap of one relayed connection in KiB/s (`-relay-limit`; default DEFAULT_RELAY_LIMIT_KIBPS; 0 = none). */
  relayLimitKiBps?: number;
}

export interface TrackerServerEvents {
  /** A remote broke the protocol; its connection was closed. */
  warning: [string];
  join: [PeerRecord];
  leave: [PeerRecord];
}

/** The tracker: accepts peer connections and answers announce, list and lookup. */
export class TrackerServer extends EventEmitter<TrackerServerEvents> {
  readonly state: TrackerState;
  readonly identity: PeerIdentity;
  readonly peerId: string;
  private readonly listener: GatedListener<TrackerRequest>;
  /** Dials joining members back (AutoNAT), unless `dialBack: false`. */
  readonly dialBack: DialBack | undefined;
  /** The relay, unless `relay: false`; it shares the stream's port (a preface tells its connections apart). */
  readonly relay: Relay | undefined;
  /** Connection of each live peer session, by PeerRecord.session. */
  private readonly sessions = new Map<number, FramedConnection<TrackerRequest>>();
  /** Every stream connection by the peer id it proved, so a revoked member's are cut at once. */
  private readonly byMember = new Map<string, Set<FramedConnection<TrackerRequest>>>();
  /** The peer id each stream connection proved at hello. */
  private readonly provenBy = new WeakMap<FramedConnection<TrackerRequest>, string>();
  private readonly logger: Logger;
  private readonly heartbeatMs: number;
  /** Protocol v2's control plane on the same port number (UDP), when served. */
  control: ControlServer | undefined;

  constructor(private readonly options: TrackerServerOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.state = new TrackerState({
      ...(options.maxFileEntries !== undefined ? { total: options.maxFileEntries } : {}),
      ...(options.maxFilesPerSession !== undefined ? { perSession: options.maxFilesPerSession } : {}),
      ...(options.maxPeers !== undefined ? { maxPeers: options.maxPeers } : {}),
    });
    this.identity = options.identity ?? PeerIdentity.generate();
    this.peerId = this.identity.peerId;
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.relay =
      options.relay === false || options.controlPlane === false
        ? undefined
        : new Relay({ limitBytesPerSecond: Math.round((options.relayLimitKiBps ?? DEFAULT_RELAY_LIMIT_KIBPS) * 1024), logger: this.logger });
    const membership = options.membership;
    const transport = options.transport ?? networkTransport(options.networkKey, (line) => this.logger.warn(line), membership && ((id) => membership.invitePsk(id)));
    this.dialBack =
      options.dialBack === false || options.controlPlane === false
        ? undefined
        : new DialBack({ transport, identity: this.identity, logger: this.logger, tell: (peerId, result) => this.control?.tellReach(peerId, result) });
    this.listener = new GatedListener({
      name: 'The tracker',
      port: options.port,
      host: options.host,
      transport,
      logger: this.logger,
      limits: {
        connections: options.maxConnections ?? TRACKER_LIMITS.connections,
        connectionsPerAddress: options.maxConnectionsPerAddress ?? TRACKER_LIMITS.connectionsPerAddress,
        handshakes: options.maxHandshakes ?? TRACKER_LIMITS.handshakes,
        handshakesPerAddress: options.maxHandshakesPerAddress ?? TRACKER_LIMITS.handshakesPerAddress,
      },
      handshakeDeadlineMs: options.handshakeDeadlineMs,
      requests: trackerRequest,
      idleTimeoutMs: options.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS,
      frameDeadlineMs: options.frameDeadlineMs,
      peerId: this.peerId,
      agent: 'p2ptracker',
      identity: this.identity,
      // Version 2 is the control plane: a tracker that does not serve it speaks version 1.
      ...(options.controlPlane === false ? { versions: [1] } : {}),
      full: (connections) => new ProtocolError('tracker_full', `tracker is full: it serves at most ${connections} connections; try again later`),
      accept: (hello, conn) => this.onHello(hello, conn),
      warn: (message) => this.warn(message),
      onPreface: (socket, preface) => {
        if (preface.kind === PREFACE_RELAY && this.relay) this.relay.accept(socket, preface.session, preface.role);
        else socket.destroy();
      },
      onInvited: (socket, inviteId) => {
        if (membership && options.networkKey) serveRedemption(socket, inviteId, membership, options.networkKey, this.logger);
        else socket.destroy();
      },
    });
    membership?.on('revoked', (entries) => {
      for (const entry of entries) this.cutOff(entry.id, `this device was removed from the network by ${entry.by} (${entry.at})`);
      // Members refuse it too, and cut what they serve it (the owner signed each entry).
      this.control?.broadcastRevocations(entries.map((e) => Buffer.from(e.entry, 'hex')));
    });
    // Migration (§22.4): the members online when management is turned on get certificates, so nobody is locked out.
    membership?.on('managed', () => void this.certifyOnline(membership));
    // A new role: the member online gets its new certificate now (and again at its next WELCOME).
    membership?.on('reissued', (changed) => {
      for (const { peerId, certificate } of changed) this.control?.sendCertificate(peerId, certificate, membership.ownerKey);
    });
  }

  private certificateFor(peerId: string): { certificate: Buffer; ownerKey: Buffer } | undefined {
    const membership = this.options.membership;
    const certificate = membership?.managed ? membership.certificateOf(peerId) : undefined;
    return certificate && membership ? { certificate, ownerKey: membership.ownerKey } : undefined;
  }

  private async certifyOnline(membership: MemberRegistry): Promise<void> {
    const control = this.control;
    if (!control) return;
    try {
      const issued = await membership.certifyOnline(control.joinedMembers());
      for (const { peerId, certificate } of issued) control.sendCertificate(peerId, certificate, membership.ownerKey);
      this.logger.info(`managed membership is on: ${issued.length === 1 ? '1 member online got its certificate' : `${issued.length} members online got their certificates`}`);
    } catch (err) {
      this.warn(`could not issue certificates to the members online: ${errorMessage(err)}`);
    }
  }

  /** A revoked member: its stream sessions are closed with the reason, and it leaves the listing and the control plane. */
  private cutOff(peerId: string, why: string): void {
    for (const conn of this.byMember.get(peerId) ?? []) conn.close(new ProtocolError('not_member', why));
    this.byMember.delete(peerId);
    this.control?.evict(peerId);
    const peer = this.state.peerById(peerId);
    if (peer) {
      this.closeSession(peer);
      if (this.state.hasPeer(peer)) this.state.removePeer(peer);
    }
    this.logger.info(`peer ${peerId.slice(0, 8)} revoked: cut off`);
  }

  get port(): number {
    return this.listener.port;
  }

  /** Frames received from closed connections (ops figures; the fuzz test counts with it). */
  get framesReceived(): number {
    return this.listener.framesReceived;
  }

  /**
   * Listens on the stream port and, unless `controlPlane: false`, the control plane's UDP port
   * of the same number. With port 0 the UDP port is picked first and the stream takes the same
   * number, trying again (a few times) when TCP has that number in use.
   */
  async start(): Promise<number> {
    if (this.options.membership && !this.options.networkKey) throw new EngineError('invalid_argument', 'managed membership needs a network key (it is not available in open mode)');
    this.options.membership?.watch();
    if (this.options.controlPlane === false) return this.listener.start();
    const any = this.options.port === 0;
    for (let attempt = 1; ; attempt++) {
      const control = this.controlServer(this.options.port);
      let port: number;
      try {
        port = await control.start();
      } catch (err) {
        const taken = (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
        // Worded as the TCP case is: "in use" is what a person (and a script) looks for.
        const why = taken ? 'it is already in use' : errorMessage(err);
        throw new EngineError('port_in_use', `UDP port ${this.options.port} cannot be used for the tracker's control plane: ${why}. Choose another port, or 0 for any free one.`, { cause: err });
      }
      try {
        await this.listener.start(port);
      } catch (err) {
        await control.stop();
        if (any && errorCode(err) === 'port_in_use' && attempt < PORT_ATTEMPTS) continue;
        throw err;
      }
      this.control = control;
      if (this.relay) this.relay.port = port;
      return port;
    }
  }

  private controlServer(port: number): ControlServer {
    const control = new ControlServer({
      state: this.state,
      identity: this.identity,
      networkKey: this.options.networkKey,
      port,
      host: this.options.host,
      logger: this.logger,
      ...(this.options.minIntervalMs !== undefined ? { minIntervalMs: this.options.minIntervalMs } : {}),
      ...(this.options.sourceRate ? { sourceRate: this.options.sourceRate } : {}),
      replaced: (old) => this.closeSession(old),
      relay: this.relay,
      ...(this.options.membership ? { admits: (peerId: string) => this.options.membership!.memberRefusal(peerId), revocations: () => this.options.membership!.revocationEntries(), certificateFor: (peerId: string) => this.certificateFor(peerId) } : {}),
      dialBack: this.dialBack !== undefined,
    });
    control.on('join', (peer) => {
      this.dialBack?.check(peer.peerId, peer.host, peer.port);
      this.emit('join', peer);
    });
    control.on('leave', (peer) => this.emit('leave', peer));
    control.on('warning', (m) => this.emit('warning', m));
    return control;
  }

  async stop(): Promise<void> {
    this.options.membership?.unwatch();
    this.relay?.stop();
    this.dialBack?.stop();
    const closing = Promise.all([this.listener.stop(), this.control?.stop()]);
    this.state.stop();
    await closing;
  }

  private closeSession(old: PeerRecord): void {
    this.sessions.get(old.session)?.close();
    this.sessions.delete(old.session);
  }

  get connectionCount(): number {
    return this.listener.connectionCount;
  }

  /** A peer said hello: one that serves (listenPort > 0) joins the listing, replacing a stale session of itself. */
  private onHello(hello: HelloMessage, conn: FramedConnection<TrackerRequest>): Partial<WelcomeMessage> {
    const refused = this.options.membership?.refusal(hello.peerId, hello.cert === undefined ? undefined : Buffer.from(hello.cert, 'base64'));
    if (refused) throw new ProtocolError('not_member', refused);
    this.provenBy.set(conn, hello.peerId);
    const live = this.byMember.get(hello.peerId) ?? new Set();
    live.add(conn);
    this.byMember.set(hello.peerId, live);
    conn.once('close', () => {
      live.delete(conn);
      if (live.size === 0 && this.byMember.get(hello.peerId) === live) this.byMember.delete(hello.peerId);
    });
    let peer: PeerRecord | undefined;
    if (hello.listenPort > 0) {
      const added = this.state.addPeer(hello.peerId, conn.remoteAddress, hello.listenPort);
      peer = added.peer;
      this.sessions.set(peer.session, conn);
      for (const old of added.replaced) {
        this.closeSession(old);
        this.control?.streamReplaced(old);
      }
      this.logger.info(`peer ${hello.peerId.slice(0, 8)} joined from ${conn.remoteAddress}:${hello.listenPort}`);
      this.emit('join', peer);
    }
    conn.on('message', (message) => this.answer(conn, peer ?? (() => this.memberOf(hello, conn)), message));
    conn.on('close', (reason) => {
      if (peer && this.sessions.get(peer.session) === conn) this.sessions.delete(peer.session);
      if (reason instanceof ProtocolError) this.warn(`${conn.remoteAddress}: ${reason.message}`);
      if (peer && this.state.hasPeer(peer)) {
        this.state.removePeer(peer);
        this.logger.info(`peer ${peer.peerId.slice(0, 8)} left (${reason ? reason.message : 'bye'})`);
        this.emit('leave', peer);
      }
    });
    return { address: { host: conn.remoteAddress, port: hello.listenPort }, heartbeatMs: this.heartbeatMs };
  }

  /**
   * Answers one request. A rule the request broke (a ProtocolError, thrown where the rule is
   * checked) goes back to the sender with its code, and the session stays; anything else is
   * our own failure: logged, and answered `internal`.
   */
  private answer(conn: FramedConnection<TrackerRequest>, peer: PeerRecord | (() => PeerRecord | undefined), message: TrackerRequest): void {
    try {
      this.onMessage(conn, peer, message);
    } catch (err) {
      let refusal: ProtocolError;
      if (err instanceof ProtocolError) refusal = err;
      else {
        this.logger.error(`tracker: ${message.type} from ${conn.remoteAddress} failed: ${errorMessage(err)}`);
        refusal = new ProtocolError('internal', `internal error: ${errorMessage(err)}`);
      }
      if ('id' in message) conn.send({ type: 'error', id: message.id, code: refusal.code, message: refusal.message });
      else conn.close(refusal);
    }
  }

  /**
   * Version 2: a query-only stream of a control-plane member (same proven peer id, same
   * address) carries the announce entries too large for a datagram; they apply to the member.
   */
  private memberOf(hello: HelloMessage, conn: FramedConnection<TrackerRequest>): PeerRecord | undefined {
    if (!hello.versions.includes(2) || !this.control) return undefined;
    const member = this.state.peerById(hello.peerId);
    return member && member.host === conn.remoteAddress && this.control.isMember(member) ? member : undefined;
  }

  private onMessage(conn: FramedConnection<TrackerRequest>, session: PeerRecord | (() => PeerRecord | undefined), message: TrackerRequest): void {
    const peer = typeof session === 'function' ? (message.type === 'announce' ? session() : undefined) : session;
    switch (message.type) {
      case 'ping':
        conn.send({ type: 'pong', id: message.id, peers: this.state.peerCount, generation: this.state.generation });
        return;
      case 'announce': {
        if (!peer) {
          conn.close(new ProtocolError('bad_message', 'announce needs a listen port in hello (or, in version 2, a control-plane membership from this address)'));
          return;
        }
        // A cap (too_many_files, tracker_full) throws: the announcer is told which; what came before it stays applied.
        const refused = this.state.announce(peer, message);
        if (refused > 0) this.warn(`${conn.remoteAddress}: refused ${refused} files whose size contradicts their content hash`);
        conn.send({ type: 'ok', id: message.id });
        return;
      }
      case 'list': {
        const { total, items } = this.state.list(message);
        conn.send({ type: 'listing', id: message.id, total, offset: message.offset, items });
        return;
      }
      case 'lookup': {
        const found = this.state.lookup(message.hash, peer);
        if (!found) conn.send({ type: 'error', id: message.id, code: 'not_found', message: 'no peer has this content' });
        else conn.send({ type: 'peers', id: message.id, hash: message.hash, size: found.size, peers: found.peers });
        return;
      }
      case 'admin': {
        const peerId = this.provenBy.get(conn);
        if (!peerId) throw new ProtocolError('not_admin', 'not an admin');
        return answerAdmin(this.options.membership, peerId, conn, message, this.logger);
      }
      case 'bye':
        conn.close();
        return;
      case 'error':
        this.warn(`${conn.remoteAddress} reported: ${message.code} ${message.message}`);
        conn.close();
        return;
    }
  }

  private warn(message: string): void {
    this.logger.warn(message);
    this.emit('warning', message);
  }
}

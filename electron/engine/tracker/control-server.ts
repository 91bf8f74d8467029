import { randomFillSync } from 'node:crypto';
import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { DatagramType, DEFAULT_MIN_INTERVAL_MS, MAX_DATAGRAM_BYTES, MAX_ERROR_MESSAGE_BYTES, MAX_INTERVAL_MS, MAX_PEERS_PER_DATAGRAM, MAX_REVOCATIONS_PER_DATAGRAM, MISSED_INTERVALS, REQUEST_TYPES, TARGET_DATAGRAMS_PER_SECOND } from '../../../shared/protocol/datagram.js';
import type { DatagramStatus } from '../../../shared/protocol/datagram.js';
import { AddressCookies } from '../control/address-cookie.js';
import { isDrop, openBody, sealBody, type AnnounceBody, type DatagramBody, type JoinBody, type LookupBody, type PeerRef } from '../control/datagram-codec.js';
import { DatagramSeal } from '../control/datagram-seal.js';
import { DropCounters } from '../control/drop-counters.js';
import { sourceKey } from '../control/ip-address.js';
import { signWelcome, verifyJoin } from '../control/join-proof.js';
import { acceptSeq, resetSeqWindow } from '../control/replay-window.js';
import { SourceLimiter } from '../control/source-limiter.js';
import { ProtocolError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { NetworkKey } from '../security/network-key.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { ControlSlots, FLAGS, JOINED, JOIN_NONCE, LAST_HEARD, SEQ, SOURCE_PORT, TOKEN } from './control-slots.js';
import { Rendezvous } from './rendezvous.js';
import type { Relay } from '../nat/relay.js';
import type { PeerRecord, TrackerState } from './tracker-state.js';

/** Slots the expiry sweep looks at per turn: a million members are swept in ~16 turns. */
const SWEEP_SLOTS_PER_TURN = 65_536;
/** A member's deadline is this many intervals after it was last heard, plus one for slack. */
const EXPIRY_INTERVALS = MISSED_INTERVALS + 1;
/** Time unit of the stored deadlines (a u32 of these lasts 13 years). */
const TICK_MS = 100;

/** How long the tracker tells members to wait between heartbeats: short when small, growing with load. */
export function announceIntervalMs(online: number, minMs = DEFAULT_MIN_INTERVAL_MS): number {
  // In milliseconds: rounding up to whole seconds would make every interval ≥ 1 s, above a test's minimum.
  const spread = Math.ceil((online * 1000) / TARGET_DATAGRAMS_PER_SECOND);
  return Math.min(MAX_INTERVAL_MS, Math.max(minMs, spread));
}

export interface ControlServerOptions {
  state: TrackerState;
  identity: PeerIdentity;
  /** Sealed mode under this key; absent is open mode (address-validated, readable by anyone). */
  networkKey?: NetworkKey | undefined;
  port: number;
  host?: string | undefined;
  logger?: Logger;
  /** The shortest interval handed out (tests go below DEFAULT_MIN_INTERVAL_MS). */
  minIntervalMs?: number;
  /** Per-source datagram budget (the SourceLimiter defaults otherwise). */
  sourceRate?: { ratePerSecond: number; burst: number };
  /** A session of the stream protocol was replaced by a JOIN of the same peer: close it. */
  replaced?: (peer: PeerRecord) => void;
  /** Relays for members (docs/PROTOCOL.md §20.3); absent: CONNECT with the relay method is refused. */
  relay?: Relay | undefined;
  /** Managed membership: every revocation, owner-signed, for each member that joins (REVOKED, §22.3). */
  revocations?: () => Buffer[];
  /** Managed membership: the certificate issued to a joining member, sent after WELCOME (§22.4: it may have missed it). */
  certificateFor?: (peerId: string) => { certificate: Buffer; ownerKey: Buffer } | undefined;
  /** Managed membership: why this peer id may not join (no certificate issued here, or revoked), or undefined (§22). */
  admits?: (peerId: string) => string | undefined;
  /** The tracker dials joining members back: a member relay is used once found reachable (else on its word). */
  dialBack?: boolean;
  now?: () => number;
}

export interface ControlServerEvents {
  join: [PeerRecord];
  leave: [PeerRecord, 'leave' | 'expired'];
  warning: [string];
}

/**
 * The tracker's control plane (protocol v2, docs/PROTOCOL.md §19): join, announce,
 * heartbeat, lookup and leave over UDP. No connection per member: a member is a slot
 * of the tracker state plus 40 bytes here, and it stays listed for as long as it
 * comes back within a few of the intervals this server chooses.
 */
export class ControlServer extends EventEmitter<ControlServerEvents> {
  readonly drops = new DropCounters();
  private readonly socket: dgram.Socket;
  private readonly seal: DatagramSeal;
  private readonly cookies: AddressCookies;
  private readonly limiter: SourceLimiter;
  private readonly slots = new ControlSlots();
  private readonly logger: Logger;
  private readonly now: () => number;
  private readonly startedAt: number;
  private sweepTimer: NodeJS.Timeout | undefined;
  private sweepCursor = 0;
  private boundPort = 0;
  /** Datagrams answered (ops figures and the bench). */
  answered = 0;
  readonly rendezvous: Rendezvous;

  constructor(private readonly options: ControlServerOptions) {
    super();
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.startedAt = this.now();
    this.seal = new DatagramSeal(options.networkKey ?? null, { accept: REQUEST_TYPES });
    this.cookies = new AddressCookies({ now: this.now });
    this.limiter = new SourceLimiter({ now: this.now, ...(options.sourceRate ?? {}) });
    const host = options.host ?? '0.0.0.0';
    this.socket = dgram.createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port));
    this.rendezvous = new Rendezvous({
      member: (peerId) => this.controlMember(peerId),
      send: (msg, host, port) => this.send(msg, host, port),
      relay: options.relay,
      relayNeedsReach: options.dialBack !== false,
      logger: this.logger,
      now: this.now,
    });
  }

  /** A member that joined here, with the source its heartbeats come from (where a RING goes). */
  private controlMember(peerId: string): { peer: PeerRecord; controlHost: string; controlPort: number } | undefined {
    const peer = this.options.state.peerById(peerId);
    const at = peer ? this.slots.joinedAt(peer.slot) : -1;
    if (!peer || at < 0) return undefined;
    return { peer, controlHost: peer.host, controlPort: this.slots.words[at + SOURCE_PORT]! };
  }

  /** Tells a member the tracker's dial-back result (REACH), at the source its heartbeats come from; false when it left. */
  tellReach(peerId: string, result: { reachable: boolean; host: string; port: number }): boolean {
    const member = this.controlMember(peerId);
    // The member moved (a new address or port) since the dial: that result is about an address it no longer has.
    if (!member || member.peer.host !== result.host || member.peer.port !== result.port) return false;
    this.rendezvous.noteReach(peerId, result.reachable);
    this.send({ type: DatagramType.REACH, ...result }, member.controlHost, member.controlPort);
    return true;
  }

  get port(): number {
    return this.boundPort;
  }

  get mode(): 'sealed' | 'open' {
    return this.seal.mode;
  }

  /** The interval handed out now. */
  get intervalMs(): number {
    return announceIntervalMs(this.options.state.peerCount, this.options.minIntervalMs);
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.socket.once('error', reject);
      this.socket.bind({ port: this.options.port, address: this.options.host ?? '0.0.0.0', exclusive: true }, () => {
        this.socket.off('error', reject);
        this.socket.on('error', (err) => this.logger.warn(`control plane: ${errorMessage(err)}`));
        resolve();
      });
    });
    this.boundPort = this.socket.address().port;
    this.scheduleSweep();
    return this.boundPort;
  }

  async stop(): Promise<void> {
    clearTimeout(this.sweepTimer);
    await new Promise<void>((resolve) => {
      try {
        this.socket.close(() => resolve());
      } catch {
        resolve(); // never bound (its port was taken)
      }
    });
  }

  /** Every datagram goes through here; nothing in it throws on remote input. */
  private onDatagram(datagram: Buffer, host: string, port: number): void {
    if (datagram.length > MAX_DATAGRAM_BYTES) return this.drops.count('too_large');
    if (!this.limiter.allow(sourceKey(host))) return this.drops.count('rate_limited');
    const msg = openBody(this.seal, datagram);
    if (isDrop(msg)) return this.drops.count(msg.drop);
    try {
      this.dispatch(msg, datagram.length, host, port);
    } catch (err) {
      // ERROR names the request by its seq, or (INIT, JOIN) by the low 4 bytes of its client nonce.
      const ref = 'seq' in msg ? msg.seq : 'clientNonce' in msg ? msg.clientNonce.readUInt32BE(4) : 0;
      this.answerError(host, port, ref, err, datagram.length);
    }
  }

  private dispatch(msg: DatagramBody, size: number, host: string, port: number): void {
    switch (msg.type) {
      case DatagramType.INIT: {
        const cookie = this.cookies.issue(host, port);
        if (!cookie) return this.drops.count('bad_field');
        // COOKIE (56 sealed) is smaller than its INIT (112): no amplification before validation.
        return this.send({ type: DatagramType.COOKIE, clientNonce: msg.clientNonce, cookie, trackerTime: Math.floor(this.now() / 1000) }, host, port);
      }
      case DatagramType.JOIN:
        return this.onJoin(msg, host, port);
      case DatagramType.PUNCH_HELLO:
        // From a punching socket, not the member's own: the session (sealed, unguessable) is the proof.
        if (!this.rendezvous.onPunchHello(msg, host, port)) this.drops.count('bad_token');
        return;
      case DatagramType.CONNECT:
      case DatagramType.ANNOUNCE:
      case DatagramType.HEARTBEAT:
      case DatagramType.LOOKUP:
      case DatagramType.LEAVE: {
        const member = this.member(msg, host, port);
        if (!member) return;
        if (msg.type === DatagramType.ANNOUNCE) return this.onAnnounce(msg, member, host, port);
        if (msg.type === DatagramType.LOOKUP) return this.onLookup(msg, member, host, port);
        if (msg.type === DatagramType.CONNECT) return this.rendezvous.onConnect(msg, member.peer, host, port);
        if (msg.type === DatagramType.LEAVE) {
          this.forget(member, 'leave');
          return this.ack(msg.seq, host, port);
        }
        return this.ack(msg.seq, host, port);
      }
      default:
        return this.drops.count('bad_type');
    }
  }

  private onJoin(join: JoinBody, host: string, port: number): void {
    if (!this.cookies.verify(host, port, join.cookie)) return this.drops.count('bad_cookie');
    // From here the source has shown it receives at its address: answers may exceed 3× the request.
    if (!verifyJoin(join)) return this.drops.count('bad_identity');
    if (join.listenPort === 0) throw new ProtocolError('bad_message', 'a query-only client lists and looks up over the stream channel');
    const refused = this.options.admits?.(join.peerId);
    if (refused) throw new ProtocolError('not_member', refused);
    const { state } = this.options;
    const existing = state.peerById(join.peerId);
    if (existing) {
      const at = this.slots.joinedAt(existing.slot);
      const w = this.slots.words;
      // The very JOIN that made this record, again: a replay (a real re-join has a fresh nonce).
      if (at >= 0 && w[at + JOIN_NONCE] === join.clientNonce.readUInt32BE(0) && w[at + JOIN_NONCE + 1] === join.clientNonce.readUInt32BE(4)) return this.drops.count('replayed');
    }
    const { peer, replaced } = state.addPeer(join.peerId, host, join.listenPort);
    for (const old of replaced) this.slotGone(old);
    const at = this.slots.at(peer.slot);
    const w = this.slots.words;
    const token = randomFillSync(Buffer.alloc(8));
    w[at + TOKEN] = token.readUInt32BE(0);
    w[at + TOKEN + 1] = token.readUInt32BE(4);
    resetSeqWindow(w, at + SEQ);
    w[at + SOURCE_PORT] = port;
    w[at + JOIN_NONCE] = join.clientNonce.readUInt32BE(0);
    w[at + JOIN_NONCE + 1] = join.clientNonce.readUInt32BE(4);
    w[at + FLAGS] = JOINED;
    const intervalMs = this.intervalMs;
    this.touch(at, intervalMs);
    this.rendezvous.noteJoin(join.peerId, join.offersRelay);
    this.logger.info(`peer ${join.peerId.slice(0, 8)} joined from ${host}:${join.listenPort}${join.offersRelay ? ', offering to relay' : ''}`);
    this.emit('join', peer);
    this.send(
      signWelcome(this.options.identity, {
        clientNonce: join.clientNonce,
        token,
        intervalMs,
        observedHost: host,
        observedPort: join.listenPort,
        generation: state.generation >>> 0,
        peersOnline: state.peerCount,
      }),
      host,
      port,
    );
    // After WELCOME (the source is validated): what was revoked, so the member refuses those too.
    this.sendRevocations(this.options.revocations?.() ?? [], host, port);
    const issued = this.options.certificateFor?.(join.peerId);
    if (issued) this.send({ type: DatagramType.CERTIFICATE, ...issued }, host, port);
  }

  /** The peer ids of the members joined now. */
  joinedMembers(): string[] {
    const ids: string[] = [];
    for (let slot = 0; slot < this.slots.high; slot++) {
      const peer = this.slots.joinedAt(slot) >= 0 ? this.options.state.peerAtSlot(slot) : undefined;
      if (peer) ids.push(peer.peerId);
    }
    return ids;
  }

  /** Hands a joined member its certificate (CERTIFICATE, §22.4), twice, 250 ms apart; false when it is not joined. */
  sendCertificate(peerId: string, certificate: Buffer, ownerKey: Buffer): boolean {
    const member = this.controlMember(peerId);
    if (!member) return false;
    const msg = { type: DatagramType.CERTIFICATE, ownerKey, certificate } as const;
    this.send(msg, member.controlHost, member.controlPort);
    setTimeout(() => this.send(msg, member.controlHost, member.controlPort), 250).unref();
    return true;
  }

  /** Tells every joined member of new revocations, a slice of the slots per event-loop turn. */
  broadcastRevocations(entries: Buffer[]): void {
    if (entries.length === 0) return;
    let slot = 0;
    const turn = () => {
      const end = Math.min(this.slots.high, slot + SWEEP_SLOTS_PER_TURN / 16);
      for (; slot < end; slot++) {
        const at = this.slots.joinedAt(slot);
        const peer = at >= 0 ? this.options.state.peerAtSlot(slot) : undefined;
        if (peer) this.sendRevocations(entries, peer.host, this.slots.words[at + SOURCE_PORT]!);
      }
      if (slot < this.slots.high) setImmediate(turn);
    };
    turn();
  }

  private sendRevocations(entries: Buffer[], host: string, port: number): void {
    for (let i = 0; i < entries.length; i += MAX_REVOCATIONS_PER_DATAGRAM) {
      this.send({ type: DatagramType.REVOKED, entries: entries.slice(i, i + MAX_REVOCATIONS_PER_DATAGRAM) }, host, port);
    }
  }

  /** The joined member a request comes from, checked: token, source address, fresh seq. */
  private member(ref: PeerRef, host: string, port: number): { peer: PeerRecord; at: number } | undefined {
    const peer = this.options.state.peerById(ref.peerId);
    const at = peer ? this.slots.joinedAt(peer.slot) : -1;
    if (!peer || at < 0) {
      this.drops.count('unknown_peer');
      // Tell it to join again; ERROR (≤ 74 bytes here) stays within 3× of the smallest request.
      this.sendError(ref.seq, 'unknown_peer', 'not joined: send INIT and JOIN again', host, port);
      return undefined;
    }
    const w = this.slots.words;
    if (w[at + TOKEN] !== ref.token.readUInt32BE(0) || w[at + TOKEN + 1] !== ref.token.readUInt32BE(4)) {
      this.drops.count('bad_token');
      // A member whose token was replaced (it re-joined elsewhere, or an old JOIN was replayed) joins again at once.
      this.sendError(ref.seq, 'bad_token', 'this token is no longer valid: send INIT and JOIN again', host, port);
      return undefined;
    }
    if (peer.host !== host || w[at + SOURCE_PORT] !== port) {
      this.drops.count('spoofed_address');
      return undefined;
    }
    if (!acceptSeq(w, at + SEQ, ref.seq)) {
      this.drops.count('replayed');
      return undefined;
    }
    this.touch(at, this.intervalMs);
    return { peer, at };
  }

  private onAnnounce(msg: AnnounceBody, member: { peer: PeerRecord }, host: string, port: number): void {
    // A cap (too_many_files, tracker_full) throws a ProtocolError: the announcer hears which.
    const refused = this.options.state.announce(member.peer, { reset: msg.reset, add: msg.add, remove: msg.remove });
    if (refused > 0) this.warn(`${host}: refused ${refused} files whose size contradicts their content hash`);
    this.ack(msg.seq, host, port);
  }

  private onLookup(msg: LookupBody, member: { peer: PeerRecord }, host: string, port: number): void {
    const found = this.options.state.lookup(msg.hash, member.peer);
    const peers = (found?.peers ?? []).slice(0, MAX_PEERS_PER_DATAGRAM);
    this.send({ type: DatagramType.PEERS, seq: msg.seq, hash: msg.hash, size: found?.size ?? 0, peers }, host, port);
  }

  private ack(seq: number, host: string, port: number): void {
    const { state } = this.options;
    this.send({ type: DatagramType.ACK, seq, intervalMs: this.intervalMs, generation: state.generation >>> 0, peersOnline: state.peerCount, status: 'ok' }, host, port);
  }

  private answerError(host: string, port: number, ref: number, err: unknown, size: number): void {
    if (err instanceof ProtocolError) return this.sendError(ref, err.code, err.message, host, port);
    this.logger.error(`control plane: a datagram of ${size} bytes from ${host}:${port} failed: ${errorMessage(err)}`);
    this.sendError(ref, 'internal', 'internal error', host, port);
  }

  private sendError(ref: number, code: Exclude<DatagramStatus, 'ok'>, message: string, host: string, port: number): void {
    this.send({ type: DatagramType.ERROR, ref, code, message: truncateUtf8(message, Math.min(118, MAX_ERROR_MESSAGE_BYTES)) }, host, port);
  }

  private send(msg: DatagramBody, host: string, port: number): void {
    this.answered++;
    try {
      this.socket.send(sealBody(this.seal, msg), port, host);
    } catch {
      // stopped meanwhile (a repeated RING after stop): nothing to send to
    }
  }

  /** Sets the member's deadline: EXPIRY_INTERVALS intervals from now. */
  private touch(at: number, intervalMs: number): void {
    this.slots.words[at + LAST_HEARD] = this.tick(this.now() + EXPIRY_INTERVALS * intervalMs);
  }

  private tick(ms: number): number {
    return Math.max(1, Math.ceil((ms - this.startedAt) / TICK_MS));
  }

  private forget(member: { peer: PeerRecord }, why: 'leave' | 'expired'): void {
    this.slots.clear(member.peer.slot);
    this.options.state.removePeer(member.peer);
    this.logger.info(`peer ${member.peer.peerId.slice(0, 8)} ${why === 'leave' ? 'left' : 'timed out'}`);
    this.emit('leave', member.peer, why);
  }

  /** A revoked member leaves the control plane at once (its next datagram is unknown_peer, its JOIN refused). */
  evict(peerId: string): void {
    const peer = this.options.state.peerById(peerId);
    if (peer && this.slots.joinedAt(peer.slot) >= 0) this.forget({ peer }, 'leave');
  }

  /** A record replaced by a new JOIN or a stream session: its control slot goes, a stream session is closed. */
  private slotGone(old: PeerRecord): void {
    if (this.slots.joinedAt(old.slot) >= 0) this.slots.clear(old.slot);
    else this.options.replaced?.(old);
  }

  /** Whether `peer` joined over the control plane (and is still a member). */
  isMember(peer: PeerRecord): boolean {
    return this.options.state.hasPeer(peer) && this.slots.joinedAt(peer.slot) >= 0;
  }

  /** Called by the stream side when its session replaced a member that had joined here. */
  streamReplaced(old: PeerRecord): void {
    if (this.slots.joinedAt(old.slot) >= 0) this.slots.clear(old.slot);
  }

  /** Drops members past their deadline, a bounded number of slots per turn. */
  private sweep(): void {
    const now = this.tick(this.now());
    const w = this.slots.words;
    const end = Math.min(this.slots.high, this.sweepCursor + SWEEP_SLOTS_PER_TURN);
    for (let slot = this.sweepCursor; slot < end; slot++) {
      const at = this.slots.joinedAt(slot);
      if (at < 0 || w[at + LAST_HEARD]! >= now) continue;
      const peer = this.options.state.peerAtSlot(slot);
      if (peer) this.forget({ peer }, 'expired');
      else this.slots.clear(slot);
    }
    this.sweepCursor = end >= this.slots.high ? 0 : end;
    this.scheduleSweep();
  }

  private scheduleSweep(): void {
    const every = this.sweepCursor === 0 ? Math.min(1000, Math.max(50, Math.floor(this.intervalMs / 2))) : 0;
    this.sweepTimer = setTimeout(() => this.sweep(), every);
    this.sweepTimer.unref();
  }

  private warn(message: string): void {
    this.logger.warn(message);
    this.emit('warning', message);
  }
}

/** Cuts `text` to at most `bytes` bytes of UTF-8 without splitting a character. */
function truncateUtf8(text: string, bytes: number): string {
  if (Buffer.byteLength(text) <= bytes) return text;
  let out = text;
  while (Buffer.byteLength(out) > bytes) out = out.slice(0, -1);
  return out;
}

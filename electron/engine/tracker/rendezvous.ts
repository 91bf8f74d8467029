import { randomBytes } from 'node:crypto';
import { ConnectMethod, DatagramType, ROLE_REQUESTER, type DatagramStatus } from '../../../shared/protocol/datagram.js';
import type { ConnectBody, DatagramBody, PunchHelloBody } from '../control/datagram-codec.js';
import type { Logger } from '../logger.js';
import type { PeerRecord } from './peer-directory.js';
import type { Relay } from '../nat/relay.js';

/** A RING is sent this many times, RING_REPEAT_MS apart: one lost datagram should not cost a whole attempt. */
const RING_COPIES = 2;
const RING_REPEAT_MS = 250;
/** A punch session lives this long: both sides say PUNCH_HELLO within it or it is forgotten. */
const PUNCH_SESSION_MS = 15_000;
/** Punch sessions open at once, for everyone: each is ~100 bytes, the cap only stops a flood. */
const MAX_PUNCH_SESSIONS = 4096;
/** CONNECTs one member may make per second (burst twice that): each costs the target a RING. */
const CONNECTS_PER_SECOND = 10;
/** Members offering to relay that a tracker keeps track of; a bound, not a policy. */
const MAX_MEMBER_RELAYS = 256;

export interface RendezvousOptions {
  /** The member with this id, if it joined over the control plane, with its heartbeats' source. */
  member: (peerId: string) => { peer: PeerRecord; controlHost: string; controlPort: number } | undefined;
  send: (msg: DatagramBody, host: string, port: number) => void;
  /** Undefined when the tracker does not relay (`-no-relay`). */
  relay: Relay | undefined;
  /**
   * Whether a member offering to relay is used only once the tracker's dial-back found it
   * reachable (true), or on its word (false: the tracker does not dial back).
   */
  relayNeedsReach: boolean;
  logger: Logger;
  now: () => number;
}

interface PunchSession {
  requester: string;
  target: string;
  expires: number;
  seen: [{ host: string; port: number } | undefined, { host: string; port: number } | undefined];
}

/**
 * The tracker's side of a rendezvous (docs/PROTOCOL.md §20): it only ever puts two joined
 * members in touch. A CONNECT names a member by id, never an address; the target is told the
 * requester's address as the tracker saw it, and the two punching sockets learn each other's
 * mapping only after both proved the session. Nothing here reaches a non-member.
 */
export class Rendezvous {
  private readonly punches = new Map<string, PunchSession>();
  private readonly budgets = new Map<string, { tokens: number; at: number }>();
  /** Members that offered to relay (JOIN flag), with what the dial-back found (undefined: not yet). */
  private readonly memberRelays = new Map<string, boolean | undefined>();
  private relayTurn = 0;
  /** Rendezvous handled (ops figures and tests); `memberRelay` counts sessions handed to members' relays. */
  readonly counts = { reverse: 0, relay: 0, memberRelay: 0, punch: 0, refused: 0 };

  constructor(private readonly options: RendezvousOptions) {}

  /** A member joined, offering to relay or not. */
  noteJoin(peerId: string, offersRelay: boolean): void {
    if (!offersRelay) this.memberRelays.delete(peerId);
    else if (this.memberRelays.size < MAX_MEMBER_RELAYS || this.memberRelays.has(peerId)) this.memberRelays.set(peerId, undefined);
  }

  /** The dial-back's answer about a member: a relay must be reachable to be of use. */
  noteReach(peerId: string, reachable: boolean): void {
    if (this.memberRelays.has(peerId)) this.memberRelays.set(peerId, reachable);
  }

  get memberRelayCount(): number {
    return this.memberRelays.size;
  }

  onConnect(msg: ConnectBody, requester: PeerRecord, host: string, port: number): void {
    const answer = (status: DatagramStatus, session: Buffer = Buffer.alloc(16), relayPort = 0, relayHost = '::') => {
      if (status !== 'ok') this.counts.refused++;
      this.options.send({ type: DatagramType.CONNECTING, seq: msg.seq, status, method: msg.method, session, relayPort, relayHost }, host, port);
    };
    if (!this.allow(requester.peerId)) return answer('busy');
    const target = this.options.member(msg.target);
    if (!target) return answer('target_offline');
    const ring = (session: Buffer, ringHost: string, ringPort: number) => this.ring(target, { type: DatagramType.RING, from: requester.peerId, method: msg.method, session, host: ringHost, port: ringPort });
    switch (msg.method) {
      case ConnectMethod.REVERSE: {
        // The requester's session id is its request nonce: it recognises the reversed socket by it.
        this.counts.reverse++;
        ring(msg.requestNonce, requester.host, requester.port);
        return answer('ok', msg.requestNonce);
      }
      case ConnectMethod.RELAY: {
        // The tracker's own relay first; a member's when it is off or full.
        const relay = this.options.relay;
        const session = relay ? relay.open(requester.peerId, target.peer.peerId) : 'relay_off';
        if (typeof session !== 'string') {
          this.counts.relay++;
          ring(session, '::', relay!.port);
          return answer('ok', session, relay!.port);
        }
        const helper = this.pickMemberRelay(requester.peerId, target.peer.peerId);
        if (!helper) return answer(session);
        const memberSession = randomBytes(16);
        this.counts.memberRelay++;
        // Sent first, twice like a RING: the helper must know the session before either side's connection arrives.
        this.ring(helper, { type: DatagramType.RELAY_OPEN, session: memberSession, requester: requester.peerId, target: target.peer.peerId });
        ring(memberSession, helper.peer.host, helper.peer.port);
        return answer('ok', memberSession, helper.peer.port, helper.peer.host);
      }
      case ConnectMethod.PUNCH: {
        this.expirePunches();
        if (this.punches.size >= MAX_PUNCH_SESSIONS) return answer('tracker_full');
        const session = randomBytes(16);
        this.punches.set(session.toString('hex'), { requester: requester.peerId, target: target.peer.peerId, expires: this.options.now() + PUNCH_SESSION_MS, seen: [undefined, undefined] });
        this.counts.punch++;
        ring(session, '::', 0);
        return answer('ok', session);
      }
    }
  }

  /**
   * A punching socket says which session it belongs to; its source address is its public mapping.
   * Once both sides spoke, each is told the other's (again at every retransmission, so a lost
   * PUNCH_PEER costs one retry). The answer is never larger than the hello.
   */
  onPunchHello(msg: PunchHelloBody, host: string, port: number): boolean {
    const key = msg.session.toString('hex');
    const session = this.punches.get(key);
    if (!session || session.expires < this.options.now()) return false;
    session.seen[msg.role] = { host, port };
    const other = session.seen[msg.role === ROLE_REQUESTER ? 1 : 0];
    if (other) {
      this.options.send({ type: DatagramType.PUNCH_PEER, session: msg.session, host: other.host, port: other.port }, host, port);
      const self = session.seen[msg.role]!;
      this.options.send({ type: DatagramType.PUNCH_PEER, session: msg.session, host: self.host, port: self.port }, other.host, other.port);
    }
    return true;
  }

  /** The next member relay in turn that is online, usable and neither of the two. */
  private pickMemberRelay(requester: string, target: string): ReturnType<RendezvousOptions['member']> {
    const ids = [...this.memberRelays.keys()];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[(this.relayTurn + i) % ids.length]!;
      if (id === requester || id === target) continue;
      const reach = this.memberRelays.get(id);
      if (reach === false || (reach === undefined && this.options.relayNeedsReach)) continue;
      const member = this.options.member(id);
      if (!member) {
        this.memberRelays.delete(id); // gone since: forgotten here too
        continue;
      }
      this.relayTurn = (this.relayTurn + i + 1) % Math.max(1, ids.length);
      return member;
    }
    return undefined;
  }

  private ring(target: { controlHost: string; controlPort: number }, msg: DatagramBody): void {
    this.options.send(msg, target.controlHost, target.controlPort);
    for (let copy = 1; copy < RING_COPIES; copy++) {
      setTimeout(() => this.options.send(msg, target.controlHost, target.controlPort), copy * RING_REPEAT_MS).unref();
    }
  }

  private allow(peerId: string): boolean {
    const now = this.options.now();
    const budget = this.budgets.get(peerId) ?? { tokens: 2 * CONNECTS_PER_SECOND, at: now };
    budget.tokens = Math.min(2 * CONNECTS_PER_SECOND, budget.tokens + ((now - budget.at) / 1000) * CONNECTS_PER_SECOND);
    budget.at = now;
    if (budget.tokens < 1) return false;
    budget.tokens -= 1;
    this.budgets.set(peerId, budget);
    if (this.budgets.size > 65_536) this.budgets.clear(); // a bound, not a policy: full buckets again
    return true;
  }

  private expirePunches(): void {
    const now = this.options.now();
    for (const [key, session] of this.punches) if (session.expires < now) this.punches.delete(key);
  }
}

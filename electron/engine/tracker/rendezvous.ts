import { randomBytes } from 'node:crypto';
import { ConnectMethod, DatagramType, ROLE_REQUESTER, type DatagramStatus } from '../../../shared/protocol/datagram.js';
import type { ConnectBody, DatagramBody, PunchHelloBody } from '../control/datagram-codec.js';
import type { Logger } from '../logger.js';
import type { PeerRecord } from './peer-directory.js';
import type { TrackerRelay } from './tracker-relay.js';

/** A RING is sent this many times, RING_REPEAT_MS apart: one lost datagram should not cost a whole attempt. */
const RING_COPIES = 2;
const RING_REPEAT_MS = 250;
/** A punch session lives this long: both sides say PUNCH_HELLO within it or it is forgotten. */
const PUNCH_SESSION_MS = 15_000;
/** Punch sessions open at once, for everyone: each is ~100 bytes, the cap only stops a flood. */
const MAX_PUNCH_SESSIONS = 4096;
/** CONNECTs one member may make per second (burst twice that): each costs the target a RING. */
const CONNECTS_PER_SECOND = 10;

export interface RendezvousOptions {
  /** The member with this id, if it joined over the control plane, with its heartbeats' source. */
  member: (peerId: string) => { peer: PeerRecord; controlHost: string; controlPort: number } | undefined;
  send: (msg: DatagramBody, host: string, port: number) => void;
  /** Undefined when the tracker does not relay (`-no-relay`). */
  relay: TrackerRelay | undefined;
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
  /** Rendezvous handled (ops figures and tests). */
  readonly counts = { reverse: 0, relay: 0, punch: 0, refused: 0 };

  constructor(private readonly options: RendezvousOptions) {}

  onConnect(msg: ConnectBody, requester: PeerRecord, host: string, port: number): void {
    const answer = (status: DatagramStatus, session: Buffer = Buffer.alloc(16), relayPort = 0) => {
      if (status !== 'ok') this.counts.refused++;
      this.options.send({ type: DatagramType.CONNECTING, seq: msg.seq, status, method: msg.method, session, relayPort }, host, port);
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
        const relay = this.options.relay;
        if (!relay) return answer('relay_off');
        const session = relay.open(requester.peerId, target.peer.peerId);
        if (typeof session === 'string') return answer(session);
        this.counts.relay++;
        ring(session, '::', relay.port);
        return answer('ok', session, relay.port);
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

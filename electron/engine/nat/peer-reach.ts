import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { ConnectMethod, PREFACE_RELAY, PREFACE_REVERSE, ROLE_REQUESTER, ROLE_TARGET, type ConnectMethodNumber } from '../../../shared/protocol/datagram.js';
import type { PeerAddress } from '../../../shared/protocol/messages.js';
import type { PeerPath } from '../../../shared/types.js';
import type { RingBody } from '../control/datagram-codec.js';
import { EngineError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { directDial, type DialedPeer } from '../peer/peer-source.js';
import type { ControlClient } from '../tracker/control-client.js';
import { encodePreface, type Preface } from '../wire/preface.js';
import type { Transport } from '../wire/transport.js';
import { holePunch } from './hole-punch.js';

/** How long each way may take before the next is tried. */
const REVERSE_WAIT_MS = 4000;
const PUNCH_MS = 6000;
const RELAY_CONNECT_MS = 5000;
const SECURE_MS = 8000;
/** The direct dial alone for this long; then the rendezvous starts beside it. */
const DIRECT_HEAD_START_MS = 1500;
/** A punched path that carries no TLS handshake this soon never will (both NATs' mappings are in place by then). */
const PUNCHED_SECURE_MS = 3000;
/** A way that worked for a peer is tried first for this long; a direct dial that failed is skipped as long. */
const REMEMBER_MS = 10 * 60_000;
/** RINGs answered at once: each costs a socket (and a punch, a UDX socket). */
const MAX_ANSWERING = 16;

export interface ReachSwitches {
  /** Hole punching (`-no-punch` turns it off). */
  punch: boolean;
  /** Relays (`-no-relay`): neither asked for nor answered. */
  relay: boolean;
}

export interface PeerReachOptions {
  transport: Transport;
  /** The joined control-plane memberships, the trackers a rendezvous can go through. */
  memberships: () => ControlClient[];
  /** Serves a connection we opened for a rendezvous as if it had been accepted. */
  serveOver: (raw: Duplex, remote: string) => Promise<void>;
  /** Whether another peer can dial us, as known now (then a reversal is worth asking for). */
  reachable: () => boolean;
  /** The same once a port mapping under way has answered (it may take seconds). */
  reachableSoon: () => Promise<boolean>;
  /** TLS is on: hole punching runs only then (open mode is TCP only). */
  sealed: boolean;
  switches: () => ReachSwitches;
  logger: Logger;
}

type Way = 'reverse' | 'punch' | 'relay';
const PATH_OF: Record<Way, PeerPath> = { reverse: 'reversed', punch: 'punched', relay: 'relayed' };

/**
 * Reaching peers that can't simply be dialled (docs/PROTOCOL.md §20), both ways round.
 * As a downloader, `dial` tries the peer's address, then asks a tracker for a reversal (when
 * we can be reached), a hole punch, and finally its relay, remembering what worked. As a
 * holder, `answer` acts on a RING: it dials back, punches, or joins the relay, and serves that
 * connection as any accepted one. Either way TLS and the peer's identity are checked inside.
 */
export class PeerReach {
  private readonly reversals = new Map<string, { resolve: (socket: net.Socket) => void; timer: NodeJS.Timeout }>();
  private readonly worked = new Map<string, { way: Way; at: number }>();
  private readonly directFailed = new Map<string, number>();
  private readonly direct;
  private answering = 0;

  constructor(private readonly options: PeerReachOptions) {
    this.direct = directDial(options.transport);
  }

  /**
   * Opens a connection to `address` by the first way that works. The direct dial gets a head
   * start (Happy Eyeballs): a router that drops the SYN would otherwise hold us for the whole
   * connect timeout before anything else is tried. The way that loses is closed.
   */
  async dial(address: PeerAddress): Promise<DialedPeer> {
    const key = address.peerId;
    const memberships = this.options.memberships();
    if (!key || memberships.length === 0) return this.direct(address);
    const failedAt = this.directFailed.get(key);
    if (failedAt !== undefined && Date.now() - failedAt < REMEMBER_MS) return this.rendezvous(address, memberships, undefined);
    const abandon = new AbortController();
    const direct = this.direct(address, abandon.signal);
    direct.catch(() => this.directFailed.set(key, Date.now()));
    const early = await Promise.race([direct.then((dialed) => ({ dialed }), (err: unknown) => ({ err })), sleep(DIRECT_HEAD_START_MS)]);
    if (early && 'dialed' in early) return early.dialed;
    if (early) return this.rendezvous(address, memberships, early.err);
    const other = this.rendezvous(address, memberships, undefined);
    // The direct dial may hang (a router that drops SYNs) long after the other way got through: abandon it then.
    other.then(() => abandon.abort(), () => undefined);
    return firstOf(direct, other);
  }

  /**
   * A path to `address` other than a relay, if one exists now (the DCUtR idea: a relayed
   * connection moves when a better one appears): its listed address, a reversal when we can be
   * reached, a punch. Undefined when none gets through; the relay is never tried.
   */
  async upgrade(address: PeerAddress): Promise<DialedPeer | undefined> {
    const key = address.peerId;
    try {
      const dialed = await this.direct(address);
      this.directFailed.delete(key);
      this.worked.delete(key);
      return dialed;
    } catch {
      // not yet: its router forwards nothing (still)
    }
    for (const way of this.ways(key, this.options.reachable()).filter((w) => w !== 'relay')) {
      for (const control of this.options.memberships()) {
        try {
          const dialed = await this.via(way, control, address);
          this.worked.set(key, { way, at: Date.now() });
          return dialed;
        } catch (err) {
          this.options.logger.debug(`peer ${key.slice(0, 8)}: no better path yet by ${way}: ${errorMessage(err)}`);
        }
      }
    }
    return undefined;
  }

  private async rendezvous(address: PeerAddress, memberships: ControlClient[], directError: unknown): Promise<DialedPeer> {
    const key = address.peerId;
    const tried: string[] = [];
    const attempt = async (way: Way): Promise<DialedPeer | undefined> => {
      for (const control of memberships) {
        try {
          const dialed = await this.via(way, control, address);
          this.worked.set(key, { way, at: Date.now() });
          this.options.logger.debug(`peer ${key.slice(0, 8)}: ${PATH_OF[way]} through tracker ${control.address}`);
          return dialed;
        } catch (err) {
          this.options.logger.debug(`peer ${key.slice(0, 8)}: ${way} through tracker ${control.address} failed: ${errorMessage(err)}`);
          tried.push(`${way}: ${errorMessage(err)}`);
        }
      }
      return undefined;
    };
    const ways = this.ways(key, this.options.reachable());
    // Not reachable yet, perhaps only because the router has not answered: punch first, and ask
    // for a reversal (before the relay, the last resort) once the router has.
    let reverseLater = !ways.includes('reverse');
    for (const way of [...ways, undefined]) {
      if (reverseLater && (way === 'relay' || way === undefined)) {
        reverseLater = false;
        const dialed = (await this.options.reachableSoon()) ? await attempt('reverse') : undefined;
        if (dialed) return dialed;
      }
      const dialed = way && (await attempt(way));
      if (dialed) return dialed;
    }
    const first = directError ? `directly (${errorMessage(directError)})` : 'directly';
    throw new EngineError('connection_closed', `cannot reach peer ${key.slice(0, 8)} at ${address.host}:${address.port} ${first}${tried.length ? `, nor ${tried.join('; ')}` : ''}`);
  }

  /** A socket that opened with a reversal preface: the holder we asked for, dialling back. */
  deliverReversal(socket: net.Socket, preface: Preface): void {
    const waiting = preface.kind === PREFACE_REVERSE && preface.role === ROLE_TARGET ? this.reversals.get(preface.session.toString('hex')) : undefined;
    if (!waiting) {
      socket.destroy();
      return;
    }
    this.reversals.delete(preface.session.toString('hex'));
    clearTimeout(waiting.timer);
    waiting.resolve(socket);
  }

  /** Acts on a RING from `control`'s tracker; failures only cost that attempt. */
  answer(ring: RingBody, control: ControlClient): void {
    const switches = this.options.switches();
    if (ring.method === ConnectMethod.PUNCH && (!switches.punch || !this.options.sealed)) return;
    if (ring.method === ConnectMethod.RELAY && !switches.relay) return;
    if (this.answering >= MAX_ANSWERING) {
      this.options.logger.debug(`ignored a connection request from ${ring.from.slice(0, 8)}: ${MAX_ANSWERING} are being set up`);
      return;
    }
    this.answering++;
    this.answerRing(ring, control)
      .catch((err: unknown) => this.options.logger.debug(`connection request from ${ring.from.slice(0, 8)} failed: ${errorMessage(err)}`))
      .finally(() => this.answering--);
  }

  private async answerRing(ring: RingBody, control: ControlClient): Promise<void> {
    const from = ring.from.slice(0, 8);
    if (ring.method === ConnectMethod.PUNCH) {
      const punched = await holePunch(control, ring.session, ROLE_TARGET, PUNCH_MS);
      this.options.logger.debug(`punched a path to ${from} at ${punched.remote}`);
      return this.options.serveOver(punched.duplex, `${punched.remote} (punched)`);
    }
    // A relay is the tracker that rang (host ::) or a member relay it chose; either way what runs
    // through it is our own TLS, and the requester's identity is checked at its handshake.
    const relay = ring.method === ConnectMethod.RELAY;
    const host = relay ? relayHost(ring.host, control) : ring.host;
    const socket = await connectTcp(host, ring.port, RELAY_CONNECT_MS);
    socket.write(encodePreface({ kind: relay ? PREFACE_RELAY : PREFACE_REVERSE, session: ring.session, role: ROLE_TARGET }));
    return this.options.serveOver(socket, relay ? `${from} (relayed by ${isUnspecifiedHost(ring.host) ? control.address : `${host}:${ring.port}`})` : `${host}:${ring.port} (reversed)`);
  }

  /** The ways worth trying for `peerId`, what worked last time first. */
  private ways(peerId: string, reachable: boolean): Way[] {
    const switches = this.options.switches();
    const ways: Way[] = [];
    if (reachable) ways.push('reverse');
    if (switches.punch && this.options.sealed) ways.push('punch');
    if (switches.relay) ways.push('relay');
    const known = this.worked.get(peerId);
    if (known && Date.now() - known.at < REMEMBER_MS && ways.includes(known.way)) return [known.way, ...ways.filter((w) => w !== known.way)];
    return ways;
  }

  private async via(way: Way, control: ControlClient, address: PeerAddress): Promise<DialedPeer> {
    const transport = this.options.transport;
    const label = `${address.peerId.slice(0, 8)} (${PATH_OF[way]})`;
    if (way === 'reverse') {
      const nonce = randomBytes(16);
      const arrived = this.expectReversal(nonce, REVERSE_WAIT_MS);
      try {
        await this.connect(control, address, ConnectMethod.REVERSE, nonce);
      } catch (err) {
        this.cancelReversal(nonce);
        throw err;
      }
      const socket = await arrived;
      return { opened: await transport.connectOver(socket, label, SECURE_MS), path: 'reversed' };
    }
    const reply = await this.connect(control, address, way === 'punch' ? ConnectMethod.PUNCH : ConnectMethod.RELAY, randomBytes(16));
    if (way === 'punch') {
      const punched = await holePunch(control, reply.session, ROLE_REQUESTER, PUNCH_MS);
      return { opened: await transport.connectOver(punched.duplex, label, PUNCHED_SECURE_MS), path: 'punched' };
    }
    const host = relayHost(reply.relayHost, control);
    const socket = await connectTcp(host, reply.relayPort, RELAY_CONNECT_MS);
    socket.write(encodePreface({ kind: PREFACE_RELAY, session: Buffer.from(reply.session), role: ROLE_REQUESTER }));
    return { opened: await transport.connectOver(socket, label, SECURE_MS), path: 'relayed' };
  }

  private connect(control: ControlClient, address: PeerAddress, method: ConnectMethodNumber, nonce: Buffer) {
    return control.requestConnect(address.peerId, method, nonce);
  }

  private expectReversal(nonce: Buffer, timeoutMs: number): Promise<net.Socket> {
    const key = nonce.toString('hex');
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.reversals.delete(key);
        reject(new EngineError('timeout', `the peer did not connect back within ${timeoutMs / 1000} s (we may not be reachable from it)`));
      }, timeoutMs);
      timer.unref();
      this.reversals.set(key, { resolve, timer });
    });
  }

  private cancelReversal(nonce: Buffer): void {
    const key = nonce.toString('hex');
    const waiting = this.reversals.get(key);
    if (waiting) clearTimeout(waiting.timer);
    this.reversals.delete(key);
  }
}

const isUnspecifiedHost = (host: string) => host === '::' || host === '0.0.0.0';

/** Where a relay session's relay is: '::' names the tracker itself, anything else a member that relays. */
function relayHost(host: string, control: ControlClient): string {
  if (!isUnspecifiedHost(host)) return host;
  const tracker = control.trackerIp;
  if (!tracker) throw new EngineError('tracker_unreachable', `tracker ${control.address} has no address`);
  return tracker;
}

const sleep = (ms: number) => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), ms).unref());

/** The first of two dials to succeed; the other, should it succeed too, is closed. Fails only when both do. */
function firstOf(a: Promise<DialedPeer>, b: Promise<DialedPeer>): Promise<DialedPeer> {
  return new Promise((resolve, reject) => {
    let won = false;
    let failures = 0;
    const errors: unknown[] = [];
    for (const dial of [a, b]) {
      dial.then(
        (dialed) => {
          if (won) return dialed.opened.socket.destroy();
          won = true;
          resolve(dialed);
        },
        (err: unknown) => {
          errors.push(err);
          if (++failures === 2) reject(errors[1] ?? errors[0]);
        },
      );
    }
  });
}

function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new EngineError('timeout', `connecting to ${host}:${port} timed out`));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(new EngineError('connection_closed', `cannot connect to ${host}:${port}: ${err.code ?? err.message}`));
    });
  });
}

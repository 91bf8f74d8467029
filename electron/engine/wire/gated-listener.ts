import type net from 'node:net';
import type { ZodType } from 'zod';
import type { HelloMessage, WelcomeMessage } from '../../../shared/protocol/messages.js';
import { ProtocolError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import type { FramedConnection } from './connection.js';
import { ConnectionGate, type Admission } from './connection-gate.js';
import { acceptHandshake } from './handshake.js';
import { invitedBy } from './tls-transport.js';
import type { Preface, PrefaceHandler } from './preface.js';
import type { Duplex } from 'node:stream';
import { closeServer, listen, tcpTransport, type Transport } from './transport.js';

/** How many connections a listener lets in (ConnectionGate applies them at accept, before TLS). */
export interface ListenerLimits {
  /** Established connections served at once; one more that finishes its handshake is refused. */
  connections: number;
  /** Sockets one host may hold, handshaking or not. */
  connectionsPerAddress: number;
  /** Connections still in their handshake (TLS, then hello), on top of `connections`. */
  handshakes: number;
  /** Handshakes one address may have in progress: the rest stay free for everyone else. */
  handshakesPerAddress: number;
}

/** A peer serving pieces: a few hundred downloaders, 16 sockets from one host. */
export const PEER_LIMITS: Readonly<ListenerLimits> = Object.freeze({
  connections: 256,
  connectionsPerAddress: 16,
  handshakes: 64,
  handshakesPerAddress: 8,
});

/**
 * A tracker: every peer of the network holds a connection. One host may hold 32 (a NAT with
 * several peers, not one client hogging slots); handshakes per address are half that, so a
 * NAT's peers starting together (or bench/tracker-load.mjs, 16 per IP) get in.
 */
export const TRACKER_LIMITS: Readonly<ListenerLimits> = Object.freeze({
  connections: 10_000,
  connectionsPerAddress: 32,
  handshakes: 256,
  handshakesPerAddress: 16,
});

export interface GatedListenerOptions<In extends { type: string; id?: number }> {
  /** Names the server in a listen error ("The tracker cannot listen on port …"). */
  name: string;
  port: number;
  host?: string | undefined;
  transport?: Transport | undefined;
  logger: Logger;
  limits: ListenerLimits;
  /** Overrides the time a new connection has to finish its handshake (tests). */
  handshakeDeadlineMs?: number | undefined;
  /** Schema of the requests after hello. */
  requests: ZodType<In>;
  /** A connection silent this long is closed; a call unanswered this long fails. */
  idleTimeoutMs: number;
  /** Overrides the per-frame deadline (tests). */
  frameDeadlineMs?: number | undefined;
  /** Our peer id and agent, sent in `welcome`. */
  peerId: string;
  agent: string;
  identity?: PeerIdentity | undefined;
  /** The protocol versions this server speaks (default: all this build speaks). */
  versions?: readonly number[];
  /** The refusal of a connection that finished its handshake while `connections` are open. */
  full: (connections: number) => ProtocolError;
  /**
   * Takes an admitted hello: returns the extra welcome fields, or throws a ProtocolError to refuse
   * it with that code. Any other exception is our failure: logged, and refused as `internal`.
   */
  accept: (hello: HelloMessage, conn: FramedConnection<In>) => Partial<WelcomeMessage>;
  /** A remote broke the protocol during its handshake. */
  warn: (message: string) => void;
  /** Takes the sockets that open with a rendezvous preface (docs/PROTOCOL.md §20.2); without it they fail as bad TLS. */
  onPreface?: PrefaceHandler | undefined;
  /** Takes the sockets whose TLS handshake used a member invite's key (§22.2); without it they are closed. */
  onInvited?: ((socket: net.Socket, inviteId: string) => void) | undefined;
}

/**
 * The accept loop both servers share: a listening socket whose raw connections pass a
 * ConnectionGate (per-address limits, handshake slots and deadline) before any TLS work,
 * then the hello/welcome handshake; what a connection does after that is the server's.
 */
export class GatedListener<In extends { type: string; id?: number }> {
  port = 0;
  /** Frames received from closed connections (ops figures; the fuzz test counts with it). */
  framesReceived = 0;
  readonly gate: ConnectionGate;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  /** Connections served over a socket we did not accept, so the gate never counted them. */
  private readonly served = new Set<net.Socket>();

  constructor(private readonly options: GatedListenerOptions<In>) {
    const { limits, logger } = options;
    this.gate = new ConnectionGate({
      total: limits.connections,
      perAddress: limits.connectionsPerAddress,
      handshakes: limits.handshakes,
      handshakesPerAddress: limits.handshakesPerAddress,
      ...(options.handshakeDeadlineMs ? { handshakeDeadlineMs: options.handshakeDeadlineMs } : {}),
      onRefused: (reason) => logger.debug(`refused a connection: ${reason}`),
    });
    this.server = (options.transport ?? tcpTransport).createServer((socket, admission) => this.onSocket(socket, admission), this.gate, options.onPreface && ((socket, preface) => this.onPreface(socket, preface)));
  }

  /** Listens on `port` (default: the configured one); may be called again after it failed. */
  async start(port = this.options.port): Promise<number> {
    this.port = await listen(this.server, port, this.options.host, this.options.name);
    return this.port;
  }

  /** Stops listening and closes every socket, handshaking or not. */
  async stop(): Promise<void> {
    const closing = closeServer(this.server);
    this.gate.destroyAll();
    for (const socket of this.sockets) socket.destroy();
    await closing;
  }

  /** Open connections: every accepted socket from the moment it is admitted (even before its first byte), and every served one. */
  get connectionCount(): number {
    return this.gate.size + this.served.size;
  }

  private onPreface(socket: net.Socket, preface: Preface): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    this.options.onPreface?.(socket, preface);
  }

  /**
   * Serves a connection we did not accept: one this node opened to a peer that asked for it
   * (reversed), or one spliced by a relay or punched through NATs. The transport's server side
   * runs over it, then the same handshake and service as for an accepted socket.
   */
  async serveOver(raw: Duplex, remote: string): Promise<void> {
    const socket = await (this.options.transport ?? tcpTransport).acceptOver(raw, remote);
    this.served.add(socket);
    socket.once('close', () => this.served.delete(socket));
    this.onSocket(socket, undefined);
  }

  private onSocket(socket: net.Socket, admission: Admission | undefined): void {
    const o = this.options;
    this.sockets.add(socket);
    socket.once('close', () => {
      this.sockets.delete(socket);
    });
    const invite = invitedBy(socket);
    if (invite !== undefined) {
      admission?.established();
      if (o.onInvited) o.onInvited(socket, invite);
      else socket.destroy();
      return;
    }
    acceptHandshake(
      socket,
      o.requests,
      {
        idleTimeoutMs: o.idleTimeoutMs,
        callTimeoutMs: o.idleTimeoutMs,
        handshakeTimeoutMs: this.gate.deadlineMs,
        peerId: o.peerId,
        agent: o.agent,
        ...(o.frameDeadlineMs ? { frameDeadlineMs: o.frameDeadlineMs } : {}),
        identity: o.identity,
        ...(o.versions ? { versions: o.versions } : {}),
        observe: (conn) => conn.once('close', () => (this.framesReceived += conn.framesIn)),
      },
      (hello, conn) => {
        if (admission && !admission.established()) throw o.full(this.gate.limits.total);
        try {
          return o.accept(hello, conn);
        } catch (err) {
          if (err instanceof ProtocolError) throw err; // a rule the hello broke: the remote is told its code
          o.logger.error(`${o.name} failed to accept ${conn.remoteAddress}: ${errorMessage(err)}`);
          throw new ProtocolError('internal', 'internal error');
        }
      },
    ).catch((err: unknown) => {
      if (err instanceof ProtocolError) o.warn(`${socket.remoteAddress ?? '?'}: ${err.message}`);
    });
  }
}

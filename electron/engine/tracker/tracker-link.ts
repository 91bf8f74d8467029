import { EventEmitter } from 'node:events';
import type { FileAnnouncement, ListingMessage, PeerAddress, PeersMessage, PongMessage } from '../../../shared/protocol/messages.js';
import { EngineError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import type { NetworkKey } from '../security/network-key.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { parseHostPort, type Transport } from '../wire/transport.js';
import type { AnnounceBatch } from '../control/announce-codec.js';
import { ControlClient } from './control-client.js';
import type { RelayOpenBody, RingBody } from '../control/datagram-codec.js';
import { awaitConnection } from './await-connection.js';
import { TrackerClient, trackerRefusalOf, type ListParams, type TrackerClientEvents, type TrackerRefusal } from './tracker-client.js';
import { TrackerStream } from './tracker-stream.js';

/** A failed join is diagnosed over the stream at most this often. */
const DIAGNOSE_EVERY_MS = 5000;

export interface TrackerLinkOptions {
  address: string;
  peerId: string;
  /** Our serving port; 0 when we only query (then there is no membership, only the stream). */
  listenPort: number;
  files: () => Iterable<FileAnnouncement>;
  logger?: Logger;
  transport: Transport;
  networkKey: NetworkKey | undefined;
  identity?: PeerIdentity | undefined;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** A member asked, through this tracker, to be connected to us. */
  onRing?: ((ring: RingBody, via: ControlClient) => void) | undefined;
  offersRelay?: boolean;
  onRelayOpen?: ((open: RelayOpenBody) => void) | undefined;
  onRevoked?: ((entries: Buffer[]) => void) | undefined;
  onCertificate?: ((certificate: Buffer, ownerKey: Buffer) => void) | undefined;
}

/**
 * One tracker as the engine sees it, in protocol v2: membership, announces, heartbeats
 * and lookups go over the control plane (ControlClient, UDP); listing pages and announce
 * entries too large for a datagram go over a stream opened when needed (TrackerStream).
 * The stream also tells why a tracker does not answer the control plane (a wrong key shows
 * as a TLS alert) and whether it speaks version 2 at all: a version-1 tracker gets the
 * version-1 session (TrackerClient) instead.
 */
export class TrackerLink extends EventEmitter<TrackerClientEvents> {
  readonly host: string;
  readonly port: number;
  refusal: TrackerRefusal | undefined;
  private control: ControlClient | undefined;
  private legacy: TrackerClient | undefined;
  private readonly stream: TrackerStream;
  private readonly logger: Logger;
  private observed: { host: string; port: number } | undefined;
  private streamReachable = false;
  private lastDiagnosis = 0;
  private outageReported = false;
  private stopped = true;

  constructor(private readonly options: TrackerLinkOptions) {
    super();
    const { host, port } = parseHostPort(options.address);
    this.host = host;
    this.port = port;
    this.logger = options.logger ?? silentLogger;
    this.stream = new TrackerStream({ host, port, peerId: options.peerId, transport: options.transport, identity: options.identity });
  }

  get address(): string {
    return `${this.host}:${this.port}`;
  }

  get connected(): boolean {
    if (this.legacy) return this.legacy.connected;
    if (this.control) return this.control.connected;
    return this.streamReachable;
  }

  get stats(): { peers: number; generation: number } | undefined {
    return this.legacy?.stats ?? this.control?.stats;
  }

  /** The address the tracker sees us at (our IP plus the port we announced). */
  get observedAddress(): { host: string; port: number } | undefined {
    return this.legacy?.observedAddress ?? this.observed;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    const { identity, listenPort } = this.options;
    if (listenPort > 0 && identity) this.startControl(identity);
    void this.diagnose();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stream.close();
    await Promise.all([this.control?.stop(), this.legacy?.stop()]);
  }

  /** Resolves once we are a member (or, query-only, the stream answers); rejects at a refusal or after `timeoutMs`. */
  waitConnected(timeoutMs: number, signal?: AbortSignal): Promise<void> {
    if (this.connected) return Promise.resolve();
    if (this.refusal) return Promise.reject(new EngineError(this.refusal.code, this.refusal.message));
    return awaitConnection(this, this.address, timeoutMs, signal);
  }

  filesChanged(): void {
    (this.legacy ?? this.control)?.filesChanged();
  }

  flush(): Promise<void> {
    return (this.legacy ?? this.control)?.flush() ?? Promise.resolve();
  }

  async list(params: ListParams = {}): Promise<ListingMessage> {
    if (this.legacy) return this.legacy.list(params);
    return this.stream.call<ListingMessage>({
      type: 'list',
      query: params.query ?? '',
      offset: params.offset ?? 0,
      limit: params.limit ?? 100,
      ...(params.sort ? { sort: params.sort } : {}),
      ...(params.descending ? { descending: true } : {}),
    });
  }

  /** The control-plane membership, while joined: rendezvous requests go through it. */
  get controlClient(): ControlClient | undefined {
    return this.control?.connected ? this.control : undefined;
  }

  /** Peers holding `hash` (up to a datagram's worth over the control plane; the stream otherwise). */
  async lookup(hash: string): Promise<PeerAddress[]> {
    if (this.legacy) return this.legacy.lookup(hash);
    if (this.control?.connected) {
      try {
        return await this.control.lookup(hash);
      } catch (err) {
        this.logger.debug(`lookup over the control plane of ${this.address} failed (${errorMessage(err)}); asking over the stream`);
      }
    }
    try {
      return (await this.stream.call<PeersMessage>({ type: 'lookup', hash })).peers;
    } catch (err) {
      if (err instanceof EngineError && err.code === 'not_found') return [];
      throw err;
    }
  }

  /** The tracker's current figures: from the last heartbeat's ACK, or a ping over the stream. */
  async refreshStats(): Promise<{ peers: number; generation: number } | undefined> {
    if (this.legacy) return this.legacy.refreshStats();
    if (this.control) return this.control.stats;
    if (!this.streamReachable) return undefined;
    const pong = await this.stream.call<PongMessage>({ type: 'ping' });
    return pong.peers !== undefined && pong.generation !== undefined ? { peers: pong.peers, generation: pong.generation } : undefined;
  }

  private startControl(identity: PeerIdentity): void {
    const control = new ControlClient({
      address: this.address,
      networkKey: this.options.networkKey,
      identity,
      listenPort: this.options.listenPort,
      offersRelay: this.options.offersRelay === true,
      files: this.options.files,
      logger: this.logger,
      ...(this.options.backoffBaseMs !== undefined ? { backoffBaseMs: this.options.backoffBaseMs } : {}),
      ...(this.options.backoffMaxMs !== undefined ? { backoffMaxMs: this.options.backoffMaxMs } : {}),
    });
    control.on('connected', (welcome) => {
      this.observed = { host: welcome.observedHost, port: welcome.observedPort };
      this.refusal = undefined;
      if (this.outageReported) this.logger.info(`tracker ${this.address} is reachable again`);
      this.outageReported = false;
      this.emit('connected', { type: 'welcome', protocol: 'p2pshare', version: 2, peerId: welcome.trackerPeerId, address: this.observed, heartbeatMs: welcome.intervalMs });
    });
    control.on('disconnected', (reason) => this.emit('disconnected', reason));
    control.on('warning', (message) => {
      this.emit('warning', message);
      void this.diagnose(); // no answer: the stream can tell a wrong key from an outage
    });
    control.on('oversized', (batch) => void this.announceOverStream(batch));
    control.on('ring', (ring) => this.options.onRing?.(ring, control));
    control.on('relayOpen', (open) => this.options.onRelayOpen?.(open));
    control.on('revoked', (entries) => this.options.onRevoked?.(entries));
    control.on('certificate', (certificate, ownerKey) => this.options.onCertificate?.(certificate, ownerKey));
    this.control = control;
    control.start();
  }

  /**
   * Opens the stream to learn what the control plane can't say: a wrong key (TLS alert), or a
   * tracker that speaks only version 1 (then we use its session instead).
   */
  private async diagnose(): Promise<void> {
    const now = Date.now();
    if (this.stopped || now - this.lastDiagnosis < DIAGNOSE_EVERY_MS) return;
    this.lastDiagnosis = now;
    try {
      await this.stream.probe();
      const version = this.stream.welcome?.version ?? 1;
      if (version < 2 && this.options.listenPort > 0) return this.fallBackToVersion1();
      if (!this.streamReachable && !this.control) {
        this.streamReachable = true;
        this.outageReported = false;
        this.refusal = undefined;
        this.emit('connected', this.stream.welcome!);
      }
    } catch (err) {
      this.streamReachable = false;
      const refusal = trackerRefusalOf(this.address, err);
      if (refusal && (refusal.code === 'wrong_key' || refusal.code === 'not_member' || !this.control)) {
        // A full stream says nothing of the control plane, where members hold no connection: only a query-only link is refused by it.
        this.refusal = refusal;
        this.logger.warn(refusal.message);
        this.emit('refused', refusal);
        if (!this.control) {
          const retry = setTimeout(() => void this.diagnose(), DIAGNOSE_EVERY_MS);
          retry.unref();
        }
      } else if (!this.connected) {
        // Said at once (the control plane only gives up after its retransmissions), once per outage.
        if (!this.outageReported) {
          this.outageReported = true;
          const message = `tracker ${this.address} unreachable (${errorMessage(err)}); retrying`;
          this.logger.warn(message);
          this.emit('warning', message);
        }
        if (!this.control) {
          const retry = setTimeout(() => void this.diagnose(), DIAGNOSE_EVERY_MS);
          retry.unref();
        }
      }
    }
  }

  private fallBackToVersion1(): void {
    if (this.legacy || this.stopped) return;
    this.logger.info(`tracker ${this.address} speaks protocol version 1 only: using its session`);
    void this.control?.stop();
    this.control = undefined;
    this.stream.close();
    const legacy = new TrackerClient({
      address: this.address,
      peerId: this.options.peerId,
      listenPort: this.options.listenPort,
      files: this.options.files,
      logger: this.logger,
      transport: this.options.transport,
      ...(this.options.identity ? { identity: this.options.identity } : {}),
      ...(this.options.backoffBaseMs !== undefined ? { backoffBaseMs: this.options.backoffBaseMs } : {}),
      ...(this.options.backoffMaxMs !== undefined ? { backoffMaxMs: this.options.backoffMaxMs } : {}),
    });
    for (const event of ['connected', 'disconnected', 'warning', 'refused'] as const) {
      legacy.on(event, (...args: unknown[]) => {
        if (event === 'refused') this.refusal = legacy.refusal;
        (this.emit as (e: string, ...a: unknown[]) => boolean)(event, ...args);
      });
    }
    this.legacy = legacy;
    legacy.start();
  }

  /** Entries too large for any datagram go over a version-2 stream, which applies them to our membership. */
  private async announceOverStream(batch: AnnounceBatch): Promise<void> {
    try {
      await this.stream.call({ type: 'announce', reset: false, add: batch.add, remove: batch.remove });
    } catch (err) {
      this.logger.warn(`tracker ${this.address}: could not announce ${batch.add.length + batch.remove.length} long names over the stream: ${errorMessage(err)}`);
    }
  }
}

import type { FileAnnouncement } from '../../../shared/protocol/messages.js';
import type { TrackerStatus } from '../../../shared/types.js';
import { EngineError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import type { Transport } from '../wire/transport.js';
import type { NetworkKey } from '../security/network-key.js';
import { TrackerLink } from './tracker-link.js';
import type { ControlClient } from './control-client.js';
import type { RelayOpenBody, RingBody } from '../control/datagram-codec.js';

export interface TrackerStats {
  address: string;
  peers: number;
  generation: number;
}

export interface TrackerPoolOptions {
  /** Read when a tracker is added: the hello carries our current id, port (which may depend on where the tracker is) and identity. */
  hello: (address: string) => { peerId: string; listenPort: number; identity: PeerIdentity | undefined };
  files: () => FileAnnouncement[];
  logger: Logger;
  transport: Transport;
  /** Seals the control plane's datagrams (undefined: open mode). */
  networkKey: NetworkKey | undefined;
  backoff?: { baseMs: number; maxMs: number } | undefined;
  onStatus: (status: TrackerStatus) => void;
  onWarning: (message: string) => void;
  onRing?: ((ring: RingBody, via: ControlClient) => void) | undefined;
  /** We relay for other members: every JOIN says so, and sessions the trackers make come here. */
  offersRelay?: boolean;
  onRelayOpen?: ((open: RelayOpenBody) => void) | undefined;
  /** Owner-signed revocations a tracker passed on (§22.3). */
  onRevoked?: ((entries: Buffer[]) => void) | undefined;
  /** Our member certificate, from a tracker that turned management on (§22.4). */
  onCertificate?: ((certificate: Buffer, ownerKey: Buffer) => void) | undefined;
}

/**
 * The engine's tracker connections: which trackers we talk to, whether any
 * answers, and why none does. Listing and discovery ask it for connected clients.
 */
export class TrackerPool {
  private readonly clients: TrackerLink[] = [];

  constructor(private readonly options: TrackerPoolOptions) {}

  /** Every configured client, connected or not. */
  all(): readonly TrackerLink[] {
    return this.clients;
  }

  connected(): TrackerLink[] {
    return this.clients.filter((t) => t.connected);
  }

  addresses(): string[] {
    return this.clients.map((t) => t.address);
  }

  add(address: string): void {
    const hello = this.options.hello(address);
    const client = new TrackerLink({
      address,
      peerId: hello.peerId,
      listenPort: hello.listenPort,
      files: this.options.files,
      logger: this.options.logger,
      transport: this.options.transport,
      networkKey: this.options.networkKey,
      onRing: this.options.onRing,
      offersRelay: this.options.offersRelay === true,
      onRelayOpen: this.options.onRelayOpen,
      onRevoked: this.options.onRevoked,
      onCertificate: this.options.onCertificate,
      ...(hello.identity ? { identity: hello.identity } : {}),
      ...(this.options.backoff ? { backoffBaseMs: this.options.backoff.baseMs, backoffMaxMs: this.options.backoff.maxMs } : {}),
    });
    client.on('connected', () => {
      this.options.logger.info(`connected to tracker ${client.address}`);
      const seen = seenAs(client);
      // What others dial: behind a NAT, the router's public address (and, unmapped, a port nobody can reach).
      if (seen.seenAs) this.options.logger.info(`tracker ${client.address} lists this peer at ${seen.seenAs}`);
      this.options.onStatus({ address: client.address, connected: true, ...seen });
    });
    client.on('disconnected', () => this.options.onStatus({ address: client.address, connected: false }));
    client.on('refused', (problem) => this.options.onStatus({ address: client.address, connected: false, problem }));
    client.on('warning', (m) => this.options.onWarning(m));
    this.clients.push(client);
    client.start();
  }

  /** Replaces the tracker list, keeping connections to trackers that stay. */
  set(addresses: string[], reconnectAll = false): void {
    const wanted = [...new Set(addresses)];
    for (const client of [...this.clients]) {
      if (reconnectAll || !wanted.includes(client.address)) {
        this.clients.splice(this.clients.indexOf(client), 1);
        void client.stop();
        this.options.onStatus({ address: client.address, connected: false });
      }
    }
    for (const address of wanted) {
      if (!this.clients.some((t) => t.address === address)) this.add(address);
    }
  }

  statuses(): TrackerStatus[] {
    return this.clients.map((t) => ({ address: t.address, connected: t.connected, ...(t.refusal ? { problem: t.refusal } : {}), ...seenAs(t) }));
  }

  /** Tells every tracker our file set changed. */
  filesChanged(): void {
    for (const client of this.clients) client.filesChanged();
  }

  /** The refusal of a tracker (wrong key first, then full), when no tracker is connected: the cause to report instead of "unreachable". */
  refusal(clients: readonly TrackerLink[] = this.clients): EngineError | undefined {
    if (clients.some((t) => t.connected)) return undefined;
    const refusals = clients.flatMap((t) => (t.refusal ? [t.refusal] : []));
    const first = refusals.find((r) => r.code === 'wrong_key') ?? refusals.find((r) => r.code === 'not_member') ?? refusals[0];
    return first && new EngineError(first.code, first.message);
  }

  /**
   * Waits until at least one tracker (of `addresses`, when given) is connected;
   * fails at once when every one refused us (wrong key, full).
   */
  async waitForAny(timeoutMs: number, addresses?: string[], signal?: AbortSignal): Promise<void> {
    const clients = addresses ? this.clients.filter((t) => addresses.includes(t.address)) : this.clients;
    if (clients.length === 0) throw new EngineError('tracker_unreachable', 'no tracker configured');
    await Promise.any(clients.map((t) => t.waitConnected(timeoutMs, signal))).catch(() => {
      throw this.refusal(clients) ?? new EngineError('tracker_unreachable', `no tracker answered within ${timeoutMs / 1000} s (${clients.map((t) => t.address).join(', ')})`);
    });
  }

  /** Waits until every connected tracker has our current file set. */
  async flush(): Promise<void> {
    await Promise.all(this.clients.map((t) => t.flush()));
  }

  /** Asks every connected tracker for its figures: peers online and listing generation. */
  async stats(): Promise<TrackerStats[]> {
    const out: TrackerStats[] = [];
    await Promise.all(
      this.clients.map(async (t) => {
        const stats = await t.refreshStats().catch(() => undefined);
        if (stats) out.push({ address: t.address, ...stats });
      }),
    );
    return out;
  }

  async stop(): Promise<void> {
    await Promise.all(this.clients.map((t) => t.stop()));
  }
}

/** The address a connected tracker lists this peer at, when it said (v2 WELCOME, v1 welcome). */
function seenAs(link: TrackerLink): { seenAs?: string; reachable?: boolean } {
  const seen = link.connected ? link.observedAddress : undefined;
  if (!seen || seen.port === 0) return {};
  const dialled = link.controlClient?.reachableByDial;
  return { seenAs: seen.host.includes(':') ? `[${seen.host}]:${seen.port}` : `${seen.host}:${seen.port}`, ...(dialled === undefined ? {} : { reachable: dialled }) };
}

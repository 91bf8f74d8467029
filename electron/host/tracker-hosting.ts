import path from 'node:path';
import type { HostedTracker } from '../../shared/ipc/contract.js';
import { errorMessage, type Logger, MemberRegistry, type NetworkKey, PeerIdentity, TrackerServer } from '../engine/api.js';
import { machineAddresses } from './machine-addresses.js';
import { TrackerPortMapping } from './tracker-port-mapping.js';

export interface TrackerHostingOptions {
  dataDir: string;
  bindHost: string | undefined;
  logger: Logger;
  /** Asked at each start: the key can change between starts (undefined: open mode). */
  networkKey: () => NetworkKey | undefined;
  /** Asked at each start: whether to ask the router to forward the tracker's port (the UPnP setting). */
  mapPort?: () => boolean;
  /** The router's public address for the tracker came, changed or went. */
  onPublicAddress?: (address: string | undefined) => void;
}

/**
 * The optional built-in tracker: starting, moving and stopping it, the error
 * of its last failed start (shown beside the setting), and what it adds to
 * the engine's tracker list.
 */
export class TrackerHosting {
  private server: TrackerServer | undefined;
  private mapping: TrackerPortMapping | undefined;
  private identity: PeerIdentity | undefined;
  /** The owner key and the members of the network this tracker manages (docs/PROTOCOL.md §22). */
  membership: MemberRegistry | undefined;
  error: string | undefined;

  constructor(private readonly options: TrackerHostingOptions) {}

  /** The tracker keeps one identity across restarts, so peers that pinned it still trust it. */
  async loadIdentity(): Promise<void> {
    this.identity = await PeerIdentity.load(path.join(this.options.dataDir, 'tracker'));
    this.membership = await MemberRegistry.open(path.join(this.options.dataDir, 'membership'));
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  get port(): number | undefined {
    return this.server?.port;
  }

  /** Whether the member with this id is joined to the hosted tracker now. */
  isOnline(peerId: string): boolean {
    return this.server?.state.peerById(peerId) !== undefined;
  }

  get peerCount(): number | undefined {
    return this.server?.state.peerCount;
  }

  /** Starts the tracker; a failure is kept in `error` and thrown. */
  async start(port: number): Promise<void> {
    try {
      await this.open(port);
    } catch (err) {
      this.error = errorMessage(err);
      throw err;
    }
  }

  /** The new port is bound before the old one closes, so a taken port leaves the tracker where it was. */
  async move(port: number): Promise<void> {
    const previous = this.server;
    const previousMapping = this.mapping;
    await this.open(port);
    await Promise.all([previous?.stop(), previousMapping?.stop()]);
  }

  async stop(): Promise<void> {
    const server = this.server;
    const mapping = this.mapping;
    this.server = undefined;
    this.mapping = undefined;
    await Promise.all([server?.stop(), mapping?.stop()]);
  }

  /** HOST:PORT the router forwards to the tracker (TCP and UDP), while it does. */
  get publicAddress(): string | undefined {
    return this.mapping?.publicAddress;
  }

  /** Same port, new transport (the key changed); a failure is only recorded. */
  async restart(): Promise<void> {
    if (!this.server) return;
    const port = this.server.port;
    await this.stop();
    await this.start(port).catch(() => {});
  }

  /**
   * Turns hosting on or off. When it is on already, only an explicit `port`
   * different from the current one moves it.
   */
  async setEnabled(enabled: boolean, port: number | undefined, savedPort: number): Promise<void> {
    if (enabled) {
      const wanted = port ?? savedPort;
      if (this.server && this.server.port !== wanted && port !== undefined) await this.move(wanted);
      else if (!this.server) await this.start(wanted);
    } else {
      await this.stop();
    }
    this.error = undefined;
  }

  /** The configured trackers, with the hosted one first when it runs. */
  effectiveTrackers(configured: string[]): string[] {
    const list = [...configured];
    if (this.server) list.unshift(`127.0.0.1:${this.server.port}`);
    return [...new Set(list)];
  }

  info(savedPort: number): HostedTracker {
    const port = this.server?.port ?? savedPort;
    return {
      running: this.server !== undefined,
      port,
      addresses: [...machineAddresses().map((a) => `${a}:${port}`), ...(this.publicAddress ? [this.publicAddress] : [])],
      peers: this.server?.state.peerCount ?? 0,
      ...(this.error ? { error: this.error } : {}),
    };
  }

  private async open(port: number): Promise<void> {
    const networkKey = this.options.networkKey();
    const tracker = new TrackerServer({
      port,
      host: this.options.bindHost,
      logger: this.options.logger,
      networkKey,
      // Managed membership needs a key: in open mode there is nothing to keep anyone out with.
      membership: networkKey ? this.membership : undefined,
      ...(this.identity ? { identity: this.identity } : {}),
    });
    await tracker.start();
    this.server = tracker;
    this.error = undefined;
    if (this.options.mapPort?.()) {
      this.mapping = new TrackerPortMapping(this.options.logger, (address) => this.options.onPublicAddress?.(address));
      this.mapping.start(tracker.port);
    }
  }
}

import { EventEmitter } from 'node:events';
import type { Logger } from '../logger.js';
import { PortMapping, type MappedAddress } from './port-mapping.js';
import { isLocalOrLanAddress } from './upnp-gateway.js';

/** How long a dial that needs to know whether we can be reached waits for the router's answer. */
const MAPPING_WAIT_MS = 4000;

export interface RouterPortEvents {
  mapped: [MappedAddress];
  /** The port trackers beyond the router should list changed: join them again. */
  changed: [];
}

/**
 * The engine's port mapping: asks the router to forward the peer port (in the background, since
 * discovery takes seconds where no router answers), follows renewals and losses, and says which
 * port a tracker should list. Moving to another port drops the old mapping first.
 */
export class RouterPort extends EventEmitter<RouterPortEvents> {
  private mapping: PortMapping | undefined;
  private settled: Promise<void> | undefined;
  /** The router's forwarded port when it differs from ours; 0 otherwise. */
  private announcedPort = 0;

  constructor(private readonly logger: Logger) {
    super();
  }

  get current(): MappedAddress | undefined {
    return this.mapping?.current;
  }

  get active(): boolean {
    return this.mapping !== undefined;
  }

  map(port: number): void {
    const mapping = new PortMapping({ logger: this.logger });
    this.mapping = mapping;
    mapping.on('mapped', (mapped) => {
      if (this.mapping !== mapping) return; // a mapping of a port we no longer serve
      // The usual case is the same port: peers dial observed-ip:port and nothing changes. Another port means joining again.
      const next = mapped.port === port ? 0 : mapped.port;
      if (next !== this.announcedPort) {
        this.announcedPort = next;
        this.emit('changed');
      }
      this.emit('mapped', mapped);
    });
    mapping.on('lost', () => {
      if (this.mapping !== mapping || this.announcedPort === 0) return;
      this.announcedPort = 0;
      this.emit('changed');
    });
    this.settled = mapping.start(port).then(
      () => undefined,
      () => undefined,
    );
  }

  /** The peer port moved: the router forwards the old one, so map the new one instead. */
  async remap(port: number): Promise<void> {
    if (!this.mapping) return;
    await this.mapping.stop();
    this.announcedPort = 0;
    this.map(port);
  }

  async stop(): Promise<void> {
    const mapping = this.mapping;
    this.mapping = undefined;
    await mapping?.stop();
  }

  /** Resolves once the mapping under way has an answer either way (at most MAPPING_WAIT_MS). */
  async answered(): Promise<void> {
    if (this.settled) await Promise.race([this.settled, new Promise<void>((resolve) => setTimeout(resolve, MAPPING_WAIT_MS).unref())]);
  }

  /**
   * The port a tracker should list: the router's forwarded port for a tracker beyond the router,
   * ours for one on this machine or the LAN (which sees our LAN address, where the router's port
   * means nothing). A tracker named by a DNS name counts as beyond.
   */
  portFor(trackerAddress: string, ownPort: number): number {
    if (!this.announcedPort) return ownPort;
    const host = trackerAddress.replace(/:\d+$/, '').replace(/^\[|\]$/g, '');
    return isLocalOrLanAddress(host) ? ownPort : this.announcedPort;
  }
}

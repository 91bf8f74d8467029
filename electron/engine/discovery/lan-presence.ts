import { EventEmitter } from 'node:events';
import os from 'node:os';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { DialPeer } from '../peer/peer-source.js';
import type { NetworkKey } from '../security/network-key.js';
import { LanCatalog } from './lan-catalog.js';
import { LanDiscovery, type LanPeer } from './lan-discovery.js';
import type { LocalPeer } from './peer-finder.js';
import type { Options as MulticastDNSOptions } from 'multicast-dns';

export interface LanPresenceOptions {
  networkKey: NetworkKey | undefined;
  logger: Logger;
  self: () => LocalPeer;
  /** Whether we serve (a one-shot -list only browses). */
  serving: boolean;
  dial: DialPeer;
  /** The name other members see (default: this machine's host name). */
  name?: string | undefined;
  /** The port of the tracker this machine hosts, if it hosts one (read at each announcement). */
  trackerPort?: (() => number | undefined) | undefined;
  /** Tests: multicast-dns socket options. */
  mdns?: MulticastDNSOptions;
}

/**
 * This engine on its local network: advertised over mDNS (when it serves), browsing for the
 * other members, and their file lists. One start/stop for the engine; LanDiscovery and
 * LanCatalog do the work.
 */
export class LanPresence extends EventEmitter<{ changed: [] }> {
  private discovery: LanDiscovery | undefined;
  private catalogRef: LanCatalog | undefined;

  constructor(private readonly options: LanPresenceOptions) {
    super();
  }

  async start(): Promise<void> {
    const o = this.options;
    const discovery = new LanDiscovery({
      networkKey: o.networkKey,
      logger: o.logger,
      advert: () => {
        const self = o.self();
        if (!o.serving || !self.peerId || !self.listenPort) return undefined;
        const tracker = o.trackerPort?.();
        return { id: self.peerId, port: self.listenPort, ...(tracker ? { tracker } : {}), name: (o.name ?? os.hostname()).slice(0, 63) || 'peer' };
      },
      ...(o.mdns ? { mdns: o.mdns } : {}),
    });
    discovery.on('peer', () => this.emit('changed'));
    discovery.on('gone', () => this.emit('changed'));
    try {
      await discovery.start();
    } catch (err) {
      // No multicast here (no interface, port refused): the rest of the engine works without it.
      o.logger.warn(`LAN discovery is off: ${errorMessage(err)}`);
      return;
    }
    this.discovery = discovery;
    this.catalogRef = new LanCatalog(discovery, o.self, o.dial, o.logger);
  }

  async stop(): Promise<void> {
    const discovery = this.discovery;
    this.discovery = undefined;
    this.catalogRef = undefined;
    await discovery?.stop();
  }

  /** Members' file lists, while discovery runs. */
  get catalog(): LanCatalog | undefined {
    return this.catalogRef;
  }

  peers(): LanPeer[] {
    return this.discovery?.peers() ?? [];
  }

  /** Waits up to `timeoutMs` for the first member to answer (a one-shot -list or -get without a tracker). */
  async waitForPeers(timeoutMs: number): Promise<LanPeer[]> {
    return this.discovery ? this.discovery.waitForPeers(timeoutMs) : [];
  }

  /** Resolves once the LAN had time to answer our first query. */
  async queried(): Promise<void> {
    await this.discovery?.queried();
  }

  /** Our port, or the tracker we host, changed: tell the LAN at once rather than at the next refresh. */
  announce(): void {
    this.discovery?.announce();
  }
}

export type { LanPeer };

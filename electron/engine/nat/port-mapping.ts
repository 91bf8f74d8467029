import { EventEmitter } from 'node:events';
import net from 'node:net';
import { errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { UpnpError, discoverUpnpGateway, soapAction, type UpnpGatewayInfo } from './upnp-gateway.js';

/** Lease asked for; renewed at half of it. Routers that only take permanent leases (error 725) get 0. */
const LEASE_SECONDS = 3600;
/** Other external ports tried when the router says ours is taken (error 718). */
const ALTERNATIVE_PORTS = 3;
const DESCRIPTION = 'p2pshare';

export interface MappedAddress {
  /** The router's public address and the port it forwards to ours. */
  host: string;
  port: number;
  method: 'upnp';
}

export interface PortMappingOptions {
  logger?: Logger;
  discoveryTimeoutMs?: number;
}

export interface PortMappingEvents {
  mapped: [MappedAddress];
  lost: [string];
}

/**
 * Keeps one TCP port of ours forwarded by the LAN's router (UPnP IGD), renewed before its lease
 * ends and removed on stop. A router without UPnP is normal: start() then resolves undefined and
 * logs it once at info level.
 */
export class PortMapping extends EventEmitter<PortMappingEvents> {
  private gateway: UpnpGatewayInfo | undefined;
  private mapping: MappedAddress | undefined;
  private lease = LEASE_SECONDS;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private starting: Promise<MappedAddress | undefined> | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: PortMappingOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger;
  }

  get current(): MappedAddress | undefined {
    return this.mapping;
  }

  /** Maps `port` (TCP) on the router; the public address, or undefined when there is no UPnP router. */
  start(port: number): Promise<MappedAddress | undefined> {
    this.starting ??= this.mapOnce(port);
    return this.starting;
  }

  private async mapOnce(port: number): Promise<MappedAddress | undefined> {
    this.gateway = await discoverUpnpGateway({
      timeoutMs: this.options.discoveryTimeoutMs,
      signal: this.abort.signal,
      onIgnored: (reason) => this.logger.info(`UPnP: ignored ${reason}`),
    });
    if (!this.gateway || this.stopped) {
      if (!this.gateway && !this.stopped) this.logger.info('UPnP: no router answered; peers behind other NATs may not reach this one directly');
      return undefined;
    }
    try {
      this.mapping = await this.map(port);
    } catch (err) {
      this.logger.warn(`UPnP: the router at ${this.gateway.host} would not forward port ${port}: ${errorMessage(err)}`);
      return undefined;
    }
    this.logger.info(`UPnP: ${this.mapping.host}:${this.mapping.port} forwards to port ${port} (router ${this.gateway.host})`);
    this.scheduleRenewal(port);
    this.emit('mapped', this.mapping);
    return this.mapping;
  }

  /** Ends a search in progress, waits for a mapping being made, and removes the mapping. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.renewTimer);
    await this.starting;
    clearTimeout(this.renewTimer);
    const { gateway, mapping } = this;
    this.mapping = undefined;
    if (!gateway || !mapping) return;
    await soapAction(gateway, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: mapping.port, NewProtocol: 'TCP' }).catch((err: unknown) =>
      this.logger.debug(`UPnP: removing ${mapping.host}:${mapping.port} failed: ${errorMessage(err)}`),
    );
  }

  private async map(port: number, preferred = this.mapping?.port ?? port): Promise<MappedAddress> {
    const gateway = this.gateway!;
    const candidates = [preferred, ...Array.from({ length: ALTERNATIVE_PORTS }, () => 1024 + Math.floor(Math.random() * (65536 - 1024)))];
    let lastError: unknown;
    for (const external of candidates) {
      try {
        await this.addMapping(gateway, external, port);
        const { NewExternalIPAddress: ip } = await soapAction(gateway, 'GetExternalIPAddress', {});
        if (!ip || !net.isIPv4(ip) || ip === '0.0.0.0') throw new UpnpError(`the router reports no usable public address (${JSON.stringify(ip ?? '')})`);
        return { host: ip, port: external, method: 'upnp' };
      } catch (err) {
        lastError = err;
        if (!(err instanceof UpnpError && err.upnpCode === 718)) throw err; // only "port taken" is worth another port
      }
    }
    throw lastError;
  }

  private async addMapping(gateway: UpnpGatewayInfo, external: number, internal: number): Promise<void> {
    const args = { NewRemoteHost: '', NewExternalPort: external, NewProtocol: 'TCP', NewInternalPort: internal, NewInternalClient: gateway.localAddress, NewEnabled: 1, NewPortMappingDescription: DESCRIPTION };
    try {
      await soapAction(gateway, 'AddPortMapping', { ...args, NewLeaseDuration: this.lease });
    } catch (err) {
      // 725 OnlyPermanentLeasesSupported: a lease of 0, removed by stop().
      if (!(err instanceof UpnpError && err.upnpCode === 725)) throw err;
      this.lease = 0;
      await soapAction(gateway, 'AddPortMapping', { ...args, NewLeaseDuration: 0 });
    }
  }

  private scheduleRenewal(port: number): void {
    if (this.lease === 0 || this.stopped) return;
    this.renewTimer = setTimeout(() => void this.renew(port), (this.lease * 1000) / 2);
    this.renewTimer.unref();
  }

  private async renew(port: number): Promise<void> {
    try {
      const before = this.mapping;
      this.mapping = await this.map(port);
      if (before?.host !== this.mapping.host || before.port !== this.mapping.port) this.emit('mapped', this.mapping);
    } catch (err) {
      this.mapping = undefined;
      this.logger.warn(`UPnP: renewing the port mapping failed: ${errorMessage(err)}`);
      this.emit('lost', errorMessage(err));
    }
    this.scheduleRenewal(port);
  }
}

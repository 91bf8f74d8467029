import { EventEmitter } from 'node:events';
import net from 'node:net';
import { errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { NatPmpError, defaultGateway, natPmpExternalAddress, natPmpMap } from './nat-pmp.js';
import { UpnpError, discoverUpnpGateway, isLanAddress, soapAction, type UpnpGatewayInfo } from './upnp-gateway.js';

/** Lease asked for; renewed at half of what the router grants, kept within these bounds (a router may grant anything). */
const LEASE_SECONDS = 3600;
const MIN_RENEW_LEASE_SECONDS = 120;
const MAX_RENEW_LEASE_SECONDS = 86_400;
/** stop() waits at most this long for a search or a mapping in progress. */
const STOP_WAIT_MS = 2000;
/** Other external ports tried when a UPnP router says ours is taken (error 718). */
const ALTERNATIVE_PORTS = 3;
const DESCRIPTION = 'p2pshare';

export type MappingMethod = 'upnp' | 'natpmp';

export interface MappedAddress {
  /** The router's public address and the port it forwards to ours. */
  host: string;
  port: number;
  method: MappingMethod;
}

export interface PortMappingOptions {
  logger?: Logger;
  discoveryTimeoutMs?: number;
  /** Where the IPv4 default gateway is read from (tests); the kernel's routing table otherwise. */
  routeFile?: string;
  /** What to forward (default TCP: the peer port; a hosted tracker maps its UDP control plane too). */
  protocol?: 'TCP' | 'UDP';
}

export interface PortMappingEvents {
  mapped: [MappedAddress];
  lost: [string];
}

/** One router protocol: map (or renew) a port, and remove the mapping. */
interface Mapper {
  readonly method: MappingMethod;
  readonly router: string;
  map(internal: number, preferredExternal: number, leaseSeconds: number): Promise<{ host: string; port: number; lease: number }>;
  unmap(internal: number, external: number): Promise<void>;
}

/**
 * Keeps one TCP (or UDP) port of ours forwarded by the LAN's router, over UPnP IGD or else NAT-PMP,
 * renewed before its lease ends and removed on stop. A router with neither is normal: start()
 * then resolves undefined and logs it once at info level.
 */
export class PortMapping extends EventEmitter<PortMappingEvents> {
  private mapper: Mapper | undefined;
  private mapping: MappedAddress | undefined;
  private lease = LEASE_SECONDS;
  private renewTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  private readonly abort = new AbortController();
  private starting: Promise<MappedAddress | undefined> | undefined;
  private renewing: Promise<void> | undefined;
  private internalPort = 0;
  private readonly logger: Logger;

  constructor(private readonly options: PortMappingOptions = {}) {
    super();
    this.logger = options.logger ?? silentLogger;
  }

  get current(): MappedAddress | undefined {
    return this.mapping;
  }

  /** Maps `port` (TCP) on the router; the public address, or undefined when no router maps ports. */
  start(port: number): Promise<MappedAddress | undefined> {
    this.internalPort = port;
    this.starting ??= this.mapOnce(port);
    return this.starting;
  }

  private async mapOnce(port: number): Promise<MappedAddress | undefined> {
    this.mapper = await this.findMapper(this.abort.signal);
    if (!this.mapper || this.stopped) {
      if (!this.mapper && !this.stopped) this.logger.info('port mapping: no router answered over UPnP or NAT-PMP; peers behind other NATs may not reach this one directly');
      return undefined;
    }
    try {
      await this.map(port);
    } catch (err) {
      if (!this.stopped) this.logger.warn(`port mapping: the router at ${this.mapper.router} would not forward port ${port} (${this.mapper.method}): ${errorMessage(err)}`);
      return undefined;
    }
    const m = this.mapping!;
    if (this.stopped) return undefined;
    const what = this.options.protocol === 'UDP' ? 'UDP port' : 'port';
    this.logger.info(`port mapping: ${m.host}:${m.port} forwards to ${what} ${port} (${m.method}, router ${this.mapper.router})`);
    this.scheduleRenewal(port);
    this.emit('mapped', m);
    return m;
  }

  /** UPnP first (it names the router itself), then NAT-PMP at the default gateway. */
  private async findMapper(signal: AbortSignal): Promise<Mapper | undefined> {
    const igd = await discoverUpnpGateway({ timeoutMs: this.options.discoveryTimeoutMs, signal, onIgnored: (reason) => this.logger.info(`UPnP: ignored ${reason}`) });
    const protocol = this.options.protocol ?? 'TCP';
    if (igd) return upnpMapper(igd, protocol, signal);
    if (this.stopped) return undefined;
    const gateway = await defaultGateway(this.options.routeFile);
    if (!gateway) return undefined;
    const external = await natPmpExternalAddress(gateway, signal).catch((err: unknown) => {
      this.logger.info(`NAT-PMP: ${errorMessage(err)}`);
      return undefined;
    });
    return external ? natPmpMapper(gateway, external, protocol, signal) : undefined;
  }

  /** Ends a search in progress, waits for a mapping being made, and removes the mapping. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    clearTimeout(this.renewTimer);
    // Aborting ends searches and requests at once; the deadline covers whatever would not.
    await Promise.race([Promise.all([this.starting, this.renewing]), new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    clearTimeout(this.renewTimer);
    const { mapper, mapping } = this;
    this.mapping = undefined;
    if (!mapper || !mapping) return;
    await withDeadline(mapper.unmap(this.internalPort, mapping.port), STOP_WAIT_MS).catch((err: unknown) => this.logger.debug(`port mapping: removing ${mapping.host}:${mapping.port} failed: ${errorMessage(err)}`));
  }

  private async map(port: number): Promise<void> {
    const mapper = this.mapper!;
    const got = await mapper.map(port, this.mapping?.port ?? port, LEASE_SECONDS);
    if (!net.isIPv4(got.host) || got.host === '0.0.0.0') throw new UpnpError(`the router reports no usable public address (${JSON.stringify(got.host)})`);
    // Behind a second NAT the router's "public" address is itself private: the mapping reaches no further than the next router.
    if (isLanAddress(got.host)) throw new UpnpError(`the router's own address is ${got.host}, a private one: there is another NAT beyond it`);
    if (!Number.isInteger(got.port) || got.port < 1 || got.port > 65535) throw new UpnpError(`the router granted external port ${got.port}`);
    this.lease = got.lease === 0 ? 0 : Math.min(MAX_RENEW_LEASE_SECONDS, Math.max(MIN_RENEW_LEASE_SECONDS, got.lease));
    this.mapping = { host: got.host, port: got.port, method: mapper.method };
  }

  private scheduleRenewal(port: number): void {
    if (this.lease === 0 || this.stopped) return;
    this.renewTimer = setTimeout(() => {
      this.renewing = this.renew(port);
    }, (this.lease * 1000) / 2);
    this.renewTimer.unref();
  }

  private async renew(port: number): Promise<void> {
    const before = this.mapping;
    try {
      await this.map(port);
      if (this.stopped) return;
      if (before?.host !== this.mapping!.host || before.port !== this.mapping!.port) this.emit('mapped', this.mapping!);
    } catch (err) {
      if (this.stopped) return;
      this.mapping = undefined;
      this.logger.warn(`port mapping: renewing failed: ${errorMessage(err)}`);
      this.emit('lost', errorMessage(err));
    }
    this.scheduleRenewal(port);
  }
}

/** `promise`, or a rejection after `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new UpnpError(`no answer within ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

function upnpMapper(gateway: UpnpGatewayInfo, protocol: 'TCP' | 'UDP', signal: AbortSignal): Mapper {
  let lease = LEASE_SECONDS;
  const add = async (external: number, internal: number) => {
    const args = { NewRemoteHost: '', NewExternalPort: external, NewProtocol: protocol, NewInternalPort: internal, NewInternalClient: gateway.localAddress, NewEnabled: 1, NewPortMappingDescription: DESCRIPTION };
    try {
      await soapAction(gateway, 'AddPortMapping', { ...args, NewLeaseDuration: lease }, signal);
    } catch (err) {
      // 725 OnlyPermanentLeasesSupported: a lease of 0, removed by stop().
      if (!(err instanceof UpnpError && err.upnpCode === 725)) throw err;
      lease = 0;
      await soapAction(gateway, 'AddPortMapping', { ...args, NewLeaseDuration: 0 }, signal);
    }
  };
  return {
    method: 'upnp',
    router: gateway.host,
    async map(internal, preferred) {
      const candidates = [preferred, ...Array.from({ length: ALTERNATIVE_PORTS }, () => 1024 + Math.floor(Math.random() * (65536 - 1024)))];
      let lastError: unknown;
      for (const external of candidates) {
        try {
          await add(external, internal);
          const { NewExternalIPAddress: ip } = await soapAction(gateway, 'GetExternalIPAddress', {}, signal);
          return { host: ip ?? '', port: external, lease };
        } catch (err) {
          lastError = err;
          if (!(err instanceof UpnpError && err.upnpCode === 718)) throw err; // only "port taken" is worth another port
        }
      }
      throw lastError;
    },
    async unmap(_internal, external) {
      await soapAction(gateway, 'DeletePortMapping', { NewRemoteHost: '', NewExternalPort: external, NewProtocol: protocol });
    },
  };
}

function natPmpMapper(gateway: string, externalIp: string, protocol: 'TCP' | 'UDP', signal: AbortSignal): Mapper {
  return {
    method: 'natpmp',
    router: gateway,
    async map(internal, preferred, leaseSeconds) {
      const granted = await natPmpMap(gateway, protocol, internal, preferred, leaseSeconds, signal);
      if (!granted) throw new NatPmpError('the router stopped answering NAT-PMP');
      // The public address may have changed since the first ask (a new DHCP lease upstream).
      const ip = (await natPmpExternalAddress(gateway, signal)) ?? externalIp;
      return { host: ip, port: granted.externalPort, lease: granted.lifetime };
    },
    async unmap(internal) {
      // A stop aborts the shared signal: removal gets its own exchange.
      await natPmpMap(gateway, protocol, internal, 0, 0);
    },
  };
}

import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Answer } from 'dns-packet';
import type { MulticastDNS, Options as MulticastDNSOptions, ResponsePacket } from 'multicast-dns';
import type { Logger } from '../logger.js';
import type { NetworkKey } from '../security/network-key.js';
import { ADVERT_VERSION, advertPayload, isLanSource, LanNames, MAX_NAME_CHARS, type AdvertDrop, type LanAdvert } from './lan-advert.js';

/** How long an advertisement holds (the records' TTL); a peer unseen this long is gone. */
const RECORD_TTL_S = 120;
/** We query and re-announce this often, well inside the TTL. */
const REFRESH_MS = 45_000;
/** Peers remembered at once: a LAN with more members than this is a tracker's job. */
const MAX_PEERS = 256;
/** Members answer a query within 20–120 ms (RFC 6762 §6); after this, silence means nobody is here. */
const QUERY_WINDOW_MS = 500;
/** A malformed-packet reason is logged once per source and reason in this window. */
const LOG_EVERY_MS = 60_000;

export interface LanPeer {
  peerId: string;
  host: string;
  port: number;
  /** Set when that peer hosts a tracker on its machine. */
  trackerPort?: number;
  name?: string;
  seenAt: number;
}

export interface LanDiscoveryOptions {
  networkKey?: NetworkKey | undefined;
  logger: Logger;
  /** Our own advertisement; undefined = browse only (a one-shot -list). */
  advert: () => LanAdvert | undefined;
  /** Overrides multicast-dns's socket options (tests bind elsewhere). */
  mdns?: MulticastDNSOptions;
}

export interface LanDiscoveryEvents {
  peer: [LanPeer];
  gone: [string];
}

/**
 * Finds members on the local network with mDNS/DNS-SD (multicast-dns: raw records, so every field
 * is validated here rather than by a browser library's assumptions). Members both answer queries
 * for the network's service type and announce themselves unasked at start, every REFRESH_MS and
 * with a goodbye at stop. Everything heard passes LanNames.decode and a LAN-source check first.
 */
export class LanDiscovery extends EventEmitter<LanDiscoveryEvents> {
  readonly names: LanNames;
  private mdns: MulticastDNS | undefined;
  private readonly known = new Map<string, LanPeer>();
  private readonly logged = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private waiters: Array<() => void> = [];
  private startedAt = 0;

  constructor(private readonly options: LanDiscoveryOptions) {
    super();
    this.names = new LanNames(options.networkKey);
  }

  async start(): Promise<void> {
    // Loaded only when LAN discovery runs (a CommonJS package).
    const create = createRequire(import.meta.url)('multicast-dns') as (opts?: MulticastDNSOptions) => MulticastDNS;
    const mdns = create({ loopback: true, reuseAddr: true, ...this.options.mdns });
    this.mdns = mdns;
    mdns.on('warning', (err: Error) => this.drop('malformed_packet', '?', err.message));
    mdns.on('error', (err: Error) => this.options.logger.warn(`LAN discovery stopped: ${err.message}`));
    mdns.on('query', (query) => {
      const asked = (query.questions ?? []).some((q) => q && q.name === this.names.service && (q.type === 'PTR' || (q.type as string) === 'ANY'));
      if (asked) this.announce();
    });
    mdns.on('response', (response, rinfo) => this.onResponse(response, rinfo.address));
    await new Promise<void>((resolve) => mdns.once('ready', () => resolve()));
    this.startedAt = Date.now();
    this.query();
    this.announce();
    this.timer = setInterval(() => {
      this.expire();
      this.query();
      this.announce();
    }, REFRESH_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    const mdns = this.mdns;
    this.mdns = undefined;
    if (!mdns) return;
    const advert = this.options.advert();
    if (advert) await new Promise<void>((resolve) => mdns.respond(this.records(advert, 0), () => resolve()));
    await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Members heard within the TTL. */
  peers(): LanPeer[] {
    this.expire();
    return [...this.known.values()];
  }

  /** Resolves once at least one member is known, or after `timeoutMs` (with none). */
  async waitForPeers(timeoutMs: number): Promise<LanPeer[]> {
    if (this.peers().length || !this.mdns) return this.peers();
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
    return this.peers();
  }

  /** Resolves once the first query had time to be answered (or a member already was): who is here is known then. */
  async queried(): Promise<void> {
    await this.waitForPeers(Math.max(0, this.startedAt + QUERY_WINDOW_MS - Date.now()));
  }

  /** Asks the LAN who is there (answers arrive as 'peer' events). */
  query(): void {
    this.mdns?.query({ questions: [{ name: this.names.service, type: 'PTR' }] });
  }

  /** Tells the LAN about us (again): at start, on a query, when our port or tracker changes. */
  announce(): void {
    const advert = this.options.advert();
    if (advert && this.mdns) this.mdns.respond(this.records(advert, RECORD_TTL_S));
  }

  private records(advert: LanAdvert, ttl: number): { answers: Answer[]; additionals: Answer[] } {
    const instance = this.names.instance(advert.id);
    const host = `${instance.split('.')[0]}.local`;
    const addresses = Object.values(os.networkInterfaces()).flat().filter((i) => i && !i.internal && i.family === 'IPv4');
    const name = advert.name?.slice(0, MAX_NAME_CHARS);
    return {
      answers: [{ name: this.names.service, type: 'PTR', ttl, data: instance }],
      additionals: [
        { name: instance, type: 'SRV', ttl, flush: true, data: { port: advert.port, target: host, priority: 0, weight: 0 } },
        { name: instance, type: 'TXT', ttl, flush: true, data: [ADVERT_VERSION, `d=${this.names.encode({ ...advert, ...(name ? { name } : {}) })}`] },
        ...addresses.map((i): Answer => ({ name: host, type: 'A', ttl, flush: true, data: i!.address })),
      ],
    };
  }

  private onResponse(response: ResponsePacket, source: string): void {
    const records = [...(response.answers ?? []), ...(response.additionals ?? [])];
    for (const ptr of records) {
      if (ptr.type !== 'PTR' || ptr.name !== this.names.service || typeof ptr.data !== 'string') continue;
      const instance = ptr.data;
      const txt = records.find((r) => r.type === 'TXT' && r.name === instance);
      // A bare PTR (another responder's cache) is skipped: the TXT comes with the owner's own answer.
      if (txt?.type === 'TXT') this.consider(instance, ptr.ttl ?? 0, txt.data, source);
    }
  }

  private consider(instance: string, ttl: number, txt: unknown, source: string): void {
    const payload = advertPayload(txt);
    if (typeof payload !== 'string') return this.drop(payload.drop, source);
    const advert = this.names.decode(payload);
    if ('drop' in advert) return this.drop(advert.drop, source);
    const self = this.options.advert();
    if (self && advert.id === self.id) return;
    // The instance name must be the one this peer id has, or a member is replaying another's advert under its own name.
    if (instance !== this.names.instance(advert.id)) return this.drop('bad_body', source, 'the instance name is not that peer id\'s');
    if (!isLanSource(source)) return this.drop('not_lan_source', source);
    if (ttl === 0) {
      if (this.known.delete(advert.id)) this.emit('gone', advert.id);
      return;
    }
    if (!this.known.has(advert.id) && this.known.size >= MAX_PEERS) return;
    const peer: LanPeer = {
      peerId: advert.id,
      host: source.startsWith('::ffff:') ? source.slice(7) : source,
      port: advert.port,
      ...(advert.tracker ? { trackerPort: advert.tracker } : {}),
      ...(advert.name ? { name: advert.name } : {}),
      seenAt: Date.now(),
    };
    const before = this.known.get(advert.id);
    this.known.set(advert.id, peer);
    if (!before || before.host !== peer.host || before.port !== peer.port || before.trackerPort !== peer.trackerPort) {
      this.options.logger.debug(`found on this network: ${peer.peerId.slice(0, 8)} at ${peer.host}:${peer.port}${peer.trackerPort ? ` (hosts a tracker on ${peer.trackerPort})` : ''}`);
      this.emit('peer', peer);
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  private drop(reason: AdvertDrop | 'malformed_packet', source: string, detail?: string): void {
    const key = `${source}\0${reason}`;
    const now = Date.now();
    if ((this.logged.get(key) ?? 0) > now - LOG_EVERY_MS) return;
    if (this.logged.size > 1024) this.logged.clear();
    this.logged.set(key, now);
    if (reason === 'malformed_packet') this.options.logger.debug(`ignored a malformed mDNS packet: ${detail ?? 'undecodable'}`);
    else this.options.logger.debug(`ignored an mDNS advertisement from ${source}: ${reason}${detail ? ` (${detail})` : ''}`);
  }

  private expire(): void {
    const cutoff = Date.now() - RECORD_TTL_S * 1000;
    for (const [id, peer] of this.known) {
      if (peer.seenAt < cutoff) {
        this.known.delete(id);
        this.emit('gone', id);
      }
    }
  }
}

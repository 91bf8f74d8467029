import { EventEmitter } from 'node:events';
import { isIPv4 } from 'node:net';
import type DHT from 'bittorrent-dht';
import type { DhtPeer } from 'bittorrent-dht';
import { EngineError, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';
import { parseHostPort } from '../wire/transport.js';
import { dhtInfoHash } from './info-hash.js';

const DEFAULT_REANNOUNCE_MS = 15 * 60_000;
/** After a failed announce (e.g. no nodes yet), try again this much sooner. */
const ANNOUNCE_RETRY_MS = 30_000;
/** We keep announcing at most this many contents. */
const MAX_ANNOUNCED = 10_000;
const DEFAULT_LOOKUP_TIMEOUT_MS = 10_000;
const MAX_LOOKUP_TIMEOUT_MS = 120_000;
/** Peers one lookup returns at most, whatever the DHT sends. */
const MAX_LOOKUP_RESULTS = 200;
const MAX_CONCURRENT_LOOKUPS = 64;
/** Announcements we store for others: bounded in number and forgotten after 30 min (BEP 5). */
const MAX_STORED_PEERS = 10_000;
const STORED_PEER_MAX_AGE_MS = 30 * 60_000;
const NODES_EVENT_DEBOUNCE_MS = 500;
/** DHT noise (stray replies, bad bencode) reaches `warning` at most this often; the rest is debug-logged. */
const MAX_WARNINGS_PER_MINUTE = 10;
const STOP_TIMEOUT_MS = 2000;

export const PUBLIC_BOOTSTRAP = ['router.bittorrent.com:6881', 'router.utorrent.com:6881', 'dht.transmissionbt.com:6881'];

export interface DhtDiscoveryOptions {
  /** UDP port for the DHT; 0 picks a free one. */
  port: number;
  /** Address to bind (IPv4); all interfaces when omitted. */
  host?: string;
  /** 'host:port' nodes to join through, or false to start a new network alone. */
  bootstrap: string[] | false;
  networkKey?: Buffer;
  logger?: Logger;
  reannounceMs?: number;
}

export interface DhtDiscoveryEvents {
  warning: [string];
  nodes: [number];
}

interface Announcement {
  infoHash: Buffer;
  port: number;
  timer: NodeJS.Timeout | undefined;
  inFlight: boolean;
}

/**
 * Trackerless discovery over the BitTorrent Mainline DHT (bittorrent-dht does
 * the protocol): announces which contents we serve on which TCP port, and
 * finds the peers that announce a content.
 */
export class DhtDiscovery extends EventEmitter<DhtDiscoveryEvents> {
  private dht: DHT | undefined;
  private ready: Promise<void> = Promise.resolve();
  private readonly announced = new Map<string, Announcement>();
  /** infoHash hex -> the 'peer' handlers of the lookups running for it. */
  private readonly lookups = new Map<string, Set<(peer: DhtPeer) => void>>();
  private readonly finishers = new Set<() => void>();
  private nodesTimer: NodeJS.Timeout | undefined;
  private lastNodeCount = 0;
  private warnWindow = { start: 0, count: 0 };
  private readonly bootstrap: DhtPeer[] | false;
  private readonly logger: Logger;
  private readonly reannounceMs: number;

  constructor(private readonly options: DhtDiscoveryOptions) {
    super();
    if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
      throw new EngineError('invalid_argument', `DHT port must be 0-65535, not ${options.port}`);
    }
    if (options.host !== undefined && !isIPv4(options.host)) throw new EngineError('invalid_argument', `DHT host must be an IPv4 address, not "${options.host}"`);
    if (options.networkKey && options.networkKey.length === 0) throw new EngineError('invalid_argument', 'the network key is empty');
    this.bootstrap = options.bootstrap === false ? false : options.bootstrap.map((entry) => {
      const peer = parseHostPort(entry);
      if (peer.host.includes(':')) throw new EngineError('invalid_argument', `"${entry}": the DHT runs over IPv4 only`);
      return peer;
    });
    this.reannounceMs = options.reannounceMs ?? DEFAULT_REANNOUNCE_MS;
    if (!Number.isFinite(this.reannounceMs) || this.reannounceMs < 1000) throw new EngineError('invalid_argument', 'reannounceMs must be at least 1000');
    this.logger = options.logger ?? silentLogger;
  }

  get nodeCount(): number {
    return this.dht?.nodes.count() ?? 0;
  }

  async start(): Promise<number> {
    if (this.dht) throw new EngineError('invalid_state', 'DHT discovery is already started');
    // Loaded on first use: the DHT library is a large share of start-up time, and most runs don't use it.
    const { default: DhtNode } = await import('bittorrent-dht');
    if (this.dht) throw new EngineError('invalid_state', 'DHT discovery is already started');
    const dht = new DhtNode({ bootstrap: this.bootstrap, maxPeers: MAX_STORED_PEERS, maxAge: STORED_PEER_MAX_AGE_MS });
    this.dht = dht;
    this.ready = new Promise((resolve) => dht.once('ready', resolve));
    dht.on('ready', () => {
      this.logger.debug(`DHT ready with ${this.nodeCount} nodes`);
      // Every later announce and lookup asks the bootstrap nodes again while the table is empty.
      if (this.bootstrap && this.bootstrap.length > 0 && this.nodeCount === 0) this.warn('DHT: no bootstrap node answered; retrying on the next announce or lookup');
      for (const [hash, entry] of this.announced) if (!entry.timer && !entry.inFlight) this.announceNow(hash, entry);
      this.scheduleNodesEvent();
    });
    dht.on('node', () => this.scheduleNodesEvent());
    dht.on('peer', (peer, infoHash) => this.lookups.get(infoHash.toString('hex'))?.forEach((onPeer) => onPeer(peer)));
    // Failures to bind are start()'s to report; k-rpc-socket emits 'error' for nothing else.
    dht.on('warning', (err) => {
      if (err.syscall !== 'bind') this.warn(`DHT: ${errorMessage(err)}`);
    });
    dht.on('error', (err) => {
      if (!dht.listening) return;
      this.logger.error(`DHT socket: ${errorMessage(err)}`);
      this.emit('warning', `DHT socket: ${errorMessage(err)}`);
    });
    try {
      return await new Promise<number>((resolve, reject) => {
        // k-rpc-socket reports EADDRINUSE/EACCES as 'error' and other bind failures as 'warning'.
        const onFail = (err: Error & { code?: string; syscall?: string }) => {
          if (err.code !== 'EADDRINUSE' && err.code !== 'EACCES' && err.syscall !== 'bind') return;
          dht.off('error', onFail).off('warning', onFail);
          const code = err.code === 'EADDRINUSE' ? 'port_in_use' : 'io_error';
          reject(new EngineError(code, `cannot open the DHT on UDP port ${this.options.port}: ${errorMessage(err)}`, { cause: err }));
        };
        dht.prependListener('error', onFail).prependListener('warning', onFail);
        const onListening = () => {
          dht.off('error', onFail).off('warning', onFail);
          resolve(dht.address().port);
        };
        if (this.options.host) dht.listen(this.options.port, this.options.host, onListening);
        else dht.listen(this.options.port, onListening);
      });
    } catch (err) {
      await this.stop();
      throw err;
    }
  }

  async stop(): Promise<void> {
    for (const entry of this.announced.values()) {
      clearTimeout(entry.timer);
      entry.timer = undefined;
      entry.inFlight = false;
    }
    for (const finish of [...this.finishers]) finish();
    clearTimeout(this.nodesTimer);
    this.nodesTimer = undefined;
    this.lastNodeCount = 0;
    const dht = this.dht;
    this.dht = undefined;
    if (!dht) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, STOP_TIMEOUT_MS).unref();
      dht.destroy(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** Keep announcing that we serve `contentHash` on TCP `port` (re-announced every reannounceMs, default 15 min). */
  announce(contentHash: string, port: number): void {
    const infoHash = DhtDiscovery.infoHash(contentHash, this.options.networkKey);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new EngineError('invalid_argument', `cannot announce port ${port}`);
    const existing = this.announced.get(contentHash);
    if (existing?.port === port) return;
    if (existing) clearTimeout(existing.timer);
    else if (this.announced.size >= MAX_ANNOUNCED) throw new EngineError('too_many', `the DHT announces at most ${MAX_ANNOUNCED} contents`);
    const entry: Announcement = { infoHash, port, timer: undefined, inFlight: false };
    this.announced.set(contentHash, entry);
    if (this.dht?.ready) this.announceNow(contentHash, entry); // otherwise on 'ready'
  }

  /** Stop re-announcing; what the DHT stored expires by itself. */
  withdraw(contentHash: string): void {
    clearTimeout(this.announced.get(contentHash)?.timer);
    this.announced.delete(contentHash);
  }

  /** Peers (host, TCP port) announcing contentHash, collected for up to timeoutMs or until `enough` found. */
  async lookup(contentHash: string, options: { timeoutMs?: number; enough?: number } = {}): Promise<Array<{ host: string; port: number }>> {
    const infoHash = DhtDiscovery.infoHash(contentHash, this.options.networkKey);
    const timeoutMs = Math.min(Math.max(options.timeoutMs ?? DEFAULT_LOOKUP_TIMEOUT_MS, 1), MAX_LOOKUP_TIMEOUT_MS);
    const enough = Math.min(Math.max(Math.floor(options.enough ?? MAX_LOOKUP_RESULTS), 1), MAX_LOOKUP_RESULTS);
    const dht = this.dht;
    if (!dht) throw new EngineError('invalid_state', 'DHT discovery is not started');
    if (this.finishers.size >= MAX_CONCURRENT_LOOKUPS) throw new EngineError('busy', `at most ${MAX_CONCURRENT_LOOKUPS} DHT lookups at a time`);
    const key = infoHash.toString('hex');
    const found = new Map<string, { host: string; port: number }>();
    let refused = 0;
    let abort: (() => void) | undefined;
    return new Promise((resolve) => {
      const onPeer = (peer: DhtPeer) => {
        if (!isPlausiblePeer(peer)) {
          refused++;
          return;
        }
        found.set(`${peer.host}:${peer.port}`, { host: peer.host, port: peer.port });
        if (found.size >= enough) finish();
      };
      const finish = () => {
        if (!this.finishers.delete(finish)) return;
        clearTimeout(timer);
        abort?.();
        const handlers = this.lookups.get(key);
        handlers?.delete(onPeer);
        if (handlers?.size === 0) this.lookups.delete(key);
        if (refused > 0) this.warn(`DHT lookup ignored ${refused} invalid peer address(es)`);
        resolve([...found.values()]);
      };
      const timer = setTimeout(finish, timeoutMs).unref();
      this.finishers.add(finish);
      const handlers = this.lookups.get(key) ?? new Set();
      handlers.add(onPeer);
      this.lookups.set(key, handlers);
      void this.ready.then(() => {
        if (!this.finishers.has(finish) || this.dht !== dht) return;
        abort = dht.lookup(infoHash, (err) => {
          if (err) this.logger.debug(`DHT lookup: ${errorMessage(err)}`);
          finish(); // the walk is over: no more peers will come
        });
      });
    });
  }

  /** The 20-byte DHT key for a content: keyed (HMAC) with a network key, namespaced in open mode; see info-hash.ts. */
  static infoHash(contentHash: string, networkKey?: Buffer): Buffer {
    return dhtInfoHash(contentHash, networkKey);
  }

  private announceNow(contentHash: string, entry: Announcement): void {
    const dht = this.dht;
    if (!dht) return;
    entry.inFlight = true;
    dht.announce(entry.infoHash, entry.port, (err) => {
      if (this.dht !== dht || this.announced.get(contentHash) !== entry) return;
      entry.inFlight = false;
      if (err) this.logger.debug(`DHT announce of ${contentHash.slice(0, 12)} failed: ${errorMessage(err)}`);
      const delay = err ? Math.min(ANNOUNCE_RETRY_MS, this.reannounceMs) : this.reannounceMs;
      entry.timer = setTimeout(() => {
        entry.timer = undefined;
        this.announceNow(contentHash, entry);
      }, delay).unref();
    });
  }

  private scheduleNodesEvent(): void {
    if (this.nodesTimer || !this.dht) return;
    this.nodesTimer = setTimeout(() => {
      this.nodesTimer = undefined;
      const count = this.nodeCount;
      if (count === this.lastNodeCount) return;
      this.lastNodeCount = count;
      this.emit('nodes', count);
    }, NODES_EVENT_DEBOUNCE_MS).unref();
  }

  private warn(message: string): void {
    const now = Date.now();
    if (now - this.warnWindow.start > 60_000) this.warnWindow = { start: now, count: 0 };
    if (++this.warnWindow.count > MAX_WARNINGS_PER_MINUTE) return this.logger.debug(message);
    this.logger.warn(message);
    this.emit('warning', message);
  }
}

/** A peer address from the DHT is only data: a unicast IPv4 address and a real port. */
function isPlausiblePeer(peer: DhtPeer): boolean {
  if (!Number.isInteger(peer.port) || peer.port < 1 || peer.port > 65535) return false;
  if (typeof peer.host !== 'string' || !isIPv4(peer.host)) return false;
  const first = Number(peer.host.split('.')[0]);
  return first !== 0 && first < 224; // not 0.0.0.0/8, multicast or reserved/broadcast
}

import { parseDottedQuad } from '../control/ip-address.js';
import { ProtocolError } from '../errors.js';
import { IdIndex } from './compact/id-index.js';
import { EMPTY, IdSpace } from './compact/id-space.js';
import { pairHash, textHash } from './compact/int-hash.js';
import { FILE_CLASS, FILE_COUNT, IPV4, MAX_PEER_SLOTS, PeerTable, PORT } from './compact/peer-table.js';

/**
 * A peer session as the state hands it out. The state keeps only the slot's arrays; whoever
 * owns the session (the server, with its connection) keeps this record, so its strings are
 * ones the connection holds anyway. It stays readable after the session has ended.
 */
export interface PeerRecord {
  /** Unique for the life of the state: tells a live session from an ended one in the same slot. */
  readonly session: number;
  /** Index into the state's peer tables while the session is live. */
  readonly slot: number;
  readonly peerId: string;
  readonly host: string;
  readonly port: number;
}

/**
 * The peer sessions: which slot each holds, its address, and the indexes by peer id and by
 * address that let a restarted peer replace its stale session in O(1). The files a slot
 * announced are PeerFiles' business; a closed session keeps its slot until they are freed.
 */
export class PeerDirectory {
  readonly table = new PeerTable();
  /** Sessions it holds at most, leaving ones included until their files are freed. */
  readonly maxPeers: number;
  /** Hosts that are not canonical dotted IPv4 (IPv6, names in tests), by slot. */
  private readonly hostText = new Map<number, string>();
  private readonly slots = new IdSpace();
  private live = 0;
  private nextSession = 1;
  private readonly byPeerId = new IdIndex((slot) => this.table.idHash(slot));
  private readonly byAddress = new IdIndex((slot) => this.addressHash(slot));

  constructor(maxPeers = MAX_PEER_SLOTS) {
    if (!(Number.isInteger(maxPeers) && maxPeers > 0 && maxPeers <= MAX_PEER_SLOTS)) throw new RangeError(`maxPeers must be an integer from 1 to ${MAX_PEER_SLOTS}`);
    this.maxPeers = maxPeers;
  }

  /** Live sessions. */
  get count(): number {
    return this.live;
  }

  /** The live sessions a new one as `peerId` at host:port replaces: the same id, the same address. */
  replacedBy(peerId: string, host: string, port: number): PeerRecord[] {
    const replaced: PeerRecord[] = [];
    const sameId = this.byPeerId.find(this.table.probeHash(peerId), (s) => this.table.matchesProbe(s));
    if (sameId >= 0) replaced.push(this.recordAt(sameId));
    const sameAddress = this.findByAddress(host, port);
    if (sameAddress >= 0 && sameAddress !== sameId) replaced.push(this.recordAt(sameAddress));
    return replaced;
  }

  /** Starts a session in a free slot, with no files. */
  open(peerId: string, host: string, port: number): PeerRecord {
    const slot = this.slots.take(this.maxPeers);
    if (slot === undefined) throw new ProtocolError('tracker_full', `tracker is full: it holds at most ${this.maxPeers.toLocaleString('en-US')} peers; try again later`);
    this.table.ensure(slot);
    const ip = parseDottedQuad(host);
    if (ip === undefined) this.hostText.set(slot, host);
    const peer: PeerRecord = { session: this.nextSession++, slot, peerId, host, port };
    this.table.setId(slot, peerId);
    this.table.setSession(slot, peer.session);
    this.table.set(slot, IPV4, ip ?? 0);
    this.table.set(slot, PORT, port);
    this.table.set(slot, FILE_COUNT, 0);
    this.table.set(slot, FILE_CLASS, EMPTY);
    this.byPeerId.add(slot);
    this.byAddress.add(slot);
    this.live++;
    return peer;
  }

  /** Ends the session in `slot`: out of the indexes and the count. The slot stays taken until release(). */
  close(slot: number): void {
    this.byPeerId.delete(slot);
    this.byAddress.delete(slot);
    this.table.setSession(slot, 0);
    this.live--;
  }

  /** Gives back the slot of a closed session once its files are freed. */
  release(slot: number): void {
    this.hostText.delete(slot);
    this.slots.release(slot);
  }

  /** The live session of `peerId`, if any. */
  findById(peerId: string): PeerRecord | undefined {
    const slot = this.byPeerId.find(this.table.probeHash(peerId), (s) => this.table.matchesProbe(s));
    return slot >= 0 ? this.recordAt(slot) : undefined;
  }

  /** The live session in `slot`, if it holds one. */
  liveAt(slot: number): PeerRecord | undefined {
    return slot < this.slots.high && this.table.session(slot) > 0 ? this.recordAt(slot) : undefined;
  }

  isLive(peer: PeerRecord): boolean {
    return peer.session > 0 && peer.slot < this.slots.high && this.table.session(peer.slot) === peer.session;
  }

  hostAt(slot: number): string {
    const text = this.hostText.size > 0 ? this.hostText.get(slot) : undefined;
    if (text !== undefined) return text;
    const ip = this.table.get(slot, IPV4);
    return `${ip >>> 24}.${(ip >>> 16) & 255}.${(ip >>> 8) & 255}.${ip & 255}`;
  }

  private recordAt(slot: number): PeerRecord {
    return { session: this.table.session(slot), slot, peerId: this.table.idHex(slot), host: this.hostAt(slot), port: this.table.get(slot, PORT) };
  }

  private findByAddress(host: string, port: number): number {
    const ip = parseDottedQuad(host);
    if (ip !== undefined) {
      return this.byAddress.find(pairHash(ip, port), (s) => this.table.get(s, IPV4) === (ip | 0) && this.table.get(s, PORT) === port && !this.hostText.has(s));
    }
    return this.byAddress.find(pairHash(textHash(host), port), (s) => this.table.get(s, PORT) === port && this.hostText.get(s) === host);
  }

  private addressHash(slot: number): number {
    const text = this.hostText.get(slot);
    return pairHash(text === undefined ? this.table.get(slot, IPV4) >>> 0 : textHash(text), this.table.get(slot, PORT));
  }
}

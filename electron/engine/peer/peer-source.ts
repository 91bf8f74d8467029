import { MAX_HASHES_PER_REPLY, PIECE_SIZE } from '../../../shared/protocol/limits.js';
import { peerReply, type ListingMessage, type MetaMessage, type PeerAddress, type PeerListMessage, type PeerReply } from '../../../shared/protocol/messages.js';
import { EngineError } from '../errors.js';
import { HASH_BYTES, contentHashOf, pieceCount } from '../core/content-hash.js';
import type { FramedConnection } from '../wire/connection.js';
import type { ReceivedPiece } from '../wire/frame-codec.js';
import { clientHandshake } from '../wire/handshake.js';
import type { OpenedSocket, Transport } from '../wire/transport.js';
import type { PeerPath } from '../../../shared/types.js';
import { isLanAddress } from '../nat/upnp-gateway.js';
import type { PeerIdentity } from '../security/peer-identity.js';

const CONNECT_TIMEOUT_MS = 5000;

/** An opened connection to a peer, and how it was reached. */
export interface DialedPeer {
  opened: OpenedSocket;
  path: PeerPath;
}

/** Opens a connection to `address` by whatever path works (PeerDialer); the default dials it directly. */
export type DialPeer = (address: PeerAddress) => Promise<DialedPeer>;

/** Dials `address` directly over `transport`: `lan` for an address on a private network. */
export function directDial(transport: Transport): (address: PeerAddress, signal?: AbortSignal) => Promise<DialedPeer> {
  return async (address, signal) => ({ opened: await transport.connect(address.host, address.port, CONNECT_TIMEOUT_MS, signal), path: isLanAddress(address.host) ? 'lan' : 'direct' });
}

/** A connection to one remote peer that has (or claims to have) the content we want. */
export class PeerSource {
  /** Piece indexes requested from this peer and not answered yet. */
  readonly inflight = new Set<number>();
  /** Verified bytes received from this peer. */
  bytes = 0;
  /** Pieces this peer has, when it holds only part of the content; null = all of them. */
  private have: Buffer | null = null;
  /** A refresh of `have` is scheduled. */
  refreshing = false;
  /** Request id of each piece in flight, to cancel it. */
  private readonly requestIds = new Map<number, number>();

  private constructor(
    readonly address: PeerAddress,
    readonly conn: FramedConnection<PeerReply>,
    readonly path: PeerPath,
  ) {}

  get label(): string {
    return `${this.address.peerId.slice(0, 8)}@${this.address.host}:${this.address.port}`;
  }

  get closed(): boolean {
    return this.conn.closed;
  }

  static async connect(
    address: PeerAddress,
    self: { peerId: string; listenPort: number; identity?: PeerIdentity | undefined },
    dial: DialPeer,
    callTimeoutMs: number,
  ): Promise<PeerSource> {
    const { opened, path } = await dial(address);
    const { conn, welcome } = await clientHandshake(opened, { peerId: self.peerId, listenPort: self.listenPort, agent: 'p2pclient' }, peerReply, {
      idleTimeoutMs: 0,
      callTimeoutMs,
    }, self.identity);
    // The tracker listed this address for a given peer; someone else answering is not that peer.
    // (DHT results come without an id: `peerId: ''`, and whoever proves an identity is that peer.)
    if (address.peerId !== '' && welcome.peerId !== address.peerId) {
      conn.close();
      throw new EngineError('bad_message', `peer at ${address.host}:${address.port} is ${welcome.peerId.slice(0, 8)}, not ${address.peerId.slice(0, 8)}`);
    }
    if (welcome.peerId === self.peerId) {
      conn.close();
      throw new EngineError('bad_message', 'that address is this peer itself');
    }
    conn.on('message', () => {}); // stray messages (remote errors) are handled by close
    return new PeerSource({ ...address, peerId: welcome.peerId }, conn, path);
  }

  /**
   * Fetches size and piece hashes and checks them against the content hash.
   * A mismatch means the peer lied: the caller bans it.
   */
  async fetchMeta(hash: string, expectedSize?: number): Promise<{ size: number; pieceSize: number; pieceHashes: Buffer }> {
    const meta = await this.conn.call<MetaMessage>({ type: 'get-meta', hash });
    // The listing told us the size; a peer claiming another would only make us allocate and fetch for nothing.
    if (expectedSize !== undefined && meta.size !== expectedSize) {
      throw new EngineError('hash_mismatch', `peer ${this.label} claims ${meta.size} bytes, the listing says ${expectedSize}`);
    }
    const count = pieceCount(meta.size, PIECE_SIZE);
    const pieceHashes = Buffer.allocUnsafe(count * HASH_BYTES);
    for (let from = 0; from < count; from += MAX_HASHES_PER_REPLY) {
      const want = Math.min(MAX_HASHES_PER_REPLY, count - from);
      const reply = await this.conn.call<{ hashes: string; from: number }>({ type: 'get-hashes', hash, from, count: want });
      const page = Buffer.from(reply.hashes, 'base64');
      if (reply.from !== from || page.length !== want * HASH_BYTES) {
        throw new EngineError('hash_mismatch', `peer ${this.label} sent a malformed piece-hash list`);
      }
      page.copy(pieceHashes, from * HASH_BYTES);
    }
    if (contentHashOf(meta.size, PIECE_SIZE, pieceHashes) !== hash) {
      throw new EngineError('hash_mismatch', `peer ${this.label} sent piece hashes that do not match the content hash`);
    }
    this.have = meta.have ? Buffer.from(meta.have, 'base64') : null;
    return { size: meta.size, pieceSize: PIECE_SIZE, pieceHashes };
  }

  /** Asks again which pieces a partial holder has (it keeps downloading too). */
  async refreshAvailability(hash: string): Promise<void> {
    const meta = await this.conn.call<MetaMessage>({ type: 'get-meta', hash });
    this.have = meta.have ? Buffer.from(meta.have, 'base64') : null;
  }

  hasPiece(index: number): boolean {
    return this.have === null || ((this.have[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
  }

  /** Size and name of a content, straight from this peer (for a hash found without a listing). */
  async describe(hash: string): Promise<{ size: number; name: string | undefined }> {
    const meta = await this.conn.call<MetaMessage>({ type: 'get-meta', hash });
    return { size: meta.size, name: meta.name };
  }

  /** Peer exchange: the peers this one knows hold `hash`, plus itself when it does. */
  /** One page of the files this peer shares itself (docs/PROTOCOL.md §21). */
  async list(query: string, offset: number, limit: number): Promise<ListingMessage> {
    const reply = await this.conn.call<PeerReply>({ type: 'list', query, offset, limit });
    if (reply.type !== 'listing') throw new EngineError('bad_message', `peer ${this.address.peerId.slice(0, 8)} answered list with ${reply.type}`);
    return reply;
  }

  async exchangePeers(hash: string): Promise<PeerAddress[]> {
    const reply = await this.conn.call<PeerListMessage>({ type: 'get-peers', hash });
    return reply.has ? [this.address, ...reply.peers] : reply.peers;
  }

  requestPiece(hash: string, index: number, timeoutMs: number): Promise<ReceivedPiece> {
    const { id, reply } = this.conn.callPiece({ type: 'request', hash, index }, timeoutMs);
    this.requestIds.set(index, id);
    const forget = () => {
      if (this.requestIds.get(index) === id) this.requestIds.delete(index);
    };
    reply.then(forget, forget);
    return reply;
  }

  /** Withdraws the request for a piece that arrived from another peer (endgame), so it is not sent twice. */
  cancelPiece(index: number): void {
    const id = this.requestIds.get(index);
    if (id !== undefined) this.conn.cancelPiece(id);
  }

  close(): void {
    if (!this.conn.closed) {
      this.conn.send({ type: 'bye' });
      this.conn.socket.end();
      this.conn.close();
    }
  }
}

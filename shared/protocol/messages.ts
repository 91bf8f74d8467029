import { z } from 'zod';
import {
  MAX_FILE_SIZE,
  MAX_FILES_PER_ANNOUNCE,
  MAX_HASHES_PER_REPLY,
  MAX_LIST_PAGE,
  MAX_LOOKUP_PEERS,
  MAX_PATH_BYTES,
  MAX_QUERY_LENGTH,
  MAX_REQUEST_ID,
  MAX_TEXT_LENGTH,
  PIECE_SIZE,
  PROTOCOL_NAME,
} from './limits.js';
import { WIRE_ERROR_CODES } from './errors.js';
import { unsafePathReason } from './path.js';

/**
 * Schemas of every JSON control message. Each side parses incoming frames
 * with the union for its role, so a message that is not listed here, or has a
 * field out of range, never reaches engine code. Unknown fields are dropped,
 * which is what lets a newer peer add optional fields without a version bump.
 */

export const contentHash = z.string().regex(/^[0-9a-f]{64}$/, 'content hash must be 64 lower-case hex digits');
export const peerId = z.string().regex(/^[0-9a-f]{32}$/, 'peer id must be 32 lower-case hex digits');
export const requestId = z.number().int().min(0).max(MAX_REQUEST_ID);
const port = z.number().int().min(0).max(65535);
const text = z.string().max(MAX_TEXT_LENGTH);
export const relativePath = z
  .string()
  .max(MAX_PATH_BYTES)
  .superRefine((value, ctx) => {
    const reason = unsafePathReason(value);
    if (reason) ctx.addIssue({ code: 'custom', message: `unsafe path: ${reason}` });
  });
const fileSize = z.number().int().min(0).max(MAX_FILE_SIZE);
const versions = z.array(z.number().int().min(1).max(65535)).min(1).max(16);

export const fileAnnouncement = z.object({ path: relativePath, size: fileSize, hash: contentHash });
export type FileAnnouncement = z.infer<typeof fileAnnouncement>;

export const peerAddress = z.object({ peerId, host: z.string().min(1).max(64), port: port.min(1) });
export type PeerAddress = z.infer<typeof peerAddress>;

export const listingItem = z.object({
  name: relativePath,
  size: fileSize,
  hash: contentHash,
  peers: z.number().int().min(0),
});
export type ListingItem = z.infer<typeof listingItem>;

export const LIST_SORT_KEYS = ['name', 'size', 'peers', 'hash'] as const;
export type ListSortKey = (typeof LIST_SORT_KEYS)[number];

const errorMessage = z.object({
  type: z.literal('error'),
  id: requestId.optional(),
  code: z.enum(WIRE_ERROR_CODES),
  message: text,
});
export type ErrorMessage = z.infer<typeof errorMessage>;

/**
 * Proof of a peer's identity over TLS: its Ed25519 public key and a signature
 * of the session's exported keying material (docs/PROTOCOL.md §Identity).
 */
const identityProof = z.object({
  key: z.string().regex(/^[A-Za-z0-9+/]{43}=$/, 'identity key must be 32 bytes, base64'),
  sig: z.string().regex(/^[A-Za-z0-9+/]{86}==$/, 'identity signature must be 64 bytes, base64'),
});
export type IdentityProof = z.infer<typeof identityProof>;

/** Owner-signed revocations a member passes on (peer exchange, §22.3): hex entries, the newest first. */
export const MAX_REVOCATIONS_PER_HANDSHAKE = 64;
const revokedEntries = z.array(z.string().regex(/^[0-9a-f]{168}$/)).max(MAX_REVOCATIONS_PER_HANDSHAKE);

const hello = z.object({
  type: z.literal('hello'),
  protocol: z.literal(PROTOCOL_NAME),
  versions,
  peerId,
  /** Port this peer serves on; 0 for a peer that only queries. */
  listenPort: port,
  agent: text.optional(),
  identity: identityProof.optional(),
  /** In a managed network: this identity's member certificate, base64 (docs/PROTOCOL.md §22.1). */
  cert: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(400).optional(),
  revoked: revokedEntries.optional(),
});
export type HelloMessage = z.infer<typeof hello>;

const welcome = z.object({
  type: z.literal('welcome'),
  protocol: z.literal(PROTOCOL_NAME),
  version: z.number().int().min(1),
  peerId,
  /** Tracker only: the address others reach this peer at. */
  address: z.object({ host: z.string().max(64), port }).optional(),
  /** Tracker only: send something at least this often or be dropped. */
  heartbeatMs: z.number().int().min(100).max(600_000).optional(),
  agent: text.optional(),
  identity: identityProof.optional(),
  revoked: revokedEntries.optional(),
});
export type WelcomeMessage = z.infer<typeof welcome>;

// ---- peer → tracker ----
const announce = z.object({
  type: z.literal('announce'),
  id: requestId,
  /** True on the first batch after connecting: forget everything announced before. */
  reset: z.boolean(),
  add: z.array(fileAnnouncement).max(MAX_FILES_PER_ANNOUNCE),
  remove: z.array(relativePath).max(MAX_FILES_PER_ANNOUNCE),
});
const ping = z.object({ type: z.literal('ping'), id: requestId });
const list = z.object({
  type: z.literal('list'),
  id: requestId,
  query: z.string().max(MAX_QUERY_LENGTH),
  offset: z.number().int().min(0).max(2 ** 31),
  limit: z.number().int().min(1).max(MAX_LIST_PAGE),
  sort: z.enum(LIST_SORT_KEYS).optional(),
  descending: z.boolean().optional(),
});
const lookup = z.object({ type: z.literal('lookup'), id: requestId, hash: contentHash });
const bye = z.object({ type: z.literal('bye') });
/**
 * Managed membership (§22.5): what an admin asks of the tracker, which holds the owner key and
 * acts for it. `invite` makes a member invite (its link names the trackers the admin knows),
 * `revoke` revokes `target` (an id, id prefix or name), `members` lists them.
 */
const admin = z.object({
  type: z.literal('admin'),
  id: requestId,
  action: z.enum(['invite', 'revoke', 'members']),
  expiresMs: z.number().int().min(1000).max(366 * 86_400_000).optional(),
  uses: z.number().int().min(1).max(10_000).optional(),
  target: z.string().min(1).max(200).optional(),
});
export type AdminMessage = z.infer<typeof admin>;
export const MAX_MEMBERS_PER_ANSWER = 5000;
const memberEntry = z.object({ id: peerId, name: z.string().max(200), role: z.enum(['member', 'admin']), joinedAt: z.string().max(40) });
const adminResult = z.object({
  type: z.literal('admin-result'),
  id: requestId,
  invite: z.object({ id: z.string().max(40), secret: z.string().max(64), owner: peerId, expiresAt: z.string().max(40) }).optional(),
  revoked: z.object({ id: peerId, name: z.string().max(200) }).optional(),
  members: z.array(memberEntry).max(MAX_MEMBERS_PER_ANSWER).optional(),
});
export type AdminResultMessage = z.infer<typeof adminResult>;

// ---- tracker → peer ----
const ok = z.object({ type: z.literal('ok'), id: requestId });
const pong = z.object({
  type: z.literal('pong'),
  id: requestId,
  /** Tracker only: peers online and a counter that changes whenever the listing does. */
  peers: z.number().int().min(0).optional(),
  generation: z.number().int().min(0).optional(),
});
const listing = z.object({
  type: z.literal('listing'),
  id: requestId,
  total: z.number().int().min(0),
  offset: z.number().int().min(0),
  items: z.array(listingItem).max(MAX_LIST_PAGE),
});
const peers = z.object({
  type: z.literal('peers'),
  id: requestId,
  hash: contentHash,
  size: fileSize,
  peers: z.array(peerAddress).max(MAX_LOOKUP_PEERS),
});

// ---- peer ↔ peer ----
const metaRequest = z.object({ type: z.literal('get-meta'), id: requestId, hash: contentHash });
const meta = z.object({
  type: z.literal('meta'),
  id: requestId,
  hash: contentHash,
  size: fileSize,
  pieceSize: z.literal(PIECE_SIZE),
  /** The responder's name for this content (lets a hash found on the DHT be saved under a name). */
  name: relativePath.optional(),
  /** Present when the responder holds only part of it: which pieces, one bit each (MSB first), base64. */
  have: z.string().max(Math.ceil(MAX_FILE_SIZE / PIECE_SIZE / 8 / 3) * 4 + 4).optional(),
});
const hashesRequest = z.object({
  type: z.literal('get-hashes'),
  id: requestId,
  hash: contentHash,
  from: z.number().int().min(0),
  count: z.number().int().min(1).max(MAX_HASHES_PER_REPLY),
});
const hashes = z.object({
  type: z.literal('hashes'),
  id: requestId,
  hash: contentHash,
  from: z.number().int().min(0),
  /** Piece hashes `from…` concatenated, 32 bytes each, base64. */
  hashes: z.string().max(Math.ceil((MAX_HASHES_PER_REPLY * 32) / 3) * 4),
});
const pieceRequest = z.object({
  type: z.literal('request'),
  id: requestId,
  hash: contentHash,
  index: z.number().int().min(0),
});
const cancel = z.object({ type: z.literal('cancel'), id: requestId });
/** Peer exchange: who else holds this content, as far as you know? */
const getPeers = z.object({ type: z.literal('get-peers'), id: requestId, hash: contentHash });
const peerList = z.object({
  type: z.literal('peer-list'),
  id: requestId,
  hash: contentHash,
  /** The responder itself holds (some of) the content. */
  has: z.boolean(),
  peers: z.array(peerAddress).max(MAX_LOOKUP_PEERS),
});
export type PeerListMessage = z.infer<typeof peerList>;

/**
 * Redeeming a member invite (§22.2), the one exchange on a connection keyed by an invite: the
 * joiner proves its identity key as in `hello` and says what it wants to be called.
 */
const redeem = z.object({ type: z.literal('redeem'), peerId, name: z.string().min(1).max(200), identity: identityProof });
const redeemed = z.object({
  type: z.literal('redeemed'),
  /** The member certificate, base64. */
  certificate: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/).max(400),
  /** The network key, as `p2ptracker -genkey` prints it. */
  networkKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** The owner's public key, base64 (its fingerprint is the invite's OWNER). */
  owner: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
});
export type RedeemMessage = z.infer<typeof redeem>;
export type RedeemedMessage = z.infer<typeof redeemed>;
export const redeemRequest = z.discriminatedUnion('type', [redeem, errorMessage]);
export const redeemReply = z.discriminatedUnion('type', [redeemed, errorMessage]);

export const handshakeMessage = z.discriminatedUnion('type', [hello, errorMessage]);
export const handshakeReply = z.discriminatedUnion('type', [welcome, errorMessage]);
export const trackerRequest = z.discriminatedUnion('type', [announce, ping, list, lookup, admin, bye, errorMessage]);
export const trackerReply = z.discriminatedUnion('type', [ok, pong, listing, peers, adminResult, errorMessage]);
// `list` to a peer: the files it shares itself (how members found on the LAN browse each other, §21).
export const peerRequest = z.discriminatedUnion('type', [metaRequest, hashesRequest, pieceRequest, cancel, getPeers, list, ping, bye, errorMessage]);
export const peerReply = z.discriminatedUnion('type', [meta, hashes, peerList, listing, pong, errorMessage]);

export type TrackerRequest = z.infer<typeof trackerRequest>;
export type TrackerReply = z.infer<typeof trackerReply>;
export type PeerRequest = z.infer<typeof peerRequest>;
export type PeerReply = z.infer<typeof peerReply>;
export type AnnounceMessage = z.infer<typeof announce>;
export type ListMessage = z.infer<typeof list>;
export type ListingMessage = z.infer<typeof listing>;
export type PeersMessage = z.infer<typeof peers>;
export type MetaMessage = z.infer<typeof meta>;
export type PongMessage = z.infer<typeof pong>;

/** Any message that can appear on the wire, for encoders. */
export type WireMessage =
  | z.infer<typeof handshakeMessage>
  | z.infer<typeof handshakeReply>
  | TrackerRequest
  | TrackerReply
  | PeerRequest
  | PeerReply
  | z.infer<typeof redeemRequest>
  | z.infer<typeof redeemReply>;

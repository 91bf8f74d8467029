import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { isContentHash } from '../../../shared/protocol/path.js';
import { EngineError } from '../errors.js';

export const INFOHASH_BYTES = 20;
const KEYED_SALT = Buffer.from('p2pshare dht v1', 'utf8');
const KEYED_INFO = Buffer.from('infohash key', 'utf8');
const OPEN_PREFIX = 'p2pshare dht open v1:';

/**
 * The DHT key under which a content is announced. DHT nodes are strangers: they
 * see every key we announce or look up, while the content hash is what our
 * listings and links show. With a network key, the info-hash is an HMAC under a
 * key derived from it (HKDF, so the network key itself is never used twice), and
 * only members can tell which content, or which network, an info-hash belongs
 * to. Open mode has no secret: it only namespaces the hash (it is neither the
 * content hash nor a real torrent's info-hash), and anyone who knows a content
 * hash can find its peers. Our IP and port are public on the DHT either way.
 */
export function dhtInfoHash(contentHash: string, networkKey?: Buffer): Buffer {
  if (typeof contentHash !== 'string' || !isContentHash(contentHash)) {
    throw new EngineError('invalid_argument', 'content hash must be 64 lower-case hex digits');
  }
  const digest = networkKey
    ? createHmac('sha256', Buffer.from(hkdfSync('sha256', networkKey, KEYED_SALT, KEYED_INFO, 32))).update(contentHash, 'ascii').digest()
    : createHash('sha256').update(OPEN_PREFIX + contentHash, 'ascii').digest();
  return Buffer.from(digest.subarray(0, INFOHASH_BYTES));
}

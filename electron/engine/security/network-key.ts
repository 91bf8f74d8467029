import { hkdfSync, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EngineError, errorMessage } from '../errors.js';

/**
 * The network key: 256 random bits shared by every member of one network,
 * written as 43 base64url characters. It never goes on the wire: TLS 1.3 uses
 * a pre-shared key derived from it with HKDF (docs/SECURITY.md).
 */
export const KEY_BYTES = 32;
const KEY_TEXT = /^[A-Za-z0-9_-]{43}$/;
const PSK_SALT = Buffer.from('p2pshare network key v1', 'utf8');

export type NetworkKey = Buffer & { readonly __networkKey: true };

export function generateNetworkKey(): NetworkKey {
  return randomBytes(KEY_BYTES) as NetworkKey;
}

export function formatNetworkKey(key: Buffer): string {
  return key.toString('base64url');
}

/** Parses a key as printed by `p2ptracker -genkey`; throws a readable error. */
export function parseNetworkKey(text: string): NetworkKey {
  const trimmed = text.trim();
  if (!KEY_TEXT.test(trimmed)) {
    throw new EngineError('invalid_argument', 'a network key is 43 characters of A-Z, a-z, 0-9, "-" and "_"');
  }
  const key = Buffer.from(trimmed, 'base64url');
  // One key, one spelling: the last character carries 4 unused bits that must be zero.
  if (key.length !== KEY_BYTES || formatNetworkKey(key) !== trimmed) throw new EngineError('invalid_argument', 'the network key does not decode to exactly 256 bits');
  return key as NetworkKey;
}

/** The TLS 1.3 external PSK for this network (SHA-256 suites need exactly 32 bytes). */
export function derivePsk(key: NetworkKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key, PSK_SALT, Buffer.from('tls13 external psk', 'utf8'), 32));
}

/** The root key of protocol v2's sealed datagrams (control/datagram-seal.ts derives one key per datagram from it). */
export function deriveDatagramKey(key: NetworkKey): Buffer {
  return Buffer.from(hkdfSync('sha256', key, PSK_SALT, Buffer.from('p2pshare v2 datagram', 'utf8'), 32));
}

export async function readKeyFile(file: string): Promise<NetworkKey> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw new EngineError('io_error', `cannot read the key file ${file}: ${errorMessage(err)}`, { cause: err });
  }
  try {
    return parseNetworkKey(text);
  } catch (err) {
    throw new EngineError('invalid_argument', `${file}: ${errorMessage(err)}`, { cause: err });
  }
}

/** Writes a key readable by its owner only. */
export async function writeKeyFile(file: string, key: NetworkKey): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${formatNetworkKey(key)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
}

/** The per-user key a tracker created, so local clients can use it without flags. */
export function storedKeyPath(baseDataDir: string): string {
  return path.join(baseDataDir, 'network.key');
}

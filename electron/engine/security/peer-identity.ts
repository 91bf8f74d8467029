import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * A peer's long-term identity: an Ed25519 key pair kept in its data dir. Its
 * peer id is the first 16 bytes of SHA-256 of the public key, so an id can't
 * be claimed without the private key. Over TLS each side signs the session's
 * exported keying material, binding the identity to that one connection.
 */
export class PeerIdentity {
  readonly publicKeyRaw: Buffer;
  readonly peerId: string;
  /** In a managed network, this identity's member certificate, sent in every hello (docs/PROTOCOL.md §22.1). */
  certificate: Buffer | undefined;
  /**
   * In a managed network, the revocations this member knows: passed on in every handshake, both
   * ways, and those the other side passes on learned (peer exchange, §22.3).
   */
  revocations: { known(): Buffer[]; learn(entries: Buffer[]): void } | undefined;

  private constructor(private readonly privateKey: KeyObject) {
    this.publicKeyRaw = rawPublicKey(createPublicKey(privateKey));
    this.peerId = peerIdOf(this.publicKeyRaw);
  }

  static generate(): PeerIdentity {
    return new PeerIdentity(generateKeyPairSync('ed25519').privateKey);
  }

  /** Loads the identity stored in `dataDir`, creating it on first use. */
  static async load(dataDir: string): Promise<PeerIdentity> {
    const file = path.join(dataDir, 'identity.pem');
    try {
      return new PeerIdentity(createPrivateKey(await readFile(file, 'utf8')));
    } catch {
      const identity = PeerIdentity.generate();
      await mkdir(dataDir, { recursive: true });
      await writeFile(file, identity.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
      await chmod(file, 0o600);
      return identity;
    }
  }

  /** Writes this identity to `dataDir` (where load() reads it), readable by its owner only. */
  async save(dataDir: string): Promise<void> {
    const file = path.join(dataDir, 'identity.pem');
    await mkdir(dataDir, { recursive: true });
    await writeFile(file, this.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    await chmod(file, 0o600);
  }

  sign(data: Buffer): Buffer {
    return sign(null, data, this.privateKey);
  }
}

export function peerIdOf(publicKeyRaw: Buffer): string {
  return createHash('sha256').update(publicKeyRaw).digest().subarray(0, 16).toString('hex');
}

export function verifyIdentity(publicKeyRaw: Buffer, data: Buffer, signature: Buffer): boolean {
  if (publicKeyRaw.length !== 32 || signature.length !== 64) return false;
  try {
    // From JWK, not DER: Node's DER (SPKI) import costs ~135 µs here against ~20 µs, which made it
    // the largest single cost of a tracker's JOIN (bench/tracker-scale.mjs). Same key either way.
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: publicKeyRaw.toString('base64url') }, format: 'jwk' });
    return verify(null, data, key, signature);
  } catch {
    return false;
  }
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ type: 'spki', format: 'der' });
  return Buffer.from(der.subarray(der.length - 32));
}

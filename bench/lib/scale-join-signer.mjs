// JOIN signing of bench/lib/scale-v2.mjs: makes Ed25519 identities and signs JOINs with the
// project's signJoin, a batch at a time, on the generator's main thread.
// Keys are made from 32 random bytes imported as a JWK, never with generateKeyPairSync and a JWK
// export: in Node 20 that pair deadlocks now and then (a garbage-collected KeyGenJob's destructor
// waits on a mutex that the JWK export holds), which stalled the fill for good. (PKCS#8 DER
// import would avoid it too, but costs ~500 µs a key here against ~45 µs.)
// Request record (REQUEST_BYTES): peer(4) listenPort(2) hasKey(1) cookie(8) nonce(8) d(32) x(32).
// Answer record (ANSWER_BYTES): peer(4) publicKey(32) signature(64) d(32) peerId(16).
import { createPrivateKey, createPublicKey, randomBytes, sign } from 'node:crypto';
import { signJoin } from '../../dist/electron/engine/control/join-proof.js';
import { peerIdOf } from '../../dist/electron/engine/security/peer-identity.js';

export const REQUEST_BYTES = 87;
export const ANSWER_BYTES = 148;

/** A private key from its raw halves (a re-join keeps the peer's identity). */
function importKey(d, x) {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: d.toString('base64url'), x: x.toString('base64url') }, format: 'jwk' });
}

/** A new key pair: OpenSSL derives the public half from `d` (the placeholder x is not used), read back from the public key. */
function newKey() {
  const d = randomBytes(32);
  const placeholder = importKey(d, Buffer.alloc(32));
  const x = Buffer.from(createPublicKey(placeholder).export({ format: 'jwk' }).x, 'base64url');
  return { d, x, privateKey: importKey(d, x) };
}

function signOne(req, at, out, outAt) {
  const hasKey = req[at + 6] === 1;
  let privateKey;
  let d;
  let x;
  let generated = 0;
  if (hasKey) {
    d = req.subarray(at + 23, at + 55);
    x = req.subarray(at + 55, at + 87);
    privateKey = importKey(d, x);
  } else {
    ({ d, x, privateKey } = newKey());
    generated = 1;
  }
  const identity = { peerId: peerIdOf(x), publicKeyRaw: x, sign: (data) => sign(null, data, privateKey) };
  const join = signJoin(identity, { cookie: req.subarray(at + 7, at + 15), clientNonce: req.subarray(at + 15, at + 23), listenPort: req.readUInt16BE(at + 4) });
  req.copy(out, outAt, at, at + 4);
  x.copy(out, outAt + 4);
  join.signature.copy(out, outAt + 36);
  d.copy(out, outAt + 100);
  out.write(identity.peerId, outAt + 132, 16, 'hex');
  return generated;
}

/** Signs every request record of `buf`; returns the answer records and the time it took. */
export function signBatch(buf) {
  const count = buf.length / REQUEST_BYTES;
  const out = Buffer.allocUnsafe(count * ANSWER_BYTES);
  const t0 = performance.now();
  let generated = 0;
  for (let n = 0; n < count; n++) generated += signOne(buf, n * REQUEST_BYTES, out, n * ANSWER_BYTES);
  return { out, ms: performance.now() - t0, generated };
}

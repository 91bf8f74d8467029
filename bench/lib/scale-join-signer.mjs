// JOIN signing of bench/lib/scale-v2.mjs: makes Ed25519 identities and signs JOINs with the
// project's signJoin, a batch at a time. It runs on the generator's main thread: in a worker
// thread (worker_threads, Node 20) the fill stalled for good after a few thousand JOINs, with the
// worker stuck in native code (even process.exit then hung), so the worker is not used.
// Request record (REQUEST_BYTES): peer(4) listenPort(2) hasKey(1) cookie(8) nonce(8) d(32) x(32).
// Answer record (ANSWER_BYTES): peer(4) publicKey(32) signature(64) d(32) peerId(16).
import { createPrivateKey, generateKeyPairSync, sign } from 'node:crypto';
import { signJoin } from '../../dist/electron/engine/control/join-proof.js';
import { peerIdOf } from '../../dist/electron/engine/security/peer-identity.js';

export const REQUEST_BYTES = 87;
export const ANSWER_BYTES = 148;

/** A key pair from its raw halves (a re-join keeps the peer's identity). */
function importKey(d, x) {
  return createPrivateKey({ key: { kty: 'OKP', crv: 'Ed25519', d: d.toString('base64url'), x: x.toString('base64url') }, format: 'jwk' });
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
    privateKey = generateKeyPairSync('ed25519').privateKey;
    const jwk = privateKey.export({ format: 'jwk' });
    d = Buffer.from(jwk.d, 'base64url');
    x = Buffer.from(jwk.x, 'base64url');
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

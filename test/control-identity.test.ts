import { describe, expect, it } from 'vitest';
import { signJoin, signWelcome, verifyJoin, verifyWelcome } from '../electron/engine/control/join-proof.js';
import { DatagramSeal } from '../electron/engine/control/datagram-seal.js';
import { openBody, sealBody, type JoinBody, type WelcomeBody } from '../electron/engine/control/datagram-codec.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { bytes } from './support/datagram-samples.js';

const peer = PeerIdentity.generate();
const other = PeerIdentity.generate();
const tracker = PeerIdentity.generate();
const open = new DatagramSeal(null);

describe('join and welcome proofs', () => {
  it('a signed JOIN verifies after the wire; changing any field or claiming another id does not', () => {
    const join = signJoin(peer, { cookie: bytes(8, 1), clientNonce: bytes(8, 2), listenPort: 4000 });
    const received = openBody(open, sealBody(open, join)) as JoinBody;
    expect(verifyJoin(received)).toBe(true);
    expect(verifyJoin({ ...received, listenPort: 4001 })).toBe(false);
    expect(verifyJoin({ ...received, cookie: bytes(8, 9) })).toBe(false);
    expect(verifyJoin({ ...received, clientNonce: bytes(8, 9) })).toBe(false);
    // Another member's id with our key, or our id with their key and our signature.
    expect(verifyJoin({ ...received, peerId: other.peerId })).toBe(false);
    expect(verifyJoin({ ...received, peerId: other.peerId, publicKey: other.publicKeyRaw })).toBe(false);
  });

  it('a signed WELCOME verifies for the nonce it answers, and not once altered', () => {
    const nonce = bytes(8, 2);
    const welcome = signWelcome(tracker, {
      clientNonce: nonce,
      token: bytes(8, 3),
      intervalMs: 4000,
      observedHost: '127.0.0.5',
      observedPort: 50_000,
      generation: 1,
      peersOnline: 2,
    });
    const received = openBody(open, sealBody(open, welcome)) as WelcomeBody;
    expect(verifyWelcome(received, nonce)).toBe(true);
    expect(verifyWelcome(received, bytes(8, 4))).toBe(false);
    expect(verifyWelcome({ ...received, intervalMs: 1_800_000 }, nonce)).toBe(false);
    expect(verifyWelcome({ ...received, observedHost: '127.0.0.6' }, nonce)).toBe(false);
    expect(verifyWelcome({ ...received, trackerPeerId: peer.peerId }, nonce)).toBe(false);
  });
});

import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { peerReply } from '../shared/protocol/messages.js';
import { certificateProblem, decodeCertificate, issueCertificate } from '../electron/engine/membership/certificate.js';
import { generateNetworkKey } from '../electron/engine/security/network-key.js';
import { PeerIdentity } from '../electron/engine/security/peer-identity.js';
import { clientHandshake } from '../electron/engine/wire/handshake.js';
import { tlsTransport } from '../electron/engine/wire/tls-transport.js';
import { Fixtures, writeRandomFile } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());
const now = () => Math.floor(Date.now() / 1000);

function member(owner: PeerIdentity, name: string, fields: { issuedAt?: number; expiresAt?: number } = {}): PeerIdentity {
  const identity = PeerIdentity.generate();
  identity.certificate = issueCertificate(owner, { role: 'member', peerId: identity.peerId, name, issuedAt: fields.issuedAt ?? now(), ...(fields.expiresAt ? { expiresAt: fields.expiresAt } : {}) }).bytes;
  return identity;
}

describe('member certificates', () => {
  it('bind a peer id to the owner key; any other peer, owner, byte or a past expiry fails, each with its reason', () => {
    const owner = PeerIdentity.generate();
    const alice = member(owner, 'alice ✓');
    const cert = alice.certificate!;
    expect(decodeCertificate(cert)).toMatchObject({ role: 'member', peerId: alice.peerId, name: 'alice ✓' });
    expect(certificateProblem(cert, alice.peerId, owner.publicKeyRaw, now())).toBeUndefined();
    expect(certificateProblem(undefined, alice.peerId, owner.publicKeyRaw, now())).toBe('no member certificate');
    expect(certificateProblem(cert, PeerIdentity.generate().peerId, owner.publicKeyRaw, now())).toBe('the certificate is for another peer');
    expect(certificateProblem(cert, alice.peerId, PeerIdentity.generate().publicKeyRaw, now())).toMatch(/not issued by this network's owner/);
    for (let i = 0; i < cert.length - 64; i++) {
      const bent = Buffer.from(cert);
      bent[i]! ^= 0x01;
      expect(certificateProblem(bent, alice.peerId, owner.publicKeyRaw, now()), `byte ${i}`).toBeDefined();
    }
    const dated = member(owner, 'temp', { issuedAt: now() - 100, expiresAt: now() - 1 });
    expect(certificateProblem(dated.certificate, dated.peerId, owner.publicKeyRaw, now())).toBe('the certificate has expired');
    expect(() => issueCertificate(owner, { role: 'member', peerId: alice.peerId, name: 'x'.repeat(65), issuedAt: now() })).toThrow(RangeError);
    expect(() => issueCertificate(owner, { role: 'member', peerId: alice.peerId, name: 'bad\nname', issuedAt: now() })).toThrow(RangeError);
  });

  it('a serving peer checks for itself: a key holder without a certificate, or with an expired or foreign one, is refused', async () => {
    const key = generateNetworkKey();
    const owner = PeerIdentity.generate();
    const folder = await fx.tempDir();
    await writeRandomFile(path.join(folder, 'members-only.bin'), 64 * 1024);
    // The tracker here is a plain one: the holder must not rely on it to keep strangers out.
    const tracker = await fx.tracker({ networkKey: key });
    const holder = await fx.peer(tracker.port, { networkKey: key, folder, identity: member(owner, 'holder'), ownerKey: owner.publicKeyRaw });
    const transport = tlsTransport(key);
    const hello = async (identity: PeerIdentity) => {
      const opened = await transport.connect('127.0.0.1', holder.engine.port, 5000);
      try {
        const { conn } = await clientHandshake(opened, { peerId: identity.peerId, listenPort: 0 }, peerReply, { idleTimeoutMs: 5000, callTimeoutMs: 5000 }, identity);
        conn.close();
        return 'served';
      } catch (err) {
        opened.socket.destroy();
        return (err as Error).message;
      }
    };
    expect(await hello(member(owner, 'bob'))).toBe('served');
    expect(await hello(PeerIdentity.generate())).toMatch(/no member certificate/);
    expect(await hello(member(owner, 'old', { issuedAt: now() - 100, expiresAt: now() - 1 }))).toMatch(/the certificate has expired/);
    expect(await hello(member(PeerIdentity.generate(), 'elsewhere'))).toMatch(/not issued by this network's owner/);
    // A certificate copied from a member, presented by another identity.
    const thief = PeerIdentity.generate();
    thief.certificate = member(owner, 'victim').certificate;
    expect(await hello(thief)).toMatch(/the certificate is for another peer/);
  });
});

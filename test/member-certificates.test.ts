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

describe('revocations', () => {
  it('only the owner\'s signature counts; a forged, edited or oversized revocation is refused, and none is ever forgotten', async () => {
    const { RevocationList } = await import('../electron/engine/membership/revocation-list.js');
    const { signRevocation } = await import('../electron/engine/membership/revocation.js');
    const { decodeBody, encodeBody } = await import('../electron/engine/control/datagram-codec.js');
    const { DatagramType } = await import('../shared/protocol/datagram.js');
    const { silentLogger } = await import('../electron/engine/logger.js');
    const owner = PeerIdentity.generate();
    const alice = PeerIdentity.generate();
    const dir = await fx.tempDir();
    const file = path.join(dir, 'revocations.json');
    const list = new RevocationList(owner.publicKeyRaw, file, silentLogger);
    // Someone else's key, an edited time, an edited id: ignored.
    expect(list.add([signRevocation(PeerIdentity.generate(), alice.peerId, now())])).toEqual([]);
    const real = signRevocation(owner, alice.peerId, now());
    const editedTime = Buffer.from(real);
    editedTime[19]! ^= 1;
    const editedId = Buffer.from(real);
    editedId[0]! ^= 1;
    expect(list.add([editedTime, editedId, real.subarray(0, 83)])).toEqual([]);
    expect(list.has(alice.peerId)).toBe(false);
    expect(list.add([real])).toEqual([alice.peerId]);
    expect(list.add([real])).toEqual([]); // known: no second cut-off
    await new Promise((r) => setTimeout(r, 100)); // saved in the background
    // A restart loads it again.
    const again = new RevocationList(owner.publicKeyRaw, file, silentLogger);
    await again.load();
    expect(again.has(alice.peerId)).toBe(true);
    // Oversized: 13 entries don't fit the datagram's count, and a handshake carries at most 64 (the schema's cap).
    const body = encodeBody({ type: DatagramType.REVOKED, entries: [real] }).body;
    const thirteen = Buffer.concat([Buffer.from([13]), ...Array.from({ length: 13 }, () => real)]);
    expect(decodeBody(DatagramType.REVOKED, 0, thirteen)).toMatchObject({ drop: 'bad_field' });
    expect(decodeBody(DatagramType.REVOKED, 0, body)).toMatchObject({ entries: [real] });
    const { MAX_REVOCATIONS_PER_HANDSHAKE } = await import('../shared/protocol/messages.js');
    const { handshakeMessage } = await import('../shared/protocol/messages.js');
    const hello = { type: 'hello', protocol: 'p2pshare', versions: [2], peerId: alice.peerId, listenPort: 0 };
    expect(handshakeMessage.safeParse({ ...hello, revoked: Array.from({ length: MAX_REVOCATIONS_PER_HANDSHAKE }, () => real.toString('hex')) }).success).toBe(true);
    expect(handshakeMessage.safeParse({ ...hello, revoked: Array.from({ length: MAX_REVOCATIONS_PER_HANDSHAKE + 1 }, () => real.toString('hex')) }).success).toBe(false);
  });

  it('the tracker\'s registry never un-revokes: an older membership file put back keeps the revoked revoked', async () => {
    const { MemberRegistry } = await import('../electron/engine/membership/member-registry.js');
    const { readFile, writeFile, utimes } = await import('node:fs/promises');
    const dir = await fx.tempDir();
    const registry = await MemberRegistry.open(dir);
    const { id } = await registry.createInvite({ expiresMs: 60_000, uses: 1 });
    const bob = PeerIdentity.generate();
    expect((await registry.redeem(id, bob.peerId, 'bob')).ok).toBe(true);
    const before = await readFile(path.join(dir, 'membership.json'), 'utf8');
    await registry.revoke('bob', 'the owner');
    // A backup from before the revocation is restored over the file.
    await writeFile(path.join(dir, 'membership.json'), before);
    await utimes(path.join(dir, 'membership.json'), new Date(), new Date(Date.now() + 5000));
    registry.watch();
    await new Promise((r) => setTimeout(r, 600));
    registry.unwatch();
    expect(registry.memberRefusal(bob.peerId)).toMatch(/removed from the network/);
    expect(registry.refusal(bob.peerId, undefined)).toMatch(/removed from the network/);
  });
});

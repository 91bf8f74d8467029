import { MAX_REVOCATIONS_PER_HANDSHAKE } from '../../../shared/protocol/messages.js';
import type { Logger } from '../logger.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { certificateProblem, decodeCertificate } from './certificate.js';
import { RevocationList } from './revocation-list.js';

export interface MemberStateOptions {
  /** The network's owner key, when this peer is a member already (it joined with an invite). */
  ownerKey: Buffer | undefined;
  /** Where revocations are kept (the member's data dir); undefined keeps them in memory. */
  revocationsFile: string | undefined;
  /** Close what we serve to a peer that was just revoked; returns how many connections. */
  cut: (peerId: string) => number;
  /** This peer became a member while running (a tracker turned management on, §22.4). */
  adopted?: (membership: { certificate: Buffer; ownerKey: Buffer }) => void;
  logger: Logger;
}

/**
 * The engine's side of managed membership (docs/PROTOCOL.md §22): what it checks before serving
 * a peer (a certificate from the owner, not revoked), the revocations it keeps and passes on in
 * its handshakes, and becoming a member while running.
 */
export class MemberState {
  private ownerKey: Buffer | undefined;
  private revocations: RevocationList | undefined;
  private identity: PeerIdentity | undefined;

  constructor(private readonly options: MemberStateOptions) {
    this.ownerKey = options.ownerKey;
    if (options.ownerKey) this.revocations = new RevocationList(options.ownerKey, options.revocationsFile, options.logger);
  }

  /** Loads what was kept, and lets `identity`'s handshakes pass revocations on and learn them. */
  async attach(identity: PeerIdentity): Promise<void> {
    this.identity = identity;
    await this.revocations?.load();
    this.hook();
  }

  /** Why a peer may not be served, or undefined; everyone is served outside a managed network. */
  problem(peerId: string, certificate: Buffer | undefined): string | undefined {
    if (!this.ownerKey) return undefined;
    if (this.revocations?.has(peerId)) return 'this device was removed from the network';
    return certificateProblem(certificate, peerId, this.ownerKey, Math.floor(Date.now() / 1000));
  }

  /** Owner-signed revocations from a tracker or a peer: the newly revoked are cut off. */
  learn(entries: Buffer[]): void {
    for (const peerId of this.revocations?.add(entries) ?? []) {
      const cut = this.options.cut(peerId);
      this.options.logger.info(`peer ${peerId.slice(0, 8)} was removed from the network${cut ? `: closed its ${cut === 1 ? 'connection' : `${cut} connections`}` : ''}`);
    }
  }

  /**
   * A certificate our tracker issued us when it turned management on (CERTIFICATE, §22.4): kept
   * when it is for this identity and signed by the owner key that came with it.
   */
  adopt(certificate: Buffer, ownerKey: Buffer): void {
    const identity = this.identity;
    // A member already keeps its owner key: a certificate under another is ignored.
    if (!identity || (this.ownerKey && !this.ownerKey.equals(ownerKey))) return;
    const cert = decodeCertificate(certificate);
    if ('error' in cert || certificateProblem(certificate, identity.peerId, ownerKey, Math.floor(Date.now() / 1000))) {
      this.options.logger.warn('ignored a member certificate that is not for this peer or not signed by the owner key sent with it');
      return;
    }
    const held = identity.certificate ? decodeCertificate(identity.certificate) : undefined;
    if (this.ownerKey && held && !('error' in held)) {
      // The same one again (each WELCOME), or an older one: nothing to do.
      if (identity.certificate!.equals(certificate) || cert.issuedAt < held.issuedAt) return;
      identity.certificate = Buffer.from(certificate);
      this.options.logger.info(`this peer's member certificate was renewed: ${cert.name}, ${cert.role}`);
      this.options.adopted?.({ certificate: identity.certificate, ownerKey: this.ownerKey });
      return;
    }
    this.ownerKey = Buffer.from(ownerKey);
    this.revocations = new RevocationList(this.ownerKey, this.options.revocationsFile, this.options.logger);
    identity.certificate = Buffer.from(certificate);
    this.hook();
    this.options.logger.info(`this peer is now a member of the network as ${cert.name}: the tracker turned managed membership on`);
    this.options.adopted?.({ certificate: identity.certificate, ownerKey: this.ownerKey });
  }

  private hook(): void {
    const list = this.revocations;
    if (this.identity && list) this.identity.revocations = { known: () => list.newest(MAX_REVOCATIONS_PER_HANDSHAKE), learn: (entries) => this.learn(entries) };
  }
}

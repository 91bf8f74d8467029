import { readFile } from 'node:fs/promises';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { writeFileAtomic } from '../persist.js';
import { REVOCATION_ENTRY_BYTES } from '../../../shared/protocol/datagram.js';
import { openRevocation } from './revocation.js';

/** Revocations a member keeps; a bound, not a policy (past it the network should move to a new key). */
const MAX_REVOCATIONS = 65_536;

/**
 * A member's copy of the network's revocations (docs/PROTOCOL.md §22.3): only entries the owner
 * signed count, whoever passed them on; kept on disk, so a restart refuses the revoked at once.
 */
export class RevocationList {
  private readonly revoked = new Map<string, Buffer>();
  /** The same entries in the order learned: every handshake passes on the last few without copying them all. */
  private readonly order: Buffer[] = [];

  constructor(
    private readonly ownerKey: Buffer,
    private readonly file: string | undefined,
    private readonly logger: Logger,
  ) {}

  has(peerId: string): boolean {
    return this.revoked.has(peerId);
  }

  /** The last `n` entries learned, newest first: what a handshake passes on. */
  newest(n: number): Buffer[] {
    return this.order.slice(-n).reverse();
  }

  async load(): Promise<void> {
    if (!this.file) return;
    let saved: unknown;
    try {
      saved = JSON.parse(await readFile(this.file, 'utf8'));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn(`cannot read the saved revocations ${this.file}: ${errorMessage(err)}`);
      return;
    }
    const entries = Array.isArray(saved) ? saved.filter((e): e is string => typeof e === 'string' && /^[0-9a-f]{168}$/.test(e)) : [];
    this.take(entries.map((e) => Buffer.from(e, 'hex')));
  }

  /** Adds the entries the owner signed; returns the peer ids that are newly revoked (and saves them). */
  add(entries: Buffer[]): string[] {
    const fresh = this.take(entries);
    if (fresh.length && this.file) {
      const file = this.file;
      void writeFileAtomic(file, `${JSON.stringify(this.order.map((e) => e.toString('hex')))}\n`).catch((err: unknown) => this.logger.warn(`cannot save the revocations to ${file}: ${errorMessage(err)}`));
    }
    return fresh;
  }

  private take(entries: Buffer[]): string[] {
    const fresh: string[] = [];
    for (const entry of entries) {
      // Known ones cost no signature check: every handshake passes the same few on.
      if (entry.length === REVOCATION_ENTRY_BYTES && this.revoked.has(entry.toString('hex', 0, 16))) continue;
      const opened = openRevocation(entry, this.ownerKey);
      if (!opened) {
        this.logger.debug('ignored a revocation the owner did not sign');
        continue;
      }
      if (this.revoked.has(opened.peerId) || this.revoked.size >= MAX_REVOCATIONS) continue;
      const kept = Buffer.from(entry);
      this.revoked.set(opened.peerId, kept);
      this.order.push(kept);
      fresh.push(opened.peerId);
    }
    return fresh;
  }
}

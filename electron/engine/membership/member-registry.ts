import { EventEmitter } from 'node:events';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { EngineError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../persist.js';
import { ProcessLock } from '../process-lock.js';
import { PeerIdentity } from '../security/peer-identity.js';
import { certificateProblem, checkMemberName, issueCertificate, ownerFingerprint, type MemberRole } from './certificate.js';
import { invitePsk, newInviteSecret } from './invite-secret.js';
import { signRevocation } from './revocation.js';

/** How often a running tracker looks for changes other processes made (`-invite`, `-revoke`). */
const WATCH_MS = 250;
/** How long a command waits for another process's update of the same file. */
const LOCK_WAIT_MS = 5000;
/** A used-up or expired invite is kept this long, so its holder hears why, then forgotten. */
const SPENT_KEPT_MS = 30 * 24 * 3600_000;

const member = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  name: z.string().min(1).max(200),
  role: z.enum(['member', 'admin']),
  joinedAt: z.string(),
  certificate: z.string().max(400),
});
const revocation = z.object({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  name: z.string().max(200),
  at: z.string(),
  by: z.string().max(200),
  /** The owner-signed entry members check (revocation.ts), hex. */
  entry: z.string().regex(/^[0-9a-f]{168}$/),
});
const invite = z.object({
  id: z.string().max(40),
  psk: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.string(),
  expiresAt: z.string(),
  usesLeft: z.number().int().min(0),
  used: z.number().int().min(0),
});
const stored = z.object({
  version: z.literal(1),
  /** On once the owner made the first invite: from then a certificate is required. */
  managed: z.boolean(),
  members: z.array(member),
  /** Monotonic: every revocation raises it by one. */
  revocationVersion: z.number().int().min(0),
  revoked: z.array(revocation),
  invites: z.array(invite),
});
type Stored = z.infer<typeof stored>;
export type MemberRecord = z.infer<typeof member>;
export type RevocationRecord = z.infer<typeof revocation>;

export type RedeemResult =
  | { ok: true; certificate: Buffer; member: MemberRecord }
  | { ok: false; code: 'invite_used' | 'invite_expired' | 'not_member'; message: string };

export interface MemberRegistryEvents {
  /** Members revoked since the last look (by this process or another). */
  revoked: [RevocationRecord[]];
  /** Management was just turned on (by this process or another): the members online get certificates. */
  managed: [];
  /** Members whose certificate changed (a new role): each should get its new one. */
  reissued: [{ peerId: string; certificate: Buffer }[]];
  changed: [];
}

/**
 * The tracker's side of managed membership (docs/PROTOCOL.md §22), kept in DATA/membership/:
 * the owner key (owner/identity.pem, never sent) and membership.json (members, revocations,
 * invites). Every change goes through a lock file and an atomic write, so `p2ptracker -invite`
 * and `-revoke` in another process and a running tracker share it; the running one looks for
 * changes every 250 ms and acts on a revocation at once.
 */
export class MemberRegistry extends EventEmitter<MemberRegistryEvents> {
  private state: Stored;
  /** The state's members and revocations by peer id: every hello and JOIN asks (built in apply()). */
  private memberById = new Map<string, MemberRecord>();
  private revokedById = new Map<string, RevocationRecord>();
  private mtimeMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchers = 0;
  private readonly file: string;

  private constructor(
    readonly dir: string,
    readonly owner: PeerIdentity,
    state: Stored,
  ) {
    super();
    this.state = state;
    this.file = path.join(dir, 'membership.json');
  }

  /** The registry in `dir`, creating the owner key on first use. */
  static async open(dir: string): Promise<MemberRegistry> {
    const owner = await PeerIdentity.load(path.join(dir, 'owner'));
    const registry = new MemberRegistry(dir, owner, empty());
    await registry.reload();
    return registry;
  }

  get managed(): boolean {
    return this.state.managed;
  }

  get ownerKey(): Buffer {
    return this.owner.publicKeyRaw;
  }

  get fingerprint(): string {
    return ownerFingerprint(this.owner.publicKeyRaw);
  }

  get revocationVersion(): number {
    return this.state.revocationVersion;
  }

  members(): MemberRecord[] {
    return this.state.members.filter((m) => !this.revokedById.has(m.id));
  }

  /** Every revocation as the owner signed it, for members (REVOKED datagrams). */
  revocationEntries(): Buffer[] {
    return this.state.revoked.map((r) => Buffer.from(r.entry, 'hex'));
  }

  /** The unrevoked members as `-members -json` and an admin's `members` show them. */
  listing(): { id: string; name: string; role: MemberRole; joinedAt: string }[] {
    return this.members().map((m) => ({ id: m.id, name: m.name, role: m.role, joinedAt: m.joinedAt }));
  }

  revokedEntry(peerId: string): RevocationRecord | undefined {
    return this.revokedById.get(peerId);
  }

  /** Why `peerId` may not take part, or undefined when it may (always, in an unmanaged network). */
  refusal(peerId: string, certificate: Buffer | undefined, nowMs = Date.now()): string | undefined {
    if (!this.state.managed) return undefined;
    const revoked = this.revokedEntry(peerId);
    if (revoked) return `this device was removed from the network by ${revoked.by} (${revoked.at})`;
    return certificateProblem(certificate, peerId, this.owner.publicKeyRaw, Math.floor(nowMs / 1000));
  }

  /**
   * Why `peerId` may not join the control plane, or undefined: a certificate was issued here to it
   * and not revoked (a JOIN carries no certificate; the tracker issued them all).
   */
  memberRefusal(peerId: string): string | undefined {
    if (!this.state.managed) return undefined;
    const revoked = this.revokedEntry(peerId);
    if (revoked) return `this device was removed from the network by ${revoked.by} (${revoked.at})`;
    return this.memberById.has(peerId) ? undefined : 'not a member of this network: no certificate was issued to this device';
  }

  /** The TLS PSK of a known invite, used up or not (so a spent one still hears why). */
  invitePsk(id: string): Buffer | undefined {
    const found = this.state.invites.find((i) => i.id === id);
    return found ? Buffer.from(found.psk, 'hex') : undefined;
  }

  async createInvite(options: { expiresMs: number; uses: number }, nowMs = Date.now()): Promise<{ id: string; secret: string; expiresAt: string }> {
    const { id, secret } = newInviteSecret();
    const expiresAt = new Date(nowMs + options.expiresMs).toISOString();
    await this.update((s) => {
      s.managed = true;
      s.invites = s.invites.filter((i) => Date.parse(i.expiresAt) + SPENT_KEPT_MS > nowMs);
      s.invites.push({ id, psk: invitePsk(secret).toString('hex'), createdAt: new Date(nowMs).toISOString(), expiresAt, usesLeft: options.uses, used: 0 });
    });
    return { id, secret, expiresAt };
  }

  /** Redeems invite `id` for `peerId`: a certificate, or a clear refusal. */
  async redeem(id: string, peerId: string, name: string, nowMs = Date.now()): Promise<RedeemResult> {
    let result: RedeemResult = { ok: false, code: 'not_member', message: 'this tracker does not know that invite' };
    await this.update((s) => {
      const found = s.invites.find((i) => i.id === id);
      if (!found) return;
      const revoked = s.revoked.find((r) => r.id === peerId);
      if (revoked) {
        result = { ok: false, code: 'not_member', message: `this device was removed from the network by ${revoked.by} (${revoked.at})` };
        return;
      }
      if (found.usesLeft === 0) {
        result = { ok: false, code: 'invite_used', message: 'invite already used' };
        return;
      }
      if (Date.parse(found.expiresAt) <= nowMs) {
        result = { ok: false, code: 'invite_expired', message: `invite expired (${found.expiresAt})` };
        return;
      }
      const clean = checkMemberName(name);
      const certificate = issueCertificate(this.owner, { role: 'member', peerId, name: clean, issuedAt: Math.floor(nowMs / 1000) }).bytes;
      const record: MemberRecord = { id: peerId, name: clean, role: 'member' as MemberRole, joinedAt: new Date(nowMs).toISOString(), certificate: certificate.toString('base64') };
      s.members = [...s.members.filter((m) => m.id !== peerId), record];
      found.usesLeft--;
      found.used++;
      result = { ok: true, certificate, member: record };
    });
    return result;
  }

  /**
   * Certificates for peers that were members by the key alone when management was turned on
   * (migration, §22.4): named `member 1a2b3c4d` until they join again under a name of their own.
   * Peers revoked or certified already are left out.
   */
  async certifyOnline(peerIds: string[], nowMs = Date.now()): Promise<{ peerId: string; certificate: Buffer }[]> {
    const issued: { peerId: string; certificate: Buffer }[] = [];
    await this.update((s) => {
      for (const peerId of peerIds) {
        if (s.revoked.some((r) => r.id === peerId) || s.members.some((m) => m.id === peerId)) continue;
        const name = `member ${peerId.slice(0, 8)}`;
        const certificate = issueCertificate(this.owner, { role: 'member', peerId, name, issuedAt: Math.floor(nowMs / 1000) }).bytes;
        s.members.push({ id: peerId, name, role: 'member', joinedAt: new Date(nowMs).toISOString(), certificate: certificate.toString('base64') });
        issued.push({ peerId, certificate });
      }
    });
    return issued;
  }

  /** The certificate issued here to `peerId`, unless revoked. */
  certificateOf(peerId: string): Buffer | undefined {
    const found = this.memberById.get(peerId);
    return found && !this.revokedById.has(peerId) ? Buffer.from(found.certificate, 'base64') : undefined;
  }

  /** The role of an unrevoked member, or undefined. */
  roleOf(peerId: string): MemberRole | undefined {
    return this.revokedById.has(peerId) ? undefined : this.memberById.get(peerId)?.role;
  }

  /** Makes a member an admin (or a member again), with a new certificate saying so. */
  async setRole(idOrName: string, role: MemberRole, nowMs = Date.now()): Promise<MemberRecord> {
    let updated: MemberRecord | undefined;
    await this.update((s) => {
      const target = findMember(s, idOrName);
      const certificate = issueCertificate(this.owner, { role, peerId: target.id, name: target.name, issuedAt: Math.floor(nowMs / 1000) }).bytes;
      updated = { ...target, role, certificate: certificate.toString('base64') };
      s.members = s.members.map((m) => (m.id === target.id ? updated! : m));
    });
    return updated!;
  }

  /** Revokes the member with this id (or id prefix of 8+ digits) or name; throws when none or several match. */
  async revoke(idOrName: string, by: string, nowMs = Date.now()): Promise<RevocationRecord> {
    let entry: RevocationRecord | undefined;
    await this.update((s) => {
      const target = findMember(s, idOrName);
      entry = { id: target.id, name: target.name, at: new Date(nowMs).toISOString(), by, entry: signRevocation(this.owner, target.id, Math.floor(nowMs / 1000)).toString('hex') };
      s.revoked.push(entry);
      s.revocationVersion++;
    });
    return entry!;
  }

  /** Looks for changes another process made, every WATCH_MS, until as many unwatch() (a moving tracker overlaps itself). */
  watch(): void {
    this.watchers++;
    if (this.timer) return;
    this.timer = setInterval(() => void this.reload().catch(() => undefined), WATCH_MS);
    this.timer.unref();
  }

  unwatch(): void {
    if (--this.watchers > 0) return;
    this.watchers = 0;
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async reload(): Promise<void> {
    let mtimeMs: number;
    try {
      mtimeMs = (await stat(this.file)).mtimeMs;
    } catch {
      return; // nothing written yet: an unmanaged network
    }
    if (mtimeMs === this.mtimeMs) return;
    this.apply(await this.read(), mtimeMs);
  }

  private async read(): Promise<Stored> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw new EngineError('io_error', `cannot read ${this.file}: ${errorMessage(err)}`, { cause: err });
    }
    const parsed = stored.safeParse(JSON.parse(text));
    if (!parsed.success) throw new EngineError('invalid_argument', `${this.file} is damaged: ${parsed.error.issues[0]?.message ?? 'unreadable'}`);
    return parsed.data;
  }

  private apply(next: Stored, mtimeMs: number): void {
    const before = this.revokedById;
    const previous = this.memberById;
    const wasManaged = this.state.managed;
    // Monotonic: an older file (a restored backup) never un-revokes anyone seen revoked here.
    if (next.revocationVersion < this.state.revocationVersion) {
      const kept = new Set(next.revoked.map((r) => r.id));
      next = { ...next, revoked: [...next.revoked, ...this.state.revoked.filter((r) => !kept.has(r.id))], revocationVersion: this.state.revocationVersion };
    }
    this.state = next;
    this.memberById = new Map(next.members.map((m) => [m.id, m]));
    this.revokedById = new Map(next.revoked.map((r) => [r.id, r]));
    this.mtimeMs = mtimeMs;
    const added = next.revoked.filter((r) => !before.has(r.id));
    if (added.length) this.emit('revoked', added);
    const reissued = next.members.filter((m) => previous.has(m.id) && previous.get(m.id)!.certificate !== m.certificate && !this.revokedById.has(m.id));
    if (reissued.length) this.emit('reissued', reissued.map((m) => ({ peerId: m.id, certificate: Buffer.from(m.certificate, 'base64') })));
    // (At open() no one listens yet: a tracker restarted on a managed network certifies no one.)
    if (next.managed && !wasManaged) this.emit('managed');
    this.emit('changed');
  }

  /** Read, change and write under the lock, so processes sharing the folder never lose each other's change. */
  private async update(change: (s: Stored) => void): Promise<void> {
    const lockFile = path.join(this.dir, 'membership.lock');
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (;;) {
      const lock = await ProcessLock.acquire(lockFile);
      if ('lock' in lock) {
        try {
          const current = await this.read();
          change(current);
          await writeFileAtomic(this.file, `${JSON.stringify(current, null, 2)}\n`);
          this.apply(current, (await stat(this.file)).mtimeMs);
        } finally {
          await lock.lock.release();
        }
        return;
      }
      if ('unlocked' in lock) throw new EngineError('io_error', `cannot change ${this.file}: ${lock.unlocked}`);
      if (Date.now() > deadline) throw new EngineError('busy', `another process (pid ${lock.heldBy}) holds ${lockFile}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}

/** The one unrevoked member `idOrName` names (an id, an id prefix of 8+ digits, a name); throws otherwise. */
function findMember(s: Stored, idOrName: string): MemberRecord {
  const live = s.members.filter((m) => !s.revoked.some((r) => r.id === m.id));
  const key = idOrName.trim();
  const matches = live.filter((m) => m.id === key.toLowerCase() || (key.length >= 8 && m.id.startsWith(key.toLowerCase())) || m.name === key);
  if (matches.length === 0) throw new EngineError('not_found', `no member "${key}" (p2ptracker -members lists them)`);
  if (matches.length > 1) throw new EngineError('invalid_argument', `"${key}" names ${matches.length} members: give the id (p2ptracker -members)`);
  return matches[0]!;
}

function empty(): Stored {
  return { version: 1, managed: false, members: [], revocationVersion: 0, revoked: [], invites: [] };
}

import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { memberInviteLink, parseMemberInvite } from '../../shared/ipc/invite.js';
import { adminRequest, EngineError, loadMemberCard, type MemberCard, MemberRegistry, memberIdentity, readKeyFile, redeemInvite, saveMemberCard, storedKeyPath, writeFileAtomic, writeKeyFile } from '../engine/api.js';
import { existsSync } from 'node:fs';
import { UsageError } from './args.js';
import { joinAddresses } from './join-addresses.js';

/**
 * Managed membership from the command line (docs/PROTOCOL.md §22). The tracker's commands work
 * on its data dir, so they work while a tracker runs on it (it sees the change within 250 ms);
 * the member's `-join` redeems an invite and keeps what it got in its own data dir.
 */

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "24h", "30m", "7d", "90s" → milliseconds. */
export function parseDuration(text: string, option: string): number {
  const m = /^(\d+(?:\.\d+)?)(s|m|h|d)$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNITS[m[2]!]! : NaN;
  if (!(ms >= 1000 && ms <= 366 * UNITS.d!)) throw new UsageError(`${option} takes a duration such as 90s, 30m, 24h or 7d (1 s to 366 d)`);
  return ms;
}

export const membershipDir = (baseDataDir: string) => path.join(baseDataDir, 'membership');
const addressesFile = (baseDataDir: string) => path.join(membershipDir(baseDataDir), 'addresses.json');

/** A running tracker notes where it listens, so that `-invite` from another process names it. */
export async function recordTrackerAddresses(baseDataDir: string, addresses: string[]): Promise<void> {
  await writeFileAtomic(addressesFile(baseDataDir), `${JSON.stringify({ addresses })}\n`);
}

async function trackerAddresses(baseDataDir: string, fallback: { host: string | undefined; port: number }): Promise<string[]> {
  try {
    const saved = JSON.parse(await readFile(addressesFile(baseDataDir), 'utf8')) as { addresses?: unknown };
    if (Array.isArray(saved.addresses) && saved.addresses.length > 0) return saved.addresses.filter((a): a is string => typeof a === 'string').slice(0, 8);
  } catch {
    // No tracker ran on this data dir yet: name the one the options describe.
  }
  return joinAddresses(fallback.host).hosts.slice(0, 8).map((h) => `${h}:${fallback.port}`);
}

/**
 * The member card of `baseDataDir` when it is a member's data dir and not the owner's: then the
 * commands go to its tracker as an admin's requests (§22.5) instead of working on a registry here.
 */
async function adminCard(baseDataDir: string): Promise<MemberCard | undefined> {
  if (existsSync(path.join(membershipDir(baseDataDir), 'owner'))) return undefined;
  return loadMemberCard(baseDataDir);
}

async function asAdmin(card: MemberCard, baseDataDir: string, request: Parameters<typeof adminRequest>[2]) {
  return adminRequest(card, await readKeyFile(storedKeyPath(baseDataDir)), request);
}

/** `p2ptracker -invite [-expires 24h] [-uses N]`: one `p2p://…` line on stdout. */
export async function printInvite(baseDataDir: string, options: { expires: string; uses: number; host: string | undefined; port: number }): Promise<void> {
  const expiresMs = parseDuration(options.expires, '-expires');
  if (!(Number.isInteger(options.uses) && options.uses >= 1 && options.uses <= 10_000)) throw new UsageError('-uses must be a whole number from 1 to 10000');
  const card = await adminCard(baseDataDir);
  if (card) {
    const { invite } = await asAdmin(card, baseDataDir, { action: 'invite', expiresMs, uses: options.uses });
    if (!invite) throw new EngineError('bad_message', 'the tracker made no invite');
    process.stdout.write(`${memberInviteLink({ trackers: card.trackers, id: invite.id, secret: invite.secret, owner: invite.owner })}\n`);
    process.stderr.write(`an invite for ${options.uses === 1 ? 'one member' : `${options.uses} members`}, valid until ${invite.expiresAt}\n`);
    return;
  }
  const registry = await MemberRegistry.open(membershipDir(baseDataDir));
  const invite = await registry.createInvite({ expiresMs, uses: options.uses });
  const trackers = await trackerAddresses(baseDataDir, options);
  process.stdout.write(`${memberInviteLink({ trackers, id: invite.id, secret: invite.secret, owner: registry.fingerprint })}\n`);
  process.stderr.write(`an invite for ${options.uses === 1 ? 'one member' : `${options.uses} members`}, valid until ${invite.expiresAt}; members join with: p2pclient -join LINK -name NAME\n`);
}

/** `p2ptracker -members [-json]`. */
export async function printMembers(baseDataDir: string, json: boolean): Promise<void> {
  // A member's data dir asks the tracker as an admin; the owner's reads its own registry.
  const card = await adminCard(baseDataDir);
  const registry = card ? undefined : await MemberRegistry.open(membershipDir(baseDataDir));
  const members = registry ? registry.listing() : ((await asAdmin(card!, baseDataDir, { action: 'members' })).members ?? []);
  if (json) return void process.stdout.write(`${JSON.stringify(members)}\n`);
  if (registry && !registry.managed) return void process.stdout.write('membership is not managed yet: every holder of the network key is a member (p2ptracker -invite starts managing it)\n');
  if (members.length === 0) return void process.stdout.write('no members yet\n');
  for (const m of members) process.stdout.write(`${m.id}  ${m.role.padEnd(6)}  ${m.joinedAt}  ${m.name}\n`);
}

/** `p2ptracker -revoke ID|NAME`. */
export async function revokeMember(baseDataDir: string, who: string): Promise<void> {
  const card = await adminCard(baseDataDir);
  if (card) {
    const { revoked } = await asAdmin(card, baseDataDir, { action: 'revoke', target: who });
    if (!revoked) throw new EngineError('bad_message', 'the tracker revoked no one');
    process.stdout.write(`revoked ${revoked.name} (${revoked.id})\n`);
    return;
  }
  const registry = await MemberRegistry.open(membershipDir(baseDataDir));
  const entry = await registry.revoke(who, `the owner (${os.userInfo().username}@${os.hostname()})`);
  process.stdout.write(`revoked ${entry.name} (${entry.id})\n`);
}

/** `p2ptracker -make-admin ID|NAME` (the owner's data dir only): that member may invite and revoke too. */
export async function makeAdmin(baseDataDir: string, who: string): Promise<void> {
  if (!existsSync(path.join(membershipDir(baseDataDir), 'owner'))) throw new EngineError('not_admin', 'only the owner makes admins: run this on the tracker\'s data dir');
  const registry = await MemberRegistry.open(membershipDir(baseDataDir));
  const member = await registry.setRole(who, 'admin');
  process.stdout.write(`${member.name} (${member.id}) is an admin now\n`);
}

/** `p2pclient -join INVITE [-name NAME]`: redeems it and keeps the certificate and the key in the data dir. */
export async function joinWithInvite(baseDataDir: string, text: string, name: string | undefined): Promise<void> {
  const invite = parseMemberInvite(text);
  if ('error' in invite) throw new UsageError(`-join: ${invite.error}`);
  const identity = await memberIdentity(baseDataDir);
  const redeemed = await redeemInvite(invite, identity, name ?? os.hostname()).catch((err: unknown) => {
    if (err instanceof EngineError) throw new EngineError(err.code, `cannot join: ${err.message}`, { cause: err });
    throw err;
  });
  await writeKeyFile(storedKeyPath(baseDataDir), redeemed.networkKey);
  await saveMemberCard(baseDataDir, { certificate: redeemed.certificate, ownerKey: redeemed.ownerKey, trackers: [redeemed.tracker, ...invite.trackers.filter((t) => t !== redeemed.tracker)] });
  process.stdout.write(`joined the network through ${redeemed.tracker} as ${name ?? os.hostname()} (${identity.peerId}); the certificate and the key are in ${baseDataDir}\n`);
}

import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { EngineError, errorMessage } from '../errors.js';
import { writeFileAtomic } from '../persist.js';
import { PeerIdentity } from '../security/peer-identity.js';
import { decodeCertificate } from './certificate.js';

/**
 * What a member keeps of its membership (docs/PROTOCOL.md §22), in DATA/member/: the identity
 * its certificate names (identity.pem), the certificate, the owner's public key and the trackers
 * it joined through (membership.json). Every later run with that data dir uses them.
 */
const card = z.object({
  version: z.literal(1),
  certificate: z.string().max(400),
  owner: z.string().max(64),
  trackers: z.array(z.string().max(300)).max(8),
  name: z.string().max(200),
  joinedAt: z.string(),
});

export interface MemberCard {
  identity: PeerIdentity;
  ownerKey: Buffer;
  trackers: string[];
  name: string;
}

const dirOf = (baseDataDir: string) => path.join(baseDataDir, 'member');

/** The identity a member joins with: the one in DATA/member/, made on first use. */
export function memberIdentity(baseDataDir: string): Promise<PeerIdentity> {
  return PeerIdentity.load(dirOf(baseDataDir));
}

/**
 * A peer that became a member while running (§22.4) keeps the identity its certificate names as
 * the member identity, and the membership with it.
 */
export async function adoptMembership(baseDataDir: string, identity: PeerIdentity, fields: { certificate: Buffer; ownerKey: Buffer; trackers: string[] }): Promise<void> {
  await identity.save(dirOf(baseDataDir));
  await saveMemberCard(baseDataDir, fields);
}

export async function saveMemberCard(baseDataDir: string, fields: { certificate: Buffer; ownerKey: Buffer; trackers: string[] }): Promise<void> {
  const cert = decodeCertificate(fields.certificate);
  if ('error' in cert) throw new EngineError('bad_message', `the tracker sent a bad certificate: ${cert.error}`);
  const body = { version: 1 as const, certificate: fields.certificate.toString('base64'), owner: fields.ownerKey.toString('base64'), trackers: fields.trackers, name: cert.name, joinedAt: new Date().toISOString() };
  await writeFileAtomic(path.join(dirOf(baseDataDir), 'membership.json'), `${JSON.stringify(body, null, 2)}\n`);
}

/** The membership kept in `baseDataDir`, with its certificate on the identity; undefined when it has none. */
export async function loadMemberCard(baseDataDir: string): Promise<MemberCard | undefined> {
  const file = path.join(dirOf(baseDataDir), 'membership.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new EngineError('io_error', `cannot read ${file}: ${errorMessage(err)}`, { cause: err });
  }
  const parsed = card.safeParse(JSON.parse(text));
  if (!parsed.success) throw new EngineError('invalid_argument', `${file} is damaged: join again with a new invite`);
  const identity = await memberIdentity(baseDataDir);
  identity.certificate = Buffer.from(parsed.data.certificate, 'base64');
  return { identity, ownerKey: Buffer.from(parsed.data.owner, 'base64'), trackers: parsed.data.trackers, name: parsed.data.name };
}

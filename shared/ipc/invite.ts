/**
 * An invite carries everything a new member needs: the tracker's addresses and the network key,
 * as a link `p2p://HOST:PORT[,HOST:PORT…]#KEY`. The key sits in the fragment so that nothing that
 * handles the link as a URL sends it anywhere. Several addresses are one tracker reached different
 * ways (its LAN addresses, IPv6, the router's public address): the joiner tries them all at once
 * and keeps the first that answers.
 */
export interface Invite {
  /** The first address (what a one-address invite names). */
  tracker: string;
  /** Every address of that tracker, `tracker` first. */
  trackers: string[];
  key: string;
}

/** Addresses one invite may carry. */
export const MAX_INVITE_ADDRESSES = 8;

const KEY = /^[A-Za-z0-9_-]{43}$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function inviteLink(invite: { tracker: string; trackers?: string[]; key: string }): string {
  return `p2p://${(invite.trackers?.length ? invite.trackers : [invite.tracker]).join(',')}#${invite.key}`;
}

/** Accepts the link, or "HOST:PORT[,HOST:PORT…] KEY" as text; returns why not otherwise. */
export function parseInvite(text: string): Invite | { error: string } {
  const trimmed = text.trim();
  let addresses: string | undefined;
  let key: string | undefined;
  const link = /^p2p:\/\/([^#\s/]+)\/?#(\S+)$/.exec(trimmed);
  if (link) {
    addresses = link[1];
    key = link[2];
  } else {
    const parts = trimmed.split(/\s+/);
    if (parts.length === 2) [addresses, key] = parts;
  }
  if (!addresses || !key) return { error: 'Paste an invite link (p2p://HOST:PORT#KEY) or "HOST:PORT KEY".' };
  const trackers = [...new Set(addresses.split(',').filter(Boolean))];
  if (trackers.length === 0) return { error: 'Paste an invite link (p2p://HOST:PORT#KEY) or "HOST:PORT KEY".' };
  if (trackers.length > MAX_INVITE_ADDRESSES) return { error: `An invite names at most ${MAX_INVITE_ADDRESSES} tracker addresses.` };
  for (const tracker of trackers) {
    const hp = HOST_PORT.exec(tracker);
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) return { error: `"${tracker}" is not a HOST:PORT tracker address.` };
  }
  if (!KEY.test(key)) return { error: 'The key in this invite is not a valid network key (43 letters, digits, "-" or "_").' };
  return { tracker: trackers[0]!, trackers, key };
}

/**
 * A member invite (docs/PROTOCOL.md §22.2): `p2p://HOST:PORT[,HOST:PORT…]/join#ID.SECRET.OWNER`.
 * It carries no network key: redeeming it at the tracker (a TLS handshake keyed by SECRET) yields
 * a member certificate and the key. OWNER is the owner key's fingerprint, checked on redeeming.
 */
export interface MemberInvite {
  trackers: string[];
  id: string;
  secret: string;
  owner: string;
}

const INVITE_PART = /^[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{24}\.[0-9a-f]{32}$/;

export function memberInviteLink(invite: MemberInvite): string {
  return `p2p://${invite.trackers.join(',')}/join#${invite.id}.${invite.secret}.${invite.owner}`;
}

export function parseMemberInvite(text: string): MemberInvite | { error: string } {
  const link = /^p2p:\/\/([^#\s/]+)\/join#(\S+)$/.exec(text.trim());
  if (!link) return { error: 'not a member invite: expected p2p://HOST:PORT/join#…' };
  const trackers = [...new Set(link[1]!.split(',').filter(Boolean))];
  if (trackers.length === 0 || trackers.length > MAX_INVITE_ADDRESSES) return { error: `an invite names 1 to ${MAX_INVITE_ADDRESSES} tracker addresses` };
  for (const tracker of trackers) {
    const hp = HOST_PORT.exec(tracker);
    if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) return { error: `"${tracker}" is not a HOST:PORT tracker address` };
  }
  if (!INVITE_PART.test(link[2]!)) return { error: 'the invite is damaged (its secret part is not ID.SECRET.OWNER)' };
  const [id, secret, owner] = link[2]!.split('.') as [string, string, string];
  return { trackers, id, secret, owner };
}

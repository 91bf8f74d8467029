/**
 * An invite carries everything a new member needs: the tracker address and
 * the network key, as a link `p2p://HOST:PORT#KEY`. The key sits in the
 * fragment so that nothing that handles the link as a URL sends it anywhere.
 */
export interface Invite {
  tracker: string;
  key: string;
}

const KEY = /^[A-Za-z0-9_-]{43}$/;
const HOST_PORT = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/;

export function inviteLink(invite: Invite): string {
  return `p2p://${invite.tracker}#${invite.key}`;
}

/** Accepts the link, or "HOST:PORT KEY" as text; returns why not otherwise. */
export function parseInvite(text: string): Invite | { error: string } {
  const trimmed = text.trim();
  let tracker: string | undefined;
  let key: string | undefined;
  const link = /^p2p:\/\/([^#\s/]+)\/?#(\S+)$/.exec(trimmed);
  if (link) {
    tracker = link[1];
    key = link[2];
  } else {
    const parts = trimmed.split(/\s+/);
    if (parts.length === 2) [tracker, key] = parts;
  }
  if (!tracker || !key) return { error: 'Paste an invite link (p2p://HOST:PORT#KEY) or "HOST:PORT KEY".' };
  const hp = HOST_PORT.exec(tracker);
  if (!hp || Number(hp[2]) < 1 || Number(hp[2]) > 65535) return { error: `"${tracker}" is not a HOST:PORT tracker address.` };
  if (!KEY.test(key)) return { error: 'The key in this invite is not a valid network key (43 letters, digits, "-" or "_").' };
  return { tracker, key };
}

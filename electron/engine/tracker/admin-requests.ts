import { MAX_MEMBERS_PER_ANSWER, type AdminMessage, type TrackerRequest } from '../../../shared/protocol/messages.js';
import { ProtocolError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { MemberRegistry } from '../membership/member-registry.js';
import type { FramedConnection } from '../wire/connection.js';

/** An invite made for an admin is valid this long unless it says otherwise. */
const DEFAULT_INVITE_MS = 24 * 3_600_000;

/**
 * What an admin asks of the tracker (docs/PROTOCOL.md §22.5): the tracker holds the owner key
 * and acts for it. `peerId` proved its key and its certificate at hello; its role is the
 * registry's word, so a member made admin (or back) is taken as such at once.
 */
export function answerAdmin(registry: MemberRegistry | undefined, peerId: string, conn: FramedConnection<TrackerRequest>, message: AdminMessage, logger: Logger): void {
  if (!registry?.managed) throw new ProtocolError('not_admin', 'this tracker does not manage its members');
  if (registry.roleOf(peerId) !== 'admin') throw new ProtocolError('not_admin', 'not an admin: only the owner and admins can do that');
  const fail = (err: unknown) => conn.send({ type: 'error', id: message.id, code: err instanceof ProtocolError ? err.code : 'not_found', message: errorMessage(err) });
  switch (message.action) {
    case 'members': {
      conn.send({ type: 'admin-result', id: message.id, members: registry.listing().slice(0, MAX_MEMBERS_PER_ANSWER) });
      return;
    }
    case 'invite':
      registry.createInvite({ expiresMs: message.expiresMs ?? DEFAULT_INVITE_MS, uses: message.uses ?? 1 }).then((invite) => {
        logger.info(`admin ${peerId.slice(0, 8)} made invite ${invite.id}`);
        conn.send({ type: 'admin-result', id: message.id, invite: { id: invite.id, secret: invite.secret, owner: registry.fingerprint, expiresAt: invite.expiresAt } });
      }, fail);
      return;
    case 'revoke': {
      if (!message.target) throw new ProtocolError('bad_message', 'revoke needs a target');
      const by = registry.members().find((m) => m.id === peerId)?.name ?? peerId.slice(0, 8);
      registry.revoke(message.target, `admin ${by}`).then((entry) => conn.send({ type: 'admin-result', id: message.id, revoked: { id: entry.id, name: entry.name } }), fail);
      return;
    }
  }
}

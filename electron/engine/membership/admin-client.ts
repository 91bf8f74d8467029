import { trackerReply, type AdminMessage, type AdminResultMessage } from '../../../shared/protocol/messages.js';
import { EngineError, errorMessage } from '../errors.js';
import type { NetworkKey } from '../security/network-key.js';
import { clientHandshake } from '../wire/handshake.js';
import { tlsTransport } from '../wire/tls-transport.js';
import { parseHostPort } from '../wire/transport.js';
import type { MemberCard } from './member-card.js';

const ADMIN_MS = 10_000;

/**
 * An admin's request to its tracker (docs/PROTOCOL.md §22.5), over the stream with its member
 * identity and certificate: tries the trackers it joined through, in turn. The tracker's refusal
 * ("not an admin") comes back as an EngineError with its words.
 */
export async function adminRequest(card: MemberCard, key: NetworkKey, request: Omit<AdminMessage, 'id' | 'type'>): Promise<AdminResultMessage> {
  const transport = tlsTransport(key);
  let lastError: unknown;
  for (const tracker of card.trackers) {
    const { host, port } = parseHostPort(tracker);
    let opened;
    try {
      opened = await transport.connect(host, port, ADMIN_MS);
    } catch (err) {
      lastError = err;
      continue;
    }
    try {
      const { conn } = await clientHandshake(opened, { peerId: card.identity.peerId, listenPort: 0, agent: 'p2ptracker admin' }, trackerReply, { idleTimeoutMs: ADMIN_MS, callTimeoutMs: ADMIN_MS }, card.identity);
      try {
        return await conn.call<AdminResultMessage>({ type: 'admin', ...request });
      } finally {
        conn.close();
      }
    } catch (err) {
      // The tracker answered: its refusal is the answer.
      if (err instanceof EngineError) throw new EngineError(err.code, err.message.replace(/^(remote|refused): /, ''), { cause: err });
      throw err;
    }
  }
  throw new EngineError('tracker_unreachable', `no tracker answered (${card.trackers.join(', ')})${lastError ? `: ${errorMessage(lastError)}` : ''}`);
}

import type net from 'node:net';
import { redeemReply, redeemRequest, type RedeemedMessage } from '../../../shared/protocol/messages.js';
import type { MemberInvite } from '../../../shared/ipc/invite.js';
import { EngineError, ProtocolError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import { formatNetworkKey, parseNetworkKey, type NetworkKey } from '../security/network-key.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { FramedConnection } from '../wire/connection.js';
import { checkProof, prove, sessionBinding } from '../wire/handshake.js';
import { connectWithInvite } from '../wire/tls-transport.js';
import { ownerFingerprint } from './certificate.js';
import { invitePsk } from './invite-secret.js';
import type { MemberRegistry } from './member-registry.js';

/** The whole exchange, either side, is bounded by this. */
const REDEEM_MS = 10_000;

/**
 * The tracker's side of redeeming an invite (docs/PROTOCOL.md §22.2), on a connection whose TLS
 * handshake used the invite's key: one `redeem`, answered `redeemed` (the certificate and the
 * network key) or a clear `error`, then the connection closes. Nothing else is served on it.
 */
export function serveRedemption(socket: net.Socket, inviteId: string, registry: MemberRegistry, networkKey: NetworkKey, logger: Logger): void {
  const conn = new FramedConnection(socket, redeemRequest, { idleTimeoutMs: REDEEM_MS, callTimeoutMs: REDEEM_MS, serving: true });
  const binding = sessionBinding(socket);
  const timer = setTimeout(() => conn.close(new ProtocolError('timeout', 'no redeem request in time')), REDEEM_MS);
  timer.unref();
  conn.once('close', () => clearTimeout(timer));
  conn.once('message', (message) => {
    clearTimeout(timer);
    if (message.type !== 'redeem') return conn.close(new ProtocolError('bad_message', 'expected redeem'));
    const bad = checkProof(message.peerId, message.identity, binding, 'client');
    if (bad) return conn.close(new ProtocolError('bad_message', `identity proof failed: ${bad}`));
    registry.redeem(inviteId, message.peerId, message.name).then(
      (result) => {
        if (!result.ok) {
          logger.info(`refused invite ${inviteId} to ${message.peerId.slice(0, 8)}: ${result.message}`);
          return conn.close(new ProtocolError(result.code, result.message));
        }
        logger.info(`${result.member.name} (${message.peerId.slice(0, 8)}) joined with invite ${inviteId}`);
        conn.send({ type: 'redeemed', certificate: result.certificate.toString('base64'), networkKey: formatNetworkKey(networkKey), owner: registry.ownerKey.toString('base64') });
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      },
      (err: unknown) => conn.close(new ProtocolError(err instanceof RangeError ? 'bad_message' : 'internal', err instanceof RangeError ? err.message : 'the tracker could not record the new member')),
    );
  });
}

export interface Redeemed {
  certificate: Buffer;
  networkKey: NetworkKey;
  ownerKey: Buffer;
  /** The tracker address that answered. */
  tracker: string;
}

/**
 * The joiner's side: tries the invite's tracker addresses in turn, proves `identity` and asks to
 * be `name`. Refusals come back as EngineErrors with the tracker's words ("invite already used").
 */
export async function redeemInvite(invite: MemberInvite, identity: PeerIdentity, name: string): Promise<Redeemed> {
  const psk = invitePsk(invite.secret);
  let lastError: unknown;
  for (const tracker of invite.trackers) {
    const at = tracker.lastIndexOf(':');
    const host = tracker.slice(0, at).replace(/^\[|\]$/g, '');
    const port = Number(tracker.slice(at + 1));
    let opened;
    try {
      opened = await connectWithInvite(host, port, invite.id, psk, REDEEM_MS);
    } catch (err) {
      lastError = err;
      // Known to this tracker but refused there is final; an address that didn't answer is not.
      if (err instanceof EngineError && err.code === 'not_member') throw err;
      continue;
    }
    const reply = await exchange(opened.socket, identity, name, tracker);
    if (ownerFingerprint(Buffer.from(reply.owner, 'base64')) !== invite.owner) {
      throw new EngineError('not_member', `the tracker at ${tracker} answered for another network (its owner key is not the one the invite names)`);
    }
    return { certificate: Buffer.from(reply.certificate, 'base64'), networkKey: parseNetworkKey(reply.networkKey), ownerKey: Buffer.from(reply.owner, 'base64'), tracker };
  }
  throw lastError instanceof EngineError ? lastError : new EngineError('tracker_unreachable', `no tracker of the invite answered (${invite.trackers.join(', ')})${lastError ? `: ${errorMessage(lastError)}` : ''}`);
}

function exchange(socket: net.Socket, identity: PeerIdentity, name: string, tracker: string): Promise<RedeemedMessage> {
  const conn = new FramedConnection(socket, redeemReply, { idleTimeoutMs: REDEEM_MS, callTimeoutMs: REDEEM_MS });
  return new Promise<RedeemedMessage>((resolve, reject) => {
    const timer = setTimeout(() => conn.close(new EngineError('timeout', `${tracker} did not answer the invite in time`)), REDEEM_MS);
    timer.unref();
    const onClose = (reason: Error | undefined) => {
      clearTimeout(timer);
      reject(reason ?? new EngineError('connection_closed', `${tracker} closed the connection before answering the invite`));
    };
    conn.once('close', onClose);
    conn.once('message', (message) => {
      clearTimeout(timer);
      conn.off('close', onClose);
      conn.close();
      if (message.type === 'redeemed') resolve(message);
      else reject(new EngineError(message.code, message.message));
    });
    const proof = prove(identity, sessionBinding(socket), 'client')!;
    conn.send({ type: 'redeem', peerId: identity.peerId, name, identity: proof });
  });
}

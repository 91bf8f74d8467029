import type net from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ZodType } from 'zod';
import { PROTOCOL_NAME, PROTOCOL_VERSIONS } from '../../../shared/protocol/limits.js';
import {
  handshakeMessage,
  handshakeReply,
  type HelloMessage,
  type WelcomeMessage,
} from '../../../shared/protocol/messages.js';
import { EngineError, ProtocolError } from '../errors.js';
import { peerIdOf, verifyIdentity, type PeerIdentity } from '../security/peer-identity.js';
import { MAX_REVOCATIONS_PER_HANDSHAKE, type IdentityProof } from '../../../shared/protocol/messages.js';
import { FramedConnection, type ConnectionOptions } from './connection.js';
import type { OpenedSocket } from './transport.js';

/**
 * Both wire protocols open the same way: the connecting side sends `hello`
 * with the versions it speaks, the accepting side answers `welcome` with the
 * highest common version, or `error` unsupported_version and closes.
 */

const EKM_LABEL = 'EXPORTER-p2pshare-identity';

/** Keying material unique to this TLS session, or undefined on a plain socket. */
export function sessionBinding(socket: net.Socket): Buffer | undefined {
  const tlsSocket = socket as Partial<TLSSocket>;
  return tlsSocket.encrypted && tlsSocket.exportKeyingMaterial ? tlsSocket.exportKeyingMaterial(32, EKM_LABEL, Buffer.alloc(0)) : undefined;
}

export function prove(identity: PeerIdentity | undefined, binding: Buffer | undefined, role: 'client' | 'server'): IdentityProof | undefined {
  if (!identity || !binding) return undefined;
  return { key: identity.publicKeyRaw.toString('base64'), sig: identity.sign(Buffer.concat([binding, Buffer.from(role)])).toString('base64') };
}

/** Over TLS a peer must prove it owns the key its peer id is derived from; in open mode ids are only claimed. */
export function checkProof(peerId: string, proof: IdentityProof | undefined, binding: Buffer | undefined, role: 'client' | 'server'): string | undefined {
  if (!binding) return undefined;
  if (!proof) return 'missing identity proof';
  const key = Buffer.from(proof.key, 'base64');
  if (peerIdOf(key) !== peerId) return 'peer id does not match its identity key';
  if (!verifyIdentity(key, Buffer.concat([binding, Buffer.from(role)]), Buffer.from(proof.sig, 'base64'))) return 'identity signature does not verify';
  return undefined;
}

/** The revocations a member passes on in its handshake (none outside a managed network). */
function passedOn(identity: PeerIdentity | undefined): { revoked?: string[] } {
  const known = identity?.revocations?.known() ?? [];
  return known.length ? { revoked: known.slice(0, MAX_REVOCATIONS_PER_HANDSHAKE).map((e) => e.toString('hex')) } : {};
}

function learn(identity: PeerIdentity | undefined, revoked: string[] | undefined): void {
  if (revoked?.length) identity?.revocations?.learn(revoked.map((e) => Buffer.from(e, 'hex')));
}

export function pickVersion(offered: readonly number[], spoken: readonly number[] = PROTOCOL_VERSIONS): number | undefined {
  const common = spoken.filter((v) => offered.includes(v));
  return common.length ? Math.max(...common) : undefined;
}

export async function clientHandshake<In extends { type: string; id?: number }>(
  { socket, reads }: OpenedSocket,
  hello: Pick<HelloMessage, 'peerId' | 'listenPort' | 'agent'>,
  replySchema: ZodType<In>,
  options: ConnectionOptions,
  identity?: PeerIdentity,
): Promise<{ conn: FramedConnection<In>; welcome: WelcomeMessage }> {
  const conn = new FramedConnection(socket, handshakeReply, options, reads);
  const binding = sessionBinding(socket);
  const welcome = await new Promise<WelcomeMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.close(new EngineError('timeout', 'no handshake reply'));
    }, options.callTimeoutMs);
    timer.unref();
    conn.once('message', (message) => {
      clearTimeout(timer);
      conn.off('close', onClose);
      if (message.type === 'welcome') {
        const bad = checkProof(message.peerId, message.identity, binding, 'server');
        if (!(PROTOCOL_VERSIONS as readonly number[]).includes(message.version)) {
          conn.close();
          reject(new EngineError('unsupported_version', `remote chose protocol version ${message.version}, which we did not offer`));
        } else if (bad) {
          conn.close();
          reject(new EngineError('bad_message', `remote failed to prove its identity: ${bad}`));
        } else {
          learn(identity, message.revoked);
          resolve(message);
        }
      } else {
        conn.close();
        reject(new EngineError(message.code, `refused: ${message.message}`));
      }
    });
    const onClose = (reason: Error | undefined) => {
      clearTimeout(timer);
      reject(reason ?? new EngineError('connection_closed', 'closed during handshake'));
    };
    conn.once('close', onClose);
    const proof = prove(identity, binding, 'client');
    const cert = identity?.certificate;
    conn.send({ type: 'hello', protocol: PROTOCOL_NAME, versions: [...PROTOCOL_VERSIONS], ...hello, ...(proof ? { identity: proof } : {}), ...(cert && proof ? { cert: cert.toString('base64') } : {}), ...passedOn(identity) });
  });
  return { conn: conn.setSchema(replySchema), welcome };
}

/**
 * Waits for the remote's `hello` (within `handshakeTimeoutMs`), then calls
 * `accept`, which returns the extra welcome fields or throws to refuse.
 */
export function acceptHandshake<In extends { type: string; id?: number }>(
  socket: net.Socket,
  requestSchema: ZodType<In>,
  options: ConnectionOptions & {
    handshakeTimeoutMs: number;
    peerId: string;
    agent: string;
    identity?: PeerIdentity | undefined;
    /** The versions this server speaks (default PROTOCOL_VERSIONS): a tracker without its control plane speaks 1. */
    versions?: readonly number[];
    /** Sees the connection from its first byte (servers count frames with it). */
    observe?: (conn: FramedConnection<{ type: string; id?: number }>) => void;
  },
  accept: (hello: HelloMessage, conn: FramedConnection<In>) => Partial<WelcomeMessage>,
): Promise<{ conn: FramedConnection<In>; hello: HelloMessage; version: number }> {
  const conn = new FramedConnection(socket, handshakeMessage, { ...options, serving: true });
  options.observe?.(conn);
  const binding = sessionBinding(socket);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => conn.close(new EngineError('timeout', 'no hello within the handshake timeout')), options.handshakeTimeoutMs);
    timer.unref();
    const onClose = (reason: Error | undefined) => {
      clearTimeout(timer);
      reject(reason ?? new EngineError('connection_closed', 'closed during handshake'));
    };
    conn.once('close', onClose);
    conn.once('message', (message) => {
      clearTimeout(timer);
      if (message.type !== 'hello') {
        conn.close(new ProtocolError('bad_message', 'expected hello'));
        return;
      }
      const spoken = options.versions ?? PROTOCOL_VERSIONS;
      const version = pickVersion(message.versions, spoken);
      if (version === undefined) {
        conn.close(new ProtocolError('unsupported_version', `no common protocol version: we speak ${spoken.join(',')}`));
        return;
      }
      const bad = checkProof(message.peerId, message.identity, binding, 'client');
      if (bad) {
        conn.close(new ProtocolError('bad_message', `identity proof failed: ${bad}`));
        return;
      }
      // What it passes on first: a peer revoked meanwhile is refused by the check in `accept`.
      learn(options.identity, message.revoked);
      const typed = conn.setSchema(requestSchema);
      let extra: Partial<WelcomeMessage>;
      try {
        extra = accept(message, typed);
      } catch (err) {
        conn.close(err instanceof ProtocolError ? err : new ProtocolError('internal', 'refused'));
        return;
      }
      conn.off('close', onClose);
      const proof = prove(options.identity, binding, 'server');
      conn.send({ type: 'welcome', protocol: PROTOCOL_NAME, version, peerId: options.peerId, agent: options.agent, ...extra, ...(proof ? { identity: proof } : {}), ...passedOn(options.identity) });
      resolve({ conn: typed, hello: message, version });
    });
  });
}

import type net from 'node:net';
import type { ZodType } from 'zod';
import { PROTOCOL_NAME, PROTOCOL_VERSIONS } from '../../../shared/protocol/limits.js';
import {
  handshakeMessage,
  handshakeReply,
  type HelloMessage,
  type WelcomeMessage,
} from '../../../shared/protocol/messages.js';
import { EngineError, ProtocolError } from '../errors.js';
import { FramedConnection, type ConnectionOptions } from './connection.js';

/**
 * Both wire protocols open the same way: the connecting side sends `hello`
 * with the versions it speaks, the accepting side answers `welcome` with the
 * highest common version, or `error` unsupported_version and closes.
 */

export function pickVersion(offered: readonly number[]): number | undefined {
  const common = PROTOCOL_VERSIONS.filter((v) => offered.includes(v));
  return common.length ? Math.max(...common) : undefined;
}

export async function clientHandshake<In extends { type: string; id?: number }>(
  socket: net.Socket,
  hello: Pick<HelloMessage, 'peerId' | 'listenPort' | 'agent'>,
  replySchema: ZodType<In>,
  options: ConnectionOptions,
): Promise<{ conn: FramedConnection<In>; welcome: WelcomeMessage }> {
  const conn = new FramedConnection(socket, handshakeReply, options);
  const welcome = await new Promise<WelcomeMessage>((resolve, reject) => {
    const timer = setTimeout(() => {
      conn.close(new EngineError('timeout', 'no handshake reply'));
    }, options.callTimeoutMs);
    timer.unref();
    conn.once('message', (message) => {
      clearTimeout(timer);
      conn.off('close', onClose);
      if (message.type === 'welcome') {
        if (!(PROTOCOL_VERSIONS as readonly number[]).includes(message.version)) {
          conn.close();
          reject(new EngineError('unsupported_version', `remote chose protocol version ${message.version}, which we did not offer`));
        } else resolve(message);
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
    conn.send({ type: 'hello', protocol: PROTOCOL_NAME, versions: [...PROTOCOL_VERSIONS], ...hello });
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
  options: ConnectionOptions & { handshakeTimeoutMs: number; peerId: string; agent: string },
  accept: (hello: HelloMessage, conn: FramedConnection<In>) => Partial<WelcomeMessage>,
): Promise<{ conn: FramedConnection<In>; hello: HelloMessage; version: number }> {
  const conn = new FramedConnection(socket, handshakeMessage, options);
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
      const version = pickVersion(message.versions);
      if (version === undefined) {
        conn.close(new ProtocolError('unsupported_version', `no common protocol version: we speak ${PROTOCOL_VERSIONS.join(',')}`));
        return;
      }
      const typed = conn.setSchema(requestSchema);
      let extra: Partial<WelcomeMessage>;
      try {
        extra = accept(message, typed);
      } catch (err) {
        conn.close(err instanceof ProtocolError ? err : new ProtocolError('internal', 'refused'));
        return;
      }
      conn.off('close', onClose);
      conn.send({ type: 'welcome', protocol: PROTOCOL_NAME, version, peerId: options.peerId, agent: options.agent, ...extra });
      resolve({ conn: typed, hello: message, version });
    });
  });
}

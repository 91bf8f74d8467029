import type net from 'node:net';
import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import { EngineError } from '../errors.js';
import { derivePsk, type NetworkKey } from '../security/network-key.js';
import { DirectReads } from './direct-reads.js';
import { abandonOn, gatedServer, type OpenedSocket, type Transport } from './transport.js';

/** TLS 1.3 only, with the SHA-256 suites an external PSK needs. */
const CIPHERS = 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256';
/** Fixed and public: the identity names the protocol, not the network, so it reveals nothing. */
const PSK_IDENTITY = 'p2pshare/v1';
const TLS_HANDSHAKE_TIMEOUT_MS = 10_000;

/** tls.connect takes `onread` like net.connect (Node ≥ 15.1); @types/node does not declare it yet. */
type TlsConnectOptions = tls.ConnectionOptions & { onread: net.OnReadOpts };

export type HandshakeFailureListener = (remote: string, reason: string) => void;

export interface TlsTransportOptions {
  onHandshakeFailure?: HandshakeFailureListener;
  /** A tracker with managed membership: the PSK of a member invite it issued, by invite id (§22.2). */
  invitePsk?: ((id: string) => Buffer | undefined) | undefined;
}

/** PSK identities of member invites: this prefix, then the invite's id. */
export const INVITE_PSK_PREFIX = 'p2pshare/invite/';
/** Server sockets whose handshake used an invite's key, with the invite's id. */
const invited = new WeakMap<object, string>();

/** The invite a server socket's TLS handshake was keyed by; undefined for the network key. */
export function invitedBy(socket: object): string | undefined {
  return invited.get(socket);
}

/**
 * A connection keyed by a member invite instead of the network key (redeeming it, §22.2): only
 * the tracker that issued the invite completes this handshake.
 */
export function connectWithInvite(host: string, port: number, inviteId: string, psk: Buffer, timeoutMs: number): Promise<OpenedSocket> {
  const socket = tls.connect({ host, port, ciphers: CIPHERS, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3', pskCallback: () => ({ psk, identity: `${INVITE_PSK_PREFIX}${inviteId}` }), checkServerIdentity: () => undefined });
  return secured(socket, `${host}:${port}`, timeoutMs, (failure, err) =>
    // The tracker knows no invite by that id: its handshake fails as a key mismatch would.
    failure.code === 'wrong_key' ? new EngineError('not_member', `the tracker at ${host}:${port} does not know this invite (another tracker issued it, or it was withdrawn)`, { cause: err }) : failure,
  );
}

/** Settles when the client side of `socket`'s handshake completes, fails, closes or takes longer than `timeoutMs`. */
function secured(socket: tls.TLSSocket, remote: string, timeoutMs: number, explain: (failure: EngineError, err: NodeJS.ErrnoException) => EngineError = (f) => f): Promise<OpenedSocket> {
  return new Promise<OpenedSocket>((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new EngineError('timeout', `secure connection to ${remote} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    timer.unref();
    socket.once('secureConnect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve({ socket });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(explain(describeFailure(err, remote), err));
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new EngineError('connection_closed', `${remote} closed the connection during the secure handshake`));
    });
  });
}

/**
 * Every connection, peer to tracker and peer to peer, is TLS 1.3 with a
 * pre-shared key derived from the network key: mutually authenticated (only a
 * holder of the key completes the handshake) and encrypted, with no
 * certificates. A wrong key fails the handshake on both sides.
 */
export function tlsTransport(key: NetworkKey, options: TlsTransportOptions = {}): Transport {
  const { onHandshakeFailure } = options;
  const psk = derivePsk(key);
  const common = { ciphers: CIPHERS, minVersion: 'TLSv1.3' as const, maxVersion: 'TLSv1.3' as const };
  const secureContext = tls.createSecureContext(common);
  /** The server side over `raw`: an accepted socket, or one we opened for a rendezvous. */
  const secureServer = (raw: Duplex, remote: string): Promise<tls.TLSSocket> =>
    new Promise((resolve, reject) => {
      const socket = new tls.TLSSocket(raw as net.Socket, {
        isServer: true,
        secureContext,
        ...common,
        pskCallback: (socket: tls.TLSSocket, identity: string) => {
          if (identity === PSK_IDENTITY) return psk;
          if (!options.invitePsk || !identity.startsWith(INVITE_PSK_PREFIX)) return null;
          const id = identity.slice(INVITE_PSK_PREFIX.length);
          const key = options.invitePsk(id);
          if (key) invited.set(socket, id);
          return key ?? null;
        },
      } as tls.TLSSocketOptions);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new EngineError('timeout', `${remote} did not finish the secure handshake`));
      }, TLS_HANDSHAKE_TIMEOUT_MS);
      timer.unref();
      const onError = (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        const failure = describeFailure(err, remote, 'server');
        onHandshakeFailure?.(remote, failure.message);
        socket.destroy();
        reject(failure);
      };
      socket.once('error', onError);
      socket.once('close', () => {
        clearTimeout(timer);
        reject(new EngineError('connection_closed', `${remote} closed the connection during the secure handshake`));
      });
      socket.once('secure', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve(socket);
      });
    });
  return {
    connect(host, port, timeoutMs, signal) {
      return new Promise<OpenedSocket>((resolve, reject) => {
        const reads = new DirectReads();
        const options: TlsConnectOptions = {
          host,
          port,
          ...common,
          pskCallback: () => ({ psk, identity: PSK_IDENTITY }),
          checkServerIdentity: () => undefined, // the PSK authenticates the server; there is no certificate
          servername: undefined,
          onread: reads.onread,
        };
        const socket = tls.connect(options);
        reads.socket = socket;
        abandonOn(signal, socket, reject, `${host}:${port}`, 'secureConnect');
        const timer = setTimeout(() => {
          socket.destroy();
          reject(new EngineError('timeout', `secure connection to ${host}:${port} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        timer.unref();
        socket.once('secureConnect', () => {
          clearTimeout(timer);
          socket.removeAllListeners('error');
          resolve({ socket, reads });
        });
        socket.once('error', (err: NodeJS.ErrnoException) => {
          clearTimeout(timer);
          reject(describeFailure(err, `${host}:${port}`));
        });
        socket.once('close', () => {
          clearTimeout(timer);
          // Not a key mismatch: that comes as an alert (an 'error' first). A server at its connection limit closes like this.
          reject(new EngineError('connection_closed', `${host}:${port} closed the connection during the secure handshake (it may be at its connection limit, or not a p2pshare node)`));
        });
      });
    },
    createServer(onSocket, gate, onPreface) {
      // TLS is layered on each raw socket by hand (rather than by tls.Server) so that the gate sees it first.
      return gatedServer(
        gate,
        (raw, admission) => {
          secureServer(raw, raw.remoteAddress ?? '?').then(
            (socket) => onSocket(socket, admission),
            () => undefined, // reported by onHandshakeFailure
          );
        },
        onPreface,
      );
    },
    acceptOver(raw, remote) {
      return secureServer(raw, remote);
    },
    connectOver(raw, remote, timeoutMs) {
      const socket = tls.connect({ socket: raw as net.Socket, ...common, pskCallback: () => ({ psk, identity: PSK_IDENTITY }), checkServerIdentity: () => undefined });
      return secured(socket, remote, timeoutMs);
    },
  };
}

/**
 * With another key the server's PSK binder check fails and OpenSSL answers
 * with an illegal_parameter alert, which the client sees as this code: the
 * one reliable sign of a key mismatch (a reset or a bare close is not).
 */
const KEY_MISMATCH_CODES = new Set(['ERR_SSL_BINDER_DOES_NOT_VERIFY', 'ERR_SSL_SSLV3_ALERT_ILLEGAL_PARAMETER']);

/** Whether `err` (from connect) means the remote holds a different network key. */
export function isKeyMismatch(err: unknown): boolean {
  const cause = err instanceof EngineError ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  return err instanceof EngineError && err.code === 'wrong_key' && (KEY_MISMATCH_CODES.has(cause?.code ?? '') || (cause?.code ?? '').includes('DECRYPT'));
}

function describeFailure(err: NodeJS.ErrnoException, remote: string, side: 'client' | 'server' = 'client'): EngineError {
  const code = err.code ?? '';
  if (KEY_MISMATCH_CODES.has(code) || code.includes('DECRYPT')) {
    return side === 'server'
      ? new EngineError('wrong_key', `${remote} tried to connect with a different network key`, { cause: err })
      : new EngineError('wrong_key', `${remote} uses a different network key`, { cause: err });
  }
  if (code === 'ECONNRESET' && side === 'client') return new EngineError('connection_closed', `${remote} reset the connection during the secure handshake (it may be at its connection limit)`, { cause: err });
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG' || code === 'ECONNRESET' || code === 'ERR_SSL_NO_SHARED_CIPHER') {
    return side === 'server'
      ? new EngineError('wrong_key', `${remote} connected without TLS or without the network key (an open-mode client, or not a p2pshare node)`, { cause: err })
      : new EngineError('wrong_key', `${remote} did not speak TLS: it runs in open mode or is not a p2pshare node`, { cause: err });
  }
  if (code === 'ECONNREFUSED') return new EngineError('connection_closed', `cannot connect to ${remote}: connection refused`, { cause: err });
  return new EngineError('connection_closed', `secure connection with ${remote} failed: ${code || err.message}`, { cause: err });
}

import type { EventChannel, EventPayload, P2PApi, RequestArgs, RequestChannel, RequestError, RequestErrorCode, RequestResult } from '../../shared/ipc/contract';
import { SOCKET_PATH } from '../../shared/ipc/socket-protocol';
import { createSocketApi, type ConnectionState, type SocketApi } from './socket-api';

/**
 * The renderer's one door to the host. In Electron the preload exposes
 * `window.p2p`; in a browser served by the headless host we speak the same
 * contract over a WebSocket. Everything else in the renderer uses `call` and
 * `subscribe` and never knows which.
 */

declare global {
  interface Window {
    p2p?: P2PApi;
  }
}

/** A failed request's code: the host's, the transport's, or `ipc_failed` when the call could not be made. */
export type ApiErrorCode = RequestErrorCode | 'ipc_failed';

/**
 * A request the host refused or could not run; `message` is written for
 * people, `field` names the argument or settings key it is about. What to
 * show is errorText's choice (error-text.ts).
 */
export class ApiError extends Error {
  readonly code: ApiErrorCode;
  readonly field: string | undefined;
  constructor(code: ApiErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.field = field;
  }

  static from(error: RequestError): ApiError {
    return new ApiError(error.code, error.message, error.field);
  }
}

interface Transport {
  api: P2PApi;
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  reconnectNow(): void;
}

const ALWAYS_OPEN: ConnectionState = { status: 'open', retryAt: null, failures: 0, opens: 1 };

/** A transport that never disconnects: Electron IPC, or a test's in-memory API. */
function direct(api: P2PApi): Transport {
  return { api, connection: () => ALWAYS_OPEN, onConnection: () => () => {}, reconnectNow: () => {} };
}

function fromSocket(socket: SocketApi): Transport {
  return { api: socket, connection: socket.connection, onConnection: socket.onConnection, reconnectNow: socket.reconnectNow };
}

export function socketUrl(loc: Pick<Location, 'protocol' | 'host'> = location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${SOCKET_PATH}`;
}

let current: Transport | undefined;

function transport(): Transport {
  if (!current) {
    if (window.p2p) {
      current = direct(window.p2p);
    } else {
      const socket = createSocketApi({ url: socketUrl() });
      // Back on the network: no need to sit out the rest of the backoff.
      window.addEventListener('online', () => socket.reconnectNow());
      current = fromSocket(socket);
    }
  }
  return current;
}

/** Tests (and only tests) swap in an in-memory API, or a socket to a test server. */
export function setApiForTests(api: P2PApi | SocketApi): void {
  current = 'onConnection' in api ? fromSocket(api) : direct(api);
}

export async function call<C extends RequestChannel>(channel: C, args: RequestArgs<C>): Promise<RequestResult<C>> {
  let envelope;
  try {
    envelope = await transport().api.invoke(channel, args);
  } catch (err) {
    throw new ApiError('ipc_failed', `Could not reach the host: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!envelope.ok) throw ApiError.from(envelope.error);
  return envelope.value;
}

export function subscribe<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
  return transport().api.on(event, listener);
}

export function connectionState(): ConnectionState {
  return transport().connection();
}

export function onConnectionChange(listener: (state: ConnectionState) => void): () => void {
  return transport().onConnection(listener);
}

export function reconnectNow(): void {
  transport().reconnectNow();
}

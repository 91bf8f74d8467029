import type { Envelope, EventChannel, EventPayload, P2PApi, RequestArgs, RequestChannel, RequestResult, TransportErrorCode } from '../../shared/ipc/contract';
import type { SocketRequest, SocketServerMessage } from '../../shared/ipc/socket-protocol';

/**
 * P2PApi over the headless host's WebSocket. Requests made while the socket is
 * down wait for the next connection (up to REQUEST_TIMEOUT_MS); requests in
 * flight when it drops are answered with a `disconnected` error, since the host
 * may or may not have run them. The socket reconnects with jittered backoff.
 */

const BACKOFF_INITIAL_MS = 500;
const BACKOFF_MAX_MS = 15_000;
const REQUEST_TIMEOUT_MS = 60_000;
/** Frames larger than this from the host are dropped rather than parsed. */
const MAX_INBOUND_CHARS = 16 * 1024 * 1024;

export type ConnectionStatus = 'connecting' | 'open' | 'closed';
export interface ConnectionState {
  status: ConnectionStatus;
  /** When closed: epoch ms of the next attempt. */
  retryAt: number | null;
  /** Consecutive failed attempts since the last open socket. */
  failures: number;
  /** How many times the socket has opened; > 1 means this is a reconnection. */
  opens: number;
}

export interface SocketApi extends P2PApi {
  connection(): ConnectionState;
  onConnection(listener: (state: ConnectionState) => void): () => void;
  /** Skip the backoff wait and try now. */
  reconnectNow(): void;
  /** Closes for good (tests, page teardown). */
  close(): void;
}

interface Pending {
  frame: string;
  sent: boolean;
  timer: ReturnType<typeof setTimeout>;
  resolve: (result: Envelope<unknown>) => void;
}

type Listener = (payload: unknown) => void;

export interface SocketApiOptions {
  url: string;
  WebSocketImpl?: typeof WebSocket;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
  requestTimeoutMs?: number;
}

/** The transport's own answer when the host could not give one; a host's answer passes through as it came, `field` and all. */
function failure(code: TransportErrorCode, message: string): Envelope<never> {
  return { ok: false, error: { code, message } };
}

export function createSocketApi(options: SocketApiOptions): SocketApi {
  const Impl = options.WebSocketImpl ?? WebSocket;
  const backoffInitial = options.backoffInitialMs ?? BACKOFF_INITIAL_MS;
  const backoffMax = options.backoffMaxMs ?? BACKOFF_MAX_MS;
  const requestTimeout = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;

  const pending = new Map<number, Pending>();
  const listeners = new Map<string, Set<Listener>>();
  const connectionListeners = new Set<(state: ConnectionState) => void>();
  let state: ConnectionState = { status: 'connecting', retryAt: null, failures: 0, opens: 0 };
  let socket: WebSocket | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let nextId = 1;
  let closedForGood = false;

  function setState(next: Partial<ConnectionState>): void {
    state = { ...state, ...next };
    for (const fn of connectionListeners) fn(state);
  }

  function connect(): void {
    clearTimeout(retryTimer);
    if (closedForGood) return;
    setState({ status: 'connecting', retryAt: null });
    let ws: WebSocket;
    try {
      ws = new Impl(options.url);
    } catch {
      scheduleReconnect();
      return;
    }
    socket = ws;
    ws.onopen = () => {
      setState({ status: 'open', failures: 0, opens: state.opens + 1 });
      for (const p of pending.values()) {
        if (!p.sent) {
          ws.send(p.frame);
          p.sent = true;
        }
      }
    };
    ws.onmessage = (event: MessageEvent) => onMessage(event.data);
    ws.onclose = () => {
      if (socket !== ws) return;
      socket = null;
      for (const [id, p] of pending) {
        if (!p.sent) continue;
        pending.delete(id);
        clearTimeout(p.timer);
        p.resolve(failure('disconnected', 'Lost the connection to the host before it answered. Try again once it is back.'));
      }
      scheduleReconnect();
    };
  }

  function scheduleReconnect(): void {
    if (closedForGood) return;
    const failures = state.failures + 1;
    const base = Math.min(backoffMax, backoffInitial * 2 ** Math.min(failures - 1, 16));
    const delay = Math.round(base * (0.75 + Math.random() * 0.5));
    setState({ status: 'closed', failures, retryAt: Date.now() + delay });
    retryTimer = setTimeout(connect, delay);
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string' || data.length > MAX_INBOUND_CHARS) return;
    let msg: SocketServerMessage;
    try {
      msg = JSON.parse(data) as SocketServerMessage;
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object') return;
    if (msg.t === 'res' && typeof msg.id === 'number') {
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      const result = msg.result;
      const wellFormed = result !== null && typeof result === 'object' && (result.ok === true || (result.ok === false && typeof result.error === 'object'));
      p.resolve(wellFormed ? result : failure('bad_response', 'The host sent an answer this page does not understand.'));
    } else if (msg.t === 'evt' && typeof msg.event === 'string') {
      for (const fn of listeners.get(msg.event) ?? []) {
        try {
          fn(msg.payload);
        } catch (err) {
          console.error(`listener for ${msg.event} failed`, err);
        }
      }
    }
  }

  function invoke<C extends RequestChannel>(channel: C, args: RequestArgs<C>): Promise<Envelope<RequestResult<C>>> {
    if (closedForGood) return Promise.resolve(failure('disconnected', 'The connection to the host is closed.'));
    const id = nextId++;
    const request: SocketRequest = { t: 'req', id, channel, args };
    return new Promise((resolve) => {
      const entry: Pending = {
        frame: JSON.stringify(request),
        sent: false,
        resolve: resolve as (result: Envelope<unknown>) => void,
        timer: setTimeout(() => {
          pending.delete(id);
          resolve(failure('timeout', 'The host did not answer in time. Check that it is still running.'));
        }, requestTimeout),
      };
      pending.set(id, entry);
      if (socket && socket.readyState === Impl.OPEN) {
        socket.send(entry.frame);
        entry.sent = true;
      }
    });
  }

  function on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = listeners.get(event);
    if (!set) listeners.set(event, (set = new Set()));
    const fn = listener as Listener;
    set.add(fn);
    return () => void set.delete(fn);
  }

  connect();

  return {
    invoke,
    on,
    connection: () => state,
    onConnection(listener) {
      connectionListeners.add(listener);
      return () => void connectionListeners.delete(listener);
    },
    reconnectNow() {
      if (state.status === 'closed') connect();
    },
    close() {
      closedForGood = true;
      clearTimeout(retryTimer);
      setState({ status: 'closed', retryAt: null });
      socket?.close();
      socket = null;
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.resolve(failure('disconnected', 'The connection to the host is closed.'));
      }
      pending.clear();
    },
  };
}

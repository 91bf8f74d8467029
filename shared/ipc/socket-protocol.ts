import type { Envelope, EventChannel, EventPayload, RequestChannel } from './contract.js';

/**
 * How the contract travels over the headless host's WebSocket (`/api`):
 * the same requests and events as Electron IPC, as JSON text frames.
 *   browser → host  { t: 'req', id, channel, args }
 *   host → browser  { t: 'res', id, result: Envelope }   answers the req with that id
 *   host → browser  { t: 'evt', event, payload }         pushed events
 */
export const SOCKET_PATH = '/api';
/** Largest frame the host accepts from a browser. */
export const SOCKET_MAX_PAYLOAD = 64 * 1024;

export interface SocketRequest {
  t: 'req';
  id: number;
  channel: RequestChannel;
  args: unknown;
}

export interface SocketResponse {
  t: 'res';
  id: number;
  result: Envelope<unknown>;
}

export interface SocketEvent<E extends EventChannel = EventChannel> {
  t: 'evt';
  event: E;
  payload: EventPayload<E>;
}

export type SocketServerMessage = SocketResponse | SocketEvent;

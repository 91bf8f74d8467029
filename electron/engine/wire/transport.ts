import net from 'node:net';
import type { Duplex } from 'node:stream';
import { EngineError } from '../errors.js';
import type { Admission, ConnectionGate } from './connection-gate.js';
import { DirectReads } from './direct-reads.js';
import { sniffPreface, type PrefaceHandler } from './preface.js';

/** A socket we opened, with its reads going straight into frame buffers; hand both to FramedConnection. */
export interface OpenedSocket {
  socket: net.Socket;
  /** Absent over a socket we did not open with net.connect (a relayed or punched one): plain 'data' reads. */
  reads?: DirectReads | undefined;
}

/**
 * How bytes reach another node. Everything above this speaks frames over a
 * socket and does not care whether the socket is plain TCP or TLS; the secure
 * transport implements the same interface.
 */
export interface Transport {
  /** `signal` abandons the attempt (another way to the same peer won): the socket is destroyed. */
  connect(host: string, port: number, timeoutMs: number, signal?: AbortSignal): Promise<OpenedSocket>;
  /**
   * With a gate, every raw socket passes it at accept time, before any TLS
   * work; a refused one is destroyed at once and `onSocket` gets the admission
   * of the others.
   */
  createServer(onSocket: (socket: net.Socket, admission: Admission | undefined) => void, gate?: ConnectionGate, onPreface?: PrefaceHandler): net.Server;
  /** The server side of this transport over a connection we did not accept (reversed, relayed or punched). */
  acceptOver(raw: Duplex, remote: string): Promise<net.Socket>;
  /** The client side over a connection that exists already. */
  connectOver(raw: Duplex, remote: string, timeoutMs: number): Promise<OpenedSocket>;
}

/**
 * A net.Server whose raw sockets pass `gate` (when given) before `onRaw` sees them. With
 * `onPreface`, a socket that opens with a rendezvous preface goes there instead (its gate
 * admission stays counted until it closes).
 */
export function gatedServer(gate: ConnectionGate | undefined, onRaw: (raw: net.Socket, admission: Admission | undefined) => void, onPreface?: PrefaceHandler): net.Server {
  const route = (raw: net.Socket, admission: Admission | undefined): void => {
    if (!onPreface) return onRaw(raw, admission);
    sniffPreface(raw, () => onRaw(raw, admission), (socket, preface) => {
      admission?.established();
      onPreface(socket, preface);
    });
  };
  const server = net.createServer({ noDelay: true }, (raw) => {
    if (!gate) return route(raw, undefined);
    const admitted = gate.admit(raw);
    if ('refused' in admitted) {
      raw.destroy();
      return;
    }
    route(raw, admitted);
  });
  if (gate) server.maxConnections = gate.capacity; // a backstop: the gate refuses first
  return server;
}

export const tcpTransport: Transport = {
  connect(host, port, timeoutMs, signal) {
    return new Promise((resolve, reject) => {
      const reads = new DirectReads();
      const socket = net.connect({ host, port, onread: reads.onread });
      reads.socket = socket;
      abandonOn(signal, socket, reject, `${host}:${port}`);
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new EngineError('timeout', `connecting to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.removeAllListeners('error');
        resolve({ socket, reads });
      });
      socket.once('error', (err: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        reject(new EngineError('connection_closed', `cannot connect to ${host}:${port}: ${err.code ?? err.message}`, { cause: err }));
      });
    });
  },
  createServer(onSocket, gate, onPreface) {
    return gatedServer(gate, onSocket, onPreface);
  },
  acceptOver(raw, remote) {
    if (raw instanceof net.Socket) return Promise.resolve(raw);
    return Promise.reject(new EngineError('invalid_argument', `${remote}: open mode runs over TCP only (hole punching needs a network key)`));
  },
  connectOver(raw, remote) {
    if (raw instanceof net.Socket) return Promise.resolve({ socket: raw });
    return Promise.reject(new EngineError('invalid_argument', `${remote}: open mode runs over TCP only (hole punching needs a network key)`));
  },
};

/** When `signal` aborts before the attempt settled: destroy the socket, reject as cancelled. */
export function abandonOn(signal: AbortSignal | undefined, socket: net.Socket, reject: (err: Error) => void, remote: string, connected: 'connect' | 'secureConnect' = 'connect'): void {
  if (!signal) return;
  const abandon = () => {
    socket.destroy();
    reject(new EngineError('cancelled', `connecting to ${remote} was abandoned: another way got there first`));
  };
  if (signal.aborted) return abandon();
  signal.addEventListener('abort', abandon, { once: true });
  // Once connected the attempt is over: the connection is the caller's, and an abort no longer touches it.
  const done = () => signal.removeEventListener('abort', abandon);
  socket.once(connected, done);
  socket.once('close', done);
}

/** Listens and resolves with the bound port; a busy port becomes a clear `port_in_use` error. */
export function listen(server: net.Server, port: number, host: string | undefined, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') {
        reject(new EngineError('port_in_use', `${what} cannot listen on port ${port}: it is already in use. Choose another port, or 0 for any free one.`));
      } else if (err.code === 'EACCES') {
        reject(new EngineError('port_in_use', `${what} is not allowed to listen on port ${port} (ports below 1024 need privileges).`));
      } else {
        reject(new EngineError('io_error', `${what} cannot listen on ${host ?? '*'}:${port}: ${err.message}`, { cause: err }));
      }
    };
    const onListening = () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

export function closeServer(server: net.Server): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

/** Parses `HOST:PORT` (or `[v6]:PORT`). Throws a readable error. */
export function parseHostPort(value: string, defaultPort?: number): { host: string; port: number } {
  const trimmed = value.trim();
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(trimmed);
  let host: string;
  let portText: string | undefined;
  if (v6) {
    host = v6[1]!;
    portText = v6[2];
  } else {
    const colon = trimmed.lastIndexOf(':');
    if (colon >= 0 && trimmed.indexOf(':') === colon) {
      host = trimmed.slice(0, colon);
      portText = trimmed.slice(colon + 1);
    } else {
      host = trimmed;
    }
  }
  if (!host || /[\s/]/.test(host)) throw new EngineError('invalid_argument', `"${value}" is not a HOST:PORT address`);
  const port = portText === undefined ? defaultPort : Number(portText);
  if (port === undefined || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new EngineError('invalid_argument', `"${value}" has no valid port (1-65535)`);
  }
  return { host, port };
}

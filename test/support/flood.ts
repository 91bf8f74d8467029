import net from 'node:net';

/** A loopback alias (Linux answers on all of 127/8): the flood comes from an address other than the members'. */
export const ATTACKER_ADDRESS = '127.0.0.2';
/** Reopens at most this many times the flood's size, so a test's loop is bounded by count as well as by `stop`. */
const MAX_REOPENS_PER_SOCKET = 20;
const REOPEN_DELAY_MS = 20;

export interface Flood {
  stop(): void;
  stats(): { opened: number; connected: number; open: number };
  /** Resolves once `count` sockets were accepted at the TCP level, or rejects after `timeoutMs`. */
  connected(count: number, timeoutMs?: number): Promise<void>;
}

/**
 * Keeps `count` idle TCP connections open to 127.0.0.1:`port` from
 * ATTACKER_ADDRESS, never sending a byte, and reopens each one the server
 * closes: the pre-handshake flood of a host without the key.
 */
export function flood(port: number, count: number): Flood {
  const sockets = new Set<net.Socket>();
  let stopped = false;
  let opened = 0;
  let connected = 0;
  const open = () => {
    if (stopped) return;
    opened++;
    const socket = net.connect({ port, host: '127.0.0.1', localAddress: ATTACKER_ADDRESS });
    sockets.add(socket);
    socket.on('connect', () => connected++);
    socket.on('error', () => {});
    socket.on('close', () => {
      sockets.delete(socket);
      if (!stopped && opened < count * MAX_REOPENS_PER_SOCKET) setTimeout(open, REOPEN_DELAY_MS).unref();
    });
  };
  for (let i = 0; i < count; i++) open();
  return {
    stop: () => {
      stopped = true;
      for (const s of sockets) s.destroy();
    },
    stats: () => ({ opened, connected, open: sockets.size }),
    async connected(target, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      while (connected < target) {
        if (Date.now() > deadline) throw new Error(`only ${connected} of ${target} flood connections were accepted`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

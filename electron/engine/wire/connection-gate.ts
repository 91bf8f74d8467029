import type net from 'node:net';
import { normalizeAddress } from './connection.js';

/**
 * A connection that has not finished its handshake (TLS, then hello) this long
 * after it was accepted is closed. A real node needs a couple of round trips;
 * an idle socket only holds a slot.
 */
export const HANDSHAKE_DEADLINE_MS = 5_000;

export interface GateOptions {
  /** Connections that finished their handshake. */
  total: number;
  /** Sockets from one address, handshaking or not: checked at accept, before any TLS work. */
  perAddress: number;
  /** Sockets still in their handshake, from everyone. */
  handshakes: number;
  /** Sockets still in their handshake from one address, so one host can't take every handshake slot. */
  handshakesPerAddress: number;
  /** Overrides HANDSHAKE_DEADLINE_MS (tests). */
  handshakeDeadlineMs?: number;
  /** Told about each socket refused at accept (for a debug log). */
  onRefused?: (reason: string) => void;
}

/** A socket let in at accept time. */
export interface Admission {
  readonly address: string;
  /**
   * Its handshake finished: the deadline stops and the handshake slot is
   * freed. False when `total` established connections are open already; the
   * caller then refuses it with a typed error.
   */
  established(): boolean;
}

/**
 * Admission control for a server, applied to raw sockets as they are accepted
 * (before TLS costs anything): at most `perAddress` sockets from one IP and
 * `handshakesPerAddress` of them unfinished, at most `handshakes` unfinished
 * in all, each with a deadline, and `total` finished ones. One host can
 * neither take every slot nor park idle sockets in them.
 */
export class ConnectionGate {
  private readonly byAddress = new Map<string, number>();
  private readonly handshakingByAddress = new Map<string, number>();
  private readonly sockets = new Set<net.Socket>();
  private handshaking = 0;
  private establishedCount = 0;
  readonly deadlineMs: number;

  constructor(readonly limits: GateOptions) {
    this.deadlineMs = limits.handshakeDeadlineMs ?? HANDSHAKE_DEADLINE_MS;
  }

  /** Raw sockets the server may hold at once: its `maxConnections` backstop. */
  get capacity(): number {
    return this.limits.total + this.limits.handshakes;
  }

  get size(): number {
    return this.sockets.size;
  }

  /** Counts `raw` until it closes, or says why it may not come in (the caller destroys it). */
  admit(raw: net.Socket): Admission | { refused: string } {
    const address = normalizeAddress(raw.remoteAddress ?? '');
    const { perAddress, handshakes, handshakesPerAddress } = this.limits;
    const fromHere = this.byAddress.get(address) ?? 0;
    const handshakingHere = this.handshakingByAddress.get(address) ?? 0;
    const refused =
      fromHere >= perAddress
        ? `${address} already has ${perAddress} connections`
        : handshakingHere >= handshakesPerAddress
          ? `${address} already has ${handshakesPerAddress} handshakes in progress`
          : this.handshaking >= handshakes
            ? `${handshakes} handshakes in progress`
            : undefined;
    if (refused) {
      this.limits.onRefused?.(refused);
      return { refused };
    }

    this.sockets.add(raw);
    bump(this.byAddress, address, 1);
    bump(this.handshakingByAddress, address, 1);
    this.handshaking++;
    let state: 'handshaking' | 'established' | 'closed' = 'handshaking';
    const leaveHandshake = () => {
      clearTimeout(deadline);
      bump(this.handshakingByAddress, address, -1);
      this.handshaking--;
    };
    const deadline = setTimeout(() => raw.destroy(), this.deadlineMs);
    deadline.unref();
    raw.once('close', () => {
      if (state === 'handshaking') leaveHandshake();
      else if (state === 'established') this.establishedCount--;
      state = 'closed';
      this.sockets.delete(raw);
      bump(this.byAddress, address, -1);
    });
    return {
      address,
      established: () => {
        if (state !== 'handshaking') return state === 'established';
        if (this.establishedCount >= this.limits.total) return false;
        leaveHandshake();
        state = 'established';
        this.establishedCount++;
        return true;
      },
    };
  }

  /** Closes every socket it counts (server stop). */
  destroyAll(): void {
    for (const socket of this.sockets) socket.destroy();
  }
}

function bump(counts: Map<string, number>, address: string, by: number): void {
  const next = (counts.get(address) ?? 0) + by;
  if (next > 0) counts.set(address, next);
  else counts.delete(address);
}

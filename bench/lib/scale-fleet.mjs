// Pieces shared by the two simulated fleets of bench/tracker-scale.mjs (protocol v2 and BEP 15):
// where each simulated peer lives (socket, source address, listen port), the file catalogue,
// latency figures and CPU readings. Everything per peer is a typed array indexed by peer
// number, never an object per peer, so a million peers fit in a few hundred MB.
import dgram from 'node:dgram';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { contentName, contentSize } from '../tracker-ids.mjs';

/** Most UDP sockets (one per source address); peers are spread over them round-robin. */
export const MAX_SOCKETS = 1024;
/** Listen ports announced by the peers of one socket start here (unique per (address, port)). */
export const BASE_LISTEN_PORT = 20_000;
/** Peers per socket: 12 bits of a request's seq / transaction id name the peer (below). */
export const MAX_PEERS_PER_SOCKET = 4096;
/** The low bits of a seq count the peer's datagrams; the high ones are its slot on the socket. */
export const COUNTER_BITS = 20;
export const COUNTER_LIMIT = 2 ** COUNTER_BITS;
/** Every content has about this many holders: the catalogue is peers × files / this. */
export const HOLDERS_PER_CONTENT = 20;
export const MIN_CATALOGUE = 1000;

/**
 * Where peer i lives: socket i % K (bound to its own 127.G.x.y address), slot ⌊i / K⌋ on that
 * socket, which also picks its listen port. The tracker keys members by (address, listen port),
 * so no two peers collide.
 */
export class PeerLayout {
  constructor(peers, group) {
    this.peers = peers;
    this.group = group;
    this.sockets = Math.min(MAX_SOCKETS, peers);
    if (Math.ceil(peers / this.sockets) > MAX_PEERS_PER_SOCKET) throw new Error(`at most ${MAX_SOCKETS * MAX_PEERS_PER_SOCKET} peers`);
  }

  socketOf(i) {
    return i % this.sockets;
  }

  slotOf(i) {
    return Math.floor(i / this.sockets);
  }

  peerAt(socket, slot) {
    return slot * this.sockets + socket;
  }

  listenPort(i) {
    return BASE_LISTEN_PORT + this.slotOf(i);
  }

  address(socket) {
    return `127.${this.group}.${Math.floor(socket / 250)}.${(socket % 250) + 1}`;
  }

  /** The peer announced at (host, port), or -1 if it is none of ours. */
  peerOfAddress(host, port) {
    const parts = host.replace(/^::ffff:/, '').split('.');
    if (parts.length !== 4 || Number(parts[0]) !== 127 || Number(parts[1]) !== this.group) return -1;
    const socket = Number(parts[2]) * 250 + Number(parts[3]) - 1;
    const slot = port - BASE_LISTEN_PORT;
    const i = this.peerAt(socket, slot);
    return socket >= 0 && socket < this.sockets && slot >= 0 && i < this.peers ? i : -1;
  }

  /** Binds one UDP socket per source address; `onMessage(socketIndex, msg)`. */
  async bind(onMessage) {
    const sockets = [];
    for (let s = 0; s < this.sockets; s++) {
      const socket = dgram.createSocket({ type: 'udp4', recvBufferSize: 1 << 20, sendBufferSize: 1 << 20 });
      socket.on('message', (msg) => onMessage(s, msg));
      socket.on('error', () => {}); // ICMP unreachable while the tracker is gone: the retransmit logic copes
      await new Promise((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(0, this.address(s), () => {
          socket.off('error', reject);
          resolve();
        });
      });
      sockets.push(socket);
    }
    return sockets;
  }
}

/**
 * The deterministic catalogue: peer i's file j is content (base_i + j·step) mod C, so files
 * have ~HOLDERS_PER_CONTENT holders and no peer has a content twice. Contents C…2C-1 are the
 * alternatives a peer swaps to when the announce phase changes one of its files.
 */
export class Catalogue {
  constructor(peers, filesPerPeer) {
    this.filesPerPeer = filesPerPeer;
    this.size = Math.max(MIN_CATALOGUE, Math.ceil((peers * filesPerPeer) / HOLDERS_PER_CONTENT), filesPerPeer);
    this.step = Math.floor(this.size / filesPerPeer);
    this.hashes = Buffer.alloc(64 * this.size); // 2C hashes of 32 bytes, computed on first use
    this.known = new Uint8Array(2 * this.size);
  }

  contentOf(i, j) {
    const base = Math.floor(((i * 2654435761) % 4294967296) / 4294967296 * this.size);
    return (base + j * this.step) % this.size;
  }

  alternative(k) {
    return k + this.size;
  }

  /** 32-byte content hash of k (SHA-256 of its label, as bench/tracker-ids.mjs). */
  hash(k) {
    if (!this.known[k]) {
      createHash('sha256').update(`bench-content-${k}`).digest().copy(this.hashes, 32 * k);
      this.known[k] = 1;
    }
    return this.hashes.subarray(32 * k, 32 * k + 32);
  }

  hashHex(k) {
    return this.hash(k).toString('hex');
  }

  name(k) {
    return contentName(k);
  }

  sizeOf(k) {
    return contentSize(k);
  }
}

/** Latencies in ms, kept in one growing Float64Array (capped), for p50 / p99. */
export class Latencies {
  constructor(cap = 4_000_000) {
    this.values = new Float64Array(1024);
    this.count = 0;
    this.cap = cap;
  }

  add(ms) {
    if (this.count === this.cap) return;
    if (this.count === this.values.length) {
      const grown = new Float64Array(Math.min(this.cap, this.values.length * 2));
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.count++] = ms;
  }

  percentile(p) {
    if (this.count === 0) return null;
    const sorted = this.values.slice(0, this.count).sort();
    return +sorted[Math.min(this.count - 1, Math.floor((p / 100) * this.count))].toFixed(3);
  }
}

/** CPU seconds (user + system) of a process, from /proc; NaN when unreadable. */
export function cpuSeconds(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

/** VmRSS and VmHWM of a process in bytes, from /proc/PID/status. */
export function memoryOf(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name) => Number(status.match(new RegExp(`${name}:\\s+(\\d+) kB`))?.[1]) * 1024;
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

export class PhaseOverrun extends Error {}

/** Resolves when `done()` (or `stopped()`: a signal) is true, checking every `everyMs`; rejects with PhaseOverrun at the deadline. */
export function until(done, deadline, what, stopped = () => false, everyMs = 20) {
  return new Promise((resolve, reject) => {
    const check = () => {
      try {
        if (done() || stopped()) return resolve();
      } catch (err) {
        return reject(err);
      }
      if (performance.now() > deadline) return reject(new PhaseOverrun(`${what}: did not finish within its deadline`));
      setTimeout(check, everyMs);
    };
    check();
  });
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A uniformly random integer below n. */
export const randomBelow = (n) => Math.floor(Math.random() * n);

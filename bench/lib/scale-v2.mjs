// Protocol v2 fleet of bench/tracker-scale.mjs: N simulated members speaking the control plane
// (docs/PROTOCOL.md §19) from many loopback source addresses, built from the project's own
// codec, seal and join proof (dist/). One request in flight per peer at most.
//
// How a reply finds its peer: COOKIE and WELCOME carry the clientNonce, whose low 4 bytes are
// the peer number. ACK and PEERS carry only the seq, so a peer's seqs start at
// slot × 2^20 + 1 (slot = its place on its socket) and grow by one per datagram: unique per
// socket, and the tracker's replay window accepts any increasing start (it starts at 1 in the
// real client).
import { randomFillSync } from 'node:crypto';
import { DatagramType } from '../../dist/shared/protocol/datagram.js';
import { announceBatches } from '../../dist/electron/engine/control/announce-codec.js';
import { isDrop, openBody, sealBody } from '../../dist/electron/engine/control/datagram-codec.js';
import { DatagramSeal } from '../../dist/electron/engine/control/datagram-seal.js';
import { verifyWelcome } from '../../dist/electron/engine/control/join-proof.js';
import { COUNTER_LIMIT, Catalogue, PeerLayout, randomBelow } from './scale-fleet.mjs';
import { ANSWER_BYTES, REQUEST_BYTES, signBatch } from './scale-join-signer.mjs';
import { LoadLoops } from './scale-loops.mjs';

const KIND = { NONE: 0, INIT: 1, SIGNING: 2, JOIN: 3, ANNOUNCE: 4, HEARTBEAT: 5, LOOKUP: 6, SWAP: 7, LEAVE: 8 };
const KIND_NAME = Object.fromEntries(Object.entries(KIND).map(([k, v]) => [v, k.toLowerCase()]));
/** Retransmission timeout: loopback answers in well under a millisecond unless the tracker queues. */
const RTO_MS = 2000;
/** Heartbeats are due in buckets of this many ms, sent each tick: small bursts, as independent peers would. */
const WHEEL_MS = 10;
/** Tries of one join (INIT → announced) before the peer counts as failed. */
const MAX_TRIES = 8;
/** A LEAVE is sent this many times at most, as the real client's retransmit queue does. */
const LEAVE_TRIES = 4;
const SIGN_BATCH = 64;
/** Batches signed per call (from a datagram or a tick), so the event loop keeps reading replies. */
const SIGN_BATCHES_PER_TURN = 2;
/** WELCOMEs whose tracker signature is checked: the first ones, then one in this many (a verify costs ~250 µs). */
const VERIFY_FIRST = 64;
const VERIFY_EVERY = 1024;
/** Lookups whose answer is checked against the catalogue: one in this many. */
const CHECK_EVERY = 4;
/** Files a swap may change (a bit each in `swapped`). */
const SWAP_FILES = 32;
/** pendingSeq of a request without a seq: no reply's seq or ref can match it (slot 4095, counter 0). */
const NO_SEQ = 0xfff00000;

export class V2Fleet {
  constructor({ host, port, key, peers, filesPerPeer, group = 60 }) {
    this.host = host;
    this.port = port;
    this.peers = peers;
    this.filesPerPeer = filesPerPeer;
    this.seal = new DatagramSeal(key, { accept: [DatagramType.COOKIE, DatagramType.WELCOME, DatagramType.ACK, DatagramType.PEERS, DatagramType.ERROR] });
    this.layout = new PeerLayout(peers, group);
    this.catalogue = new Catalogue(peers, filesPerPeer);
    // Per peer, typed arrays only (≈ 130 bytes a peer).
    this.kind = new Uint8Array(peers);
    this.member = new Uint8Array(peers); // 0 not joined, 1 member, 2 left
    this.tries = new Uint8Array(peers);
    this.batch = new Uint8Array(peers); // next announce batch of the fill
    this.uncertain = new Uint8Array(peers); // a swap timed out: what it holds is unknown
    this.counter = new Uint32Array(peers);
    this.pendingSeq = new Uint32Array(peers);
    this.nonce = new Uint32Array(peers); // random high half of the pending clientNonce
    this.swapped = new Uint32Array(peers);
    this.target = new Int32Array(peers); // content of the pending lookup / swap
    this.sentAt = new Float64Array(peers);
    this.tokens = Buffer.alloc(8 * peers);
    this.peerIds = Buffer.alloc(16 * peers);
    this.keyD = Buffer.alloc(32 * peers);
    this.keyX = Buffer.alloc(32 * peers);
    this.hasKey = new Uint8Array(peers);
    this.cookies = Buffer.alloc(8 * peers);
    this.inflight = new Set();
    this.byKind = new Int32Array(9); // requests in flight per KIND
    this.wheel = new Map(); // heartbeat due bucket (WHEEL_MS) → peers
    this.intervalMs = 0;
    this.online = 0;
    this.announced = 0;
    this.failed = 0;
    this.left = 0;
    this.nextToJoin = 0;
    this.signQueue = [];
    this.counts = { sent: 0, received: 0, retransmits: 0, replyDrops: {}, errors: {}, timeouts: {}, welcomeChecked: 0, welcomeBad: 0 };
    this.signing = { joins: 0, generated: 0, ms: 0 };
    this.lookupCheck = { checked: 0, holders: 0, wrong: 0, empty: 0, wrongSize: 0, samples: [] };
    this.heartbeats = { sent: 0, acked: 0 };
    this.loops = new LoadLoops(this);
  }

  async start() {
    this.sockets = await this.layout.bind((s, msg) => this.onMessage(s, msg));
    this.timer = setInterval(() => this.tick(), WHEEL_MS);
  }

  async close() {
    clearInterval(this.timer);
    this.loops.stop();
    await Promise.all((this.sockets ?? []).map((s) => new Promise((resolve) => s.close(resolve))));
  }

  // ------------------------------------------------------------ phases

  /** Starts joining every peer, at most `window` at a time; `done()` says when all are announced or failed. */
  fill(window) {
    this.fillWindow = window;
    this.pump();
    return () => this.announced + this.failed >= this.peers;
  }

  /** LEAVE for every member, `window` at a time; returns a done() check. */
  leaveAll(window) {
    this.leaving = { next: 0, window };
    this.loops.stop();
    return () => this.leaving.next >= this.peers && this.byKind[KIND.LEAVE] === 0;
  }

  // ------------------------------------------------------------ sending

  send(peer, buf) {
    this.counts.sent++;
    this.sockets[this.layout.socketOf(peer)].send(buf, this.port, this.host);
  }

  nextSeq(peer) {
    const n = ++this.counter[peer];
    if (n >= COUNTER_LIMIT) throw new Error(`peer ${peer} ran out of seqs`);
    return this.layout.slotOf(peer) * COUNTER_LIMIT + n;
  }

  ref(peer) {
    return { peerId: this.peerIds.toString('hex', 16 * peer, 16 * peer + 16), token: this.tokens.subarray(8 * peer, 8 * peer + 8), seq: this.nextSeq(peer) };
  }

  setKind(peer, kind) {
    this.byKind[this.kind[peer]]--;
    this.byKind[kind]++;
    this.kind[peer] = kind;
  }

  request(peer, kind, msg) {
    this.setKind(peer, kind);
    this.pendingSeq[peer] = msg.seq ?? NO_SEQ; // INIT: no seq, so no ERROR ref (0 for a JOIN) matches it
    this.sentAt[peer] = performance.now();
    this.inflight.add(peer);
    this.send(peer, sealBody(this.seal, msg));
  }

  done(peer) {
    this.setKind(peer, KIND.NONE);
    this.inflight.delete(peer);
  }

  clientNonce(peer) {
    const nonce = Buffer.allocUnsafe(8);
    randomFillSync(nonce, 0, 4);
    nonce.writeUInt32BE(peer, 4);
    this.nonce[peer] = nonce.readUInt32BE(0);
    return nonce;
  }

  startJoin(peer) {
    this.member[peer] = 0;
    this.request(peer, KIND.INIT, { type: DatagramType.INIT, clientNonce: this.clientNonce(peer) });
  }

  /** Starts joins while the fill window has room. */
  pump() {
    if (!this.fillWindow) return;
    const k = this.byKind;
    while (k[KIND.INIT] + k[KIND.SIGNING] + k[KIND.JOIN] + k[KIND.ANNOUNCE] < this.fillWindow && this.nextToJoin < this.peers) this.startJoin(this.nextToJoin++);
  }

  joinEnded(peer, ok) {
    if (ok) this.announced++;
    else this.failed++;
    this.pump();
  }

  /** A join step went wrong (timeout, error): start again from INIT, or give up. */
  rejoin(peer) {
    if (++this.tries[peer] >= MAX_TRIES) {
      this.done(peer);
      this.joinEnded(peer, false);
      return;
    }
    this.counts.retransmits++;
    this.startJoin(peer);
  }

  sendAnnounceBatch(peer) {
    const files = [];
    for (let j = 0; j < this.filesPerPeer; j++) files.push(this.fileOf(peer, j));
    const { batches } = announceBatches(files, []);
    const b = this.batch[peer];
    this.request(peer, KIND.ANNOUNCE, { type: DatagramType.ANNOUNCE, ...this.ref(peer), reset: b === 0, add: batches[b].add, remove: [] });
    return batches.length;
  }

  fileOf(peer, j) {
    const k = this.currentContent(peer, j);
    return { path: this.catalogue.name(k), size: this.catalogue.sizeOf(k), hash: this.catalogue.hashHex(k) };
  }

  currentContent(peer, j) {
    const k = this.catalogue.contentOf(peer, j);
    return j < SWAP_FILES && this.swapped[peer] & (1 << j) ? this.catalogue.alternative(k) : k;
  }

  /** A member that holds no request: for lookups, swaps, heartbeats. -1 if none found quickly. */
  idleMember() {
    for (let tries = 0; tries < 16; tries++) {
      const peer = randomBelow(this.peers);
      if (this.member[peer] === 1 && this.kind[peer] === KIND.NONE) return peer;
    }
    return -1;
  }

  /** LOOKUP from an idle member for one of its own files' contents (another holder answers). */
  sendLookup() {
    const peer = this.idleMember();
    if (peer < 0) return false;
    const k = this.currentContent(peer, randomBelow(this.filesPerPeer));
    this.target[peer] = k;
    this.request(peer, KIND.LOOKUP, { type: DatagramType.LOOKUP, ...this.ref(peer), hash: this.catalogue.hashHex(k) });
    return true;
  }

  /** ANNOUNCE that swaps one file of an idle member for its alternative content (one remove, one add). */
  sendSwap() {
    const peer = this.idleMember();
    if (peer < 0 || this.uncertain[peer]) return false;
    const j = randomBelow(Math.min(SWAP_FILES, this.filesPerPeer));
    const before = this.currentContent(peer, j);
    this.swapped[peer] ^= 1 << j;
    const after = this.fileOf(peer, j);
    this.swapped[peer] ^= 1 << j; // applied when acknowledged
    this.target[peer] = j;
    this.request(peer, KIND.SWAP, { type: DatagramType.ANNOUNCE, ...this.ref(peer), reset: false, add: [after], remove: [this.catalogue.name(before)] });
    return true;
  }

  sendHeartbeat(peer) {
    this.heartbeats.sent++;
    this.request(peer, KIND.HEARTBEAT, { type: DatagramType.HEARTBEAT, ...this.ref(peer) });
  }

  scheduleHeartbeat(peer, inMs) {
    const due = Math.floor((performance.now() + inMs) / WHEEL_MS);
    let bucket = this.wheel.get(due);
    if (!bucket) this.wheel.set(due, (bucket = []));
    bucket.push(peer);
  }

  // ------------------------------------------------------------ receiving

  onMessage(socket, datagram) {
    this.counts.received++;
    const msg = openBody(this.seal, datagram);
    if (isDrop(msg)) {
      this.counts.replyDrops[msg.drop] = (this.counts.replyDrops[msg.drop] ?? 0) + 1;
      return;
    }
    switch (msg.type) {
      case DatagramType.COOKIE:
        return this.onCookie(msg);
      case DatagramType.WELCOME:
        return this.onWelcome(msg);
      case DatagramType.ACK:
      case DatagramType.PEERS:
      case DatagramType.ERROR: {
        const seq = msg.type === DatagramType.ERROR ? msg.ref : msg.seq;
        const peer = this.layout.peerAt(socket, Math.floor(seq / COUNTER_LIMIT));
        if (peer >= this.peers || this.pendingSeq[peer] !== seq || this.kind[peer] === KIND.NONE) {
          if (msg.type === DatagramType.ERROR) this.countError(msg.code);
          return; // late (after a timeout) or not ours
        }
        if (msg.type === DatagramType.ERROR) return this.onError(peer, msg);
        if (msg.intervalMs) this.intervalMs = msg.intervalMs;
        if (msg.peersOnline !== undefined) this.online = msg.peersOnline;
        return msg.type === DatagramType.ACK ? this.onAck(peer) : this.onPeers(peer, msg);
      }
    }
  }

  noncePeer(clientNonce, kind) {
    const peer = clientNonce.readUInt32BE(4);
    return peer < this.peers && this.kind[peer] === kind && this.nonce[peer] === clientNonce.readUInt32BE(0) ? peer : -1;
  }

  onCookie(msg) {
    const peer = this.noncePeer(msg.clientNonce, KIND.INIT);
    if (peer < 0) return;
    this.setKind(peer, KIND.SIGNING);
    this.sentAt[peer] = performance.now();
    msg.cookie.copy(this.cookies, 8 * peer);
    const req = Buffer.alloc(REQUEST_BYTES);
    req.writeUInt32BE(peer, 0);
    req.writeUInt16BE(this.layout.listenPort(peer), 4);
    req[6] = this.hasKey[peer];
    msg.cookie.copy(req, 7);
    this.clientNonce(peer).copy(req, 15);
    if (this.hasKey[peer]) {
      this.keyD.copy(req, 23, 32 * peer, 32 * peer + 32);
      this.keyX.copy(req, 55, 32 * peer, 32 * peer + 32);
    }
    this.signQueue.push(req);
    if (this.signQueue.length >= SIGN_BATCH) this.flushSigning();
  }

  flushSigning() {
    for (let n = 0; n < SIGN_BATCHES_PER_TURN && this.signQueue.length > 0; n++) this.onSigned(signBatch(Buffer.concat(this.signQueue.splice(0, SIGN_BATCH))));
  }

  onSigned({ out: buf, ms, generated }) {
    const count = buf.length / ANSWER_BYTES;
    this.signing.ms += ms;
    this.signing.joins += count;
    this.signing.generated += generated;
    for (let n = 0; n < count; n++) {
      const at = n * ANSWER_BYTES;
      const peer = buf.readUInt32BE(at);
      if (this.kind[peer] !== KIND.SIGNING) continue; // timed out meanwhile
      buf.copy(this.keyX, 32 * peer, at + 4, at + 36);
      buf.copy(this.keyD, 32 * peer, at + 100, at + 132);
      buf.copy(this.peerIds, 16 * peer, at + 132, at + 148);
      this.hasKey[peer] = 1;
      this.sendJoin(peer, buf.subarray(at + 36, at + 100));
    }
  }

  sendJoin(peer, signature) {
    // The body as join-proof.ts lays it out: cookie nonce peerId listenPort publicKey signature.
    const body = Buffer.allocUnsafe(130);
    body.set(this.lastCookie(peer), 0);
    body.writeUInt32BE(this.nonce[peer], 8);
    body.writeUInt32BE(peer, 12);
    this.peerIds.copy(body, 16, 16 * peer, 16 * peer + 16);
    body.writeUInt16BE(this.layout.listenPort(peer), 32);
    this.keyX.copy(body, 34, 32 * peer, 32 * peer + 32);
    signature.copy(body, 66);
    this.setKind(peer, KIND.JOIN);
    this.pendingSeq[peer] = NO_SEQ;
    this.sentAt[peer] = performance.now();
    this.send(peer, this.seal.seal(DatagramType.JOIN, 0, body));
  }

  onWelcome(msg) {
    const peer = this.noncePeer(msg.clientNonce, KIND.JOIN);
    if (peer < 0) return;
    const n = this.counts.welcomeChecked + this.counts.welcomeBad;
    if (n < VERIFY_FIRST || this.announced % VERIFY_EVERY === 0) {
      if (verifyWelcome(msg, msg.clientNonce)) this.counts.welcomeChecked++;
      else this.counts.welcomeBad++;
    }
    msg.token.copy(this.tokens, 8 * peer);
    this.counter[peer] = 0;
    this.intervalMs = msg.intervalMs;
    this.online = msg.peersOnline;
    this.member[peer] = 1;
    this.batch[peer] = 0;
    this.sendAnnounceBatch(peer);
  }

  onAck(peer) {
    const kind = this.kind[peer];
    this.done(peer);
    if (kind === KIND.ANNOUNCE) {
      const batches = ++this.batch[peer];
      if (batches < this.sendAnnounceBatchCount(peer)) return void this.sendAnnounceBatch(peer);
      this.scheduleHeartbeat(peer, this.intervalMs);
      this.joinEnded(peer, true);
    } else if (kind === KIND.HEARTBEAT) {
      this.heartbeats.acked++;
    } else if (kind === KIND.SWAP) {
      this.swapped[peer] ^= 1 << this.target[peer];
      this.loops.completed('announce', performance.now() - this.sentAt[peer]);
    } else if (kind === KIND.LEAVE) {
      this.member[peer] = 2;
      this.left++;
      this.leaveNext();
    }
  }

  sendAnnounceBatchCount(peer) {
    if (this.filesPerPeer <= 12) return 1; // 12 catalogue names fit one datagram with room to spare
    const files = [];
    for (let j = 0; j < this.filesPerPeer; j++) files.push(this.fileOf(peer, j));
    return announceBatches(files, []).batches.length;
  }

  onPeers(peer, msg) {
    const latency = performance.now() - this.sentAt[peer];
    const k = this.target[peer];
    this.done(peer);
    this.loops.completed('lookup', latency);
    if (this.loops.lookups % CHECK_EVERY === 0) this.checkPeers(peer, k, msg);
  }

  /** Every holder returned must be one of ours, with its own peer id, and hold content k. */
  checkPeers(asker, k, msg) {
    const c = this.lookupCheck;
    c.checked++;
    if (msg.hash !== this.catalogue.hashHex(k)) c.wrong++;
    if (msg.peers.length === 0) return void c.empty++;
    if (msg.size !== this.catalogue.sizeOf(k)) c.wrongSize++;
    for (const holder of msg.peers) {
      c.holders++;
      const i = this.layout.peerOfAddress(holder.host, holder.port);
      if (i < 0 || this.uncertain[i] || this.kind[i] === KIND.SWAP) continue;
      let holds = false;
      for (let j = 0; j < this.filesPerPeer && !holds; j++) holds = this.currentContent(i, j) === k;
      if (!holds || holder.peerId !== this.peerIds.toString('hex', 16 * i, 16 * i + 16) || i === asker) {
        c.wrong++;
        if (c.samples.length < 5) c.samples.push(`${holder.host}:${holder.port} for content ${k} (peer ${i})`);
      }
    }
  }

  onError(peer, msg) {
    const kind = this.kind[peer];
    if (kind === KIND.LEAVE && msg.code === 'unknown_peer' && this.tries[peer] > 0) {
      // A retransmitted LEAVE whose first copy got there (its ACK was lost): the member is gone, as asked.
      this.counts.leaveAckLost = (this.counts.leaveAckLost ?? 0) + 1;
      return this.onAck(peer);
    }
    this.countError(msg.code);
    if (msg.code === 'unknown_peer' && kind !== KIND.LEAVE) {
      // Dropped by the tracker (expired): join again and re-announce with reset.
      this.done(peer);
      if (this.member[peer] === 1) this.announced--;
      this.member[peer] = 0;
      this.tries[peer] = 0;
      this.batch[peer] = 0;
      this.startJoin(peer);
      return;
    }
    this.done(peer);
    if (kind === KIND.ANNOUNCE) this.rejoin(peer);
    else if (kind === KIND.SWAP) this.loops.completed('announce', NaN);
    else if (kind === KIND.LOOKUP) this.loops.completed('lookup', NaN);
  }

  countError(code) {
    this.counts.errors[code] = (this.counts.errors[code] ?? 0) + 1;
  }

  // ------------------------------------------------------------ time

  tick() {
    const now = performance.now();
    if (this.signQueue.length > 0) this.flushSigning();
    // Heartbeats due by now.
    const nowBucket = Math.floor(now / WHEEL_MS);
    // Only the buckets that came due since the last tick (scheduling is always ≥ 1 s ahead).
    for (let due = (this.wheelAt ?? nowBucket - 1) + 1; due <= nowBucket; due++) {
      const bucket = this.wheel.get(due);
      if (!bucket) continue;
      this.wheel.delete(due);
      for (const peer of bucket) {
        if (this.member[peer] !== 1) continue;
        if (this.kind[peer] !== KIND.NONE) this.scheduleHeartbeat(peer, 1000);
        else {
          this.sendHeartbeat(peer);
          this.scheduleHeartbeat(peer, this.intervalMs);
        }
      }
    }
    // Timeouts.
    this.wheelAt = nowBucket;
    for (const peer of this.inflight) {
      const kind = this.kind[peer];
      // A peer waiting for its signature is not late: the queue is signed within a few ticks.
      if (now - this.sentAt[peer] < RTO_MS || kind === KIND.SIGNING) continue;
      const name = KIND_NAME[kind];
      this.counts.timeouts[name] = (this.counts.timeouts[name] ?? 0) + 1;
      if (kind === KIND.INIT || kind === KIND.JOIN || kind === KIND.ANNOUNCE) {
        this.rejoin(peer);
      } else if (kind === KIND.LEAVE && ++this.tries[peer] < LEAVE_TRIES) {
        this.counts.retransmits++;
        this.request(peer, KIND.LEAVE, { type: DatagramType.LEAVE, ...this.ref(peer) });
      } else {
        this.done(peer);
        if (kind === KIND.SWAP) {
          this.uncertain[peer] = 1;
          this.loops.completed('announce', NaN);
        } else if (kind === KIND.LOOKUP) this.loops.completed('lookup', NaN);
        else if (kind === KIND.LEAVE) this.leaveNext();
      }
    }
    if (this.leaving) this.leaveNext();
  }

  leaveNext() {
    const l = this.leaving;
    while (this.byKind[KIND.LEAVE] < l.window && l.next < this.peers) {
      const peer = l.next++;
      if (this.member[peer] !== 1) continue;
      if (this.kind[peer] !== KIND.NONE) this.done(peer);
      this.tries[peer] = 0;
      this.request(peer, KIND.LEAVE, { type: DatagramType.LEAVE, ...this.ref(peer) });
    }
  }

  lastCookie(peer) {
    return this.cookies.subarray(8 * peer, 8 * peer + 8);
  }
}

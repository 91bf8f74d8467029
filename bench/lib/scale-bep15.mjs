// BEP 15 fleet of bench/tracker-scale.mjs: the same peers, files and load shapes as the v2
// fleet, spoken to a BitTorrent UDP tracker (opentracker) so the two are measured side by side.
// BitTorrent has one info hash per announce, so a peer's F files are F announces (info hash =
// the first 20 bytes of the content hash); a "lookup" is an announce with num_want 50 of one of
// the peer's own contents (it stores nothing new), a changed file an announce of the alternative
// content, the clean stop an event=stopped announce per file. No sealing, no identity, no names.
// Transaction ids route answers as v2's seqs do: slot × 2^20 + a counter.
import { COUNTER_LIMIT, Catalogue, PeerLayout, randomBelow } from './scale-fleet.mjs';
import { LoadLoops } from './scale-loops.mjs';

const KIND = { NONE: 0, CONNECT: 1, FILL: 2, LOOKUP: 3, SWAP: 4, STOP: 5, REANNOUNCE: 6 };
const KIND_NAME = Object.fromEntries(Object.entries(KIND).map(([k, v]) => [v, k.toLowerCase()]));
const PROTOCOL_ID = 0x41727101980n;
const ACTION = { CONNECT: 0, ANNOUNCE: 1, ERROR: 3 };
const EVENT = { NONE: 0, COMPLETED: 1, STARTED: 2, STOPPED: 3 };
const RTO_MS = 2000;
/** Heartbeats are due in buckets of this many ms, sent each tick: small bursts, as independent peers would. */
const WHEEL_MS = 10;
const MAX_TRIES = 8;
const LOOKUP_WANT = 50;
const CHECK_EVERY = 4;
const SWAP_FILES = 32;

export class Bep15Fleet {
  constructor({ host, port, peers, filesPerPeer, group = 61 }) {
    this.host = host;
    this.port = port;
    this.peers = peers;
    this.filesPerPeer = filesPerPeer;
    this.layout = new PeerLayout(peers, group);
    this.catalogue = new Catalogue(peers, filesPerPeer);
    this.kind = new Uint8Array(peers);
    this.member = new Uint8Array(peers);
    this.tries = new Uint8Array(peers);
    this.file = new Uint16Array(peers); // next file of the fill / reannounce / stop
    this.resume = new Uint8Array(peers); // what a peer that had to connect again goes on with
    this.counter = new Uint32Array(peers);
    this.pendingTx = new Uint32Array(peers);
    this.swapped = new Uint32Array(peers);
    this.target = new Int32Array(peers);
    this.sentAt = new Float64Array(peers);
    this.connIds = Buffer.alloc(8 * peers);
    this.inflight = new Set();
    this.byKind = new Int32Array(8);
    this.wheel = new Map();
    this.intervalMs = 0;
    this.announced = 0;
    this.failed = 0;
    this.left = 0;
    this.nextToJoin = 0;
    this.counts = { sent: 0, received: 0, retransmits: 0, replyDrops: {}, errors: {}, timeouts: {} };
    this.lookupCheck = { checked: 0, holders: 0, wrong: 0, empty: 0, samples: [] };
    this.heartbeats = { sent: 0, acked: 0 };
    this.loops = new LoadLoops(this);
    this.out = Buffer.alloc(98);
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

  fill(window) {
    this.fillWindow = window;
    this.pump();
    return () => this.announced + this.failed >= this.peers;
  }

  leaveAll(window) {
    this.leaving = { next: 0, window };
    this.loops.stop();
    return () => this.leaving.next >= this.peers && this.byKind[KIND.STOP] === 0;
  }

  setKind(peer, kind) {
    this.byKind[this.kind[peer]]--;
    this.byKind[kind]++;
    this.kind[peer] = kind;
  }

  done(peer) {
    this.setKind(peer, KIND.NONE);
    this.inflight.delete(peer);
  }

  nextTx(peer) {
    const n = ++this.counter[peer];
    if (n >= COUNTER_LIMIT) this.counter[peer] = 1;
    return this.layout.slotOf(peer) * COUNTER_LIMIT + this.counter[peer];
  }

  send(peer, kind, length) {
    this.setKind(peer, kind);
    this.sentAt[peer] = performance.now();
    this.inflight.add(peer);
    this.counts.sent++;
    this.sockets[this.layout.socketOf(peer)].send(Buffer.from(this.out.subarray(0, length)), this.port, this.host);
  }

  connect(peer) {
    const b = this.out;
    b.writeBigUInt64BE(PROTOCOL_ID, 0);
    b.writeUInt32BE(ACTION.CONNECT, 8);
    b.writeUInt32BE((this.pendingTx[peer] = this.nextTx(peer)), 12);
    this.send(peer, KIND.CONNECT, 16);
  }

  announce(peer, kind, content, event, want) {
    const b = this.out;
    this.connIds.copy(b, 0, 8 * peer, 8 * peer + 8);
    b.writeUInt32BE(ACTION.ANNOUNCE, 8);
    b.writeUInt32BE((this.pendingTx[peer] = this.nextTx(peer)), 12);
    this.catalogue.hash(content).copy(b, 16, 0, 20);
    b.write('-BS0001-', 36, 'latin1');
    b.writeUInt32BE(0, 44);
    b.writeUInt32BE(0, 48);
    b.writeUInt32BE(peer, 52); // peer_id: prefix and the peer number
    b.fill(0, 56, 80); // downloaded, left (a seeder), uploaded
    b.writeUInt32BE(event, 80);
    b.writeUInt32BE(0, 84); // ip: the source address
    b.writeUInt32BE(peer, 88); // key
    b.writeInt32BE(want, 92);
    b.writeUInt16BE(this.layout.listenPort(peer), 96);
    this.send(peer, kind, 98);
  }

  pump() {
    if (!this.fillWindow) return;
    while (this.byKind[KIND.CONNECT] + this.byKind[KIND.FILL] < this.fillWindow && this.nextToJoin < this.peers) {
      const peer = this.nextToJoin++;
      this.file[peer] = 0;
      this.connect(peer);
    }
  }

  retry(peer) {
    if (++this.tries[peer] >= MAX_TRIES) {
      this.done(peer);
      this.failed++;
      return this.pump();
    }
    this.counts.retransmits++;
    this.connect(peer);
  }

  idleMember() {
    for (let tries = 0; tries < 16; tries++) {
      const peer = randomBelow(this.peers);
      if (this.member[peer] === 1 && this.kind[peer] === KIND.NONE) return peer;
    }
    return -1;
  }

  sendLookup() {
    const peer = this.idleMember();
    if (peer < 0) return false;
    const k = this.catalogue.contentOf(peer, randomBelow(this.filesPerPeer));
    this.target[peer] = k;
    this.announce(peer, KIND.LOOKUP, k, EVENT.NONE, LOOKUP_WANT);
    return true;
  }

  sendSwap() {
    const peer = this.idleMember();
    if (peer < 0) return false;
    const j = randomBelow(Math.min(SWAP_FILES, this.filesPerPeer));
    this.target[peer] = j;
    this.announce(peer, KIND.SWAP, this.catalogue.alternative(this.catalogue.contentOf(peer, j)), EVENT.STARTED, 0);
    return true;
  }

  scheduleReannounce(peer, inMs) {
    const due = Math.floor((performance.now() + inMs) / WHEEL_MS);
    let bucket = this.wheel.get(due);
    if (!bucket) this.wheel.set(due, (bucket = []));
    bucket.push(peer);
  }

  onMessage(socket, msg) {
    this.counts.received++;
    if (msg.length < 8) return this.dropped('truncated');
    const action = msg.readUInt32BE(0);
    const tx = msg.readUInt32BE(4);
    const peer = this.layout.peerAt(socket, Math.floor(tx / COUNTER_LIMIT));
    if (peer >= this.peers || this.pendingTx[peer] !== tx || this.kind[peer] === KIND.NONE) return;
    const kind = this.kind[peer];
    if (action === ACTION.ERROR) {
      const text = msg.toString('utf8', 8, Math.min(msg.length, 80));
      this.counts.errors[text] = (this.counts.errors[text] ?? 0) + 1;
      this.done(peer);
      if (kind === KIND.CONNECT || kind === KIND.FILL) return this.retry(peer);
      if (kind === KIND.LOOKUP || kind === KIND.SWAP) this.loops.completed(kind === KIND.LOOKUP ? 'lookup' : 'announce', NaN);
      // Most likely an expired connection id (BEP 15: about two minutes): connect again, go on.
      this.resume[peer] = kind === KIND.REANNOUNCE || kind === KIND.STOP ? kind : KIND.NONE;
      return this.connect(peer);
    }
    if (action === ACTION.CONNECT && kind === KIND.CONNECT && msg.length >= 16) {
      msg.copy(this.connIds, 8 * peer, 8, 16);
      const resume = this.resume[peer];
      this.resume[peer] = KIND.NONE;
      if (this.member[peer] === 1 && resume === KIND.NONE) return this.done(peer);
      if (resume === KIND.NONE) this.file[peer] = 0;
      const next = resume === KIND.NONE ? KIND.FILL : resume;
      return this.announce(peer, next, this.catalogue.contentOf(peer, this.file[peer]), next === KIND.STOP ? EVENT.STOPPED : next === KIND.FILL ? EVENT.STARTED : EVENT.NONE, 0);
    }
    if (action !== ACTION.ANNOUNCE || msg.length < 20 || (msg.length - 20) % 6 !== 0) return this.dropped('bad_answer');
    this.intervalMs = msg.readUInt32BE(8) * 1000;
    const latency = performance.now() - this.sentAt[peer];
    this.done(peer);
    switch (kind) {
      case KIND.FILL:
      case KIND.REANNOUNCE:
        if (++this.file[peer] < this.filesPerPeer) return this.announce(peer, kind, this.catalogue.contentOf(peer, this.file[peer]), kind === KIND.FILL ? EVENT.STARTED : EVENT.NONE, 0);
        if (kind === KIND.REANNOUNCE) this.heartbeats.acked++;
        else {
          this.member[peer] = 1;
          this.announced++;
          this.pump();
        }
        return this.scheduleReannounce(peer, this.intervalMs);
      case KIND.LOOKUP:
        this.loops.completed('lookup', latency);
        if (this.loops.lookups % CHECK_EVERY === 0) this.checkPeers(this.target[peer], msg);
        return;
      case KIND.SWAP:
        this.swapped[peer] |= 1 << this.target[peer];
        return this.loops.completed('announce', latency);
      case KIND.STOP:
        if (++this.file[peer] < this.filesPerPeer) return this.announce(peer, KIND.STOP, this.catalogue.contentOf(peer, this.file[peer]), EVENT.STOPPED, 0);
        this.member[peer] = 2;
        this.left++;
        return this.leaveNext();
    }
  }

  /** Every (ip, port) returned must be one of ours that announced content k (a BitTorrent peer list has no ids). */
  checkPeers(k, msg) {
    const c = this.lookupCheck;
    c.checked++;
    if (msg.length === 20) return void c.empty++;
    for (let at = 20; at < msg.length; at += 6) {
      c.holders++;
      const host = `${msg[at]}.${msg[at + 1]}.${msg[at + 2]}.${msg[at + 3]}`;
      const port = msg.readUInt16BE(at + 4);
      const i = this.layout.peerOfAddress(host, port);
      let holds = false;
      for (let j = 0; i >= 0 && j < this.filesPerPeer && !holds; j++) holds = this.catalogue.contentOf(i, j) === k;
      if (!holds) {
        c.wrong++;
        if (c.samples.length < 5) c.samples.push(`${host}:${port} for content ${k}`);
      }
    }
  }

  dropped(reason) {
    this.counts.replyDrops[reason] = (this.counts.replyDrops[reason] ?? 0) + 1;
  }

  tick() {
    const now = performance.now();
    const nowBucket = Math.floor(now / WHEEL_MS);
    // Only the buckets that came due since the last tick (scheduling is always ≥ 1 s ahead).
    for (let due = (this.wheelAt ?? nowBucket - 1) + 1; due <= nowBucket; due++) {
      const bucket = this.wheel.get(due);
      if (!bucket) continue;
      this.wheel.delete(due);
      for (const peer of bucket) {
        if (this.member[peer] !== 1) continue;
        if (this.kind[peer] !== KIND.NONE) {
          this.scheduleReannounce(peer, 1000);
          continue;
        }
        this.heartbeats.sent++;
        this.file[peer] = 0;
        this.announce(peer, KIND.REANNOUNCE, this.catalogue.contentOf(peer, 0), EVENT.NONE, 0);
        this.scheduleReannounce(peer, this.intervalMs);
      }
    }
    this.wheelAt = nowBucket;
    for (const peer of this.inflight) {
      if (now - this.sentAt[peer] < RTO_MS) continue;
      const kind = this.kind[peer];
      const name = KIND_NAME[kind];
      this.counts.timeouts[name] = (this.counts.timeouts[name] ?? 0) + 1;
      if (kind === KIND.CONNECT || kind === KIND.FILL) {
        this.retry(peer);
        continue;
      }
      if (kind === KIND.STOP && ++this.tries[peer] < MAX_TRIES) {
        this.counts.retransmits++;
        this.announce(peer, KIND.STOP, this.catalogue.contentOf(peer, this.file[peer]), EVENT.STOPPED, 0);
        continue;
      }
      this.done(peer);
      if (kind === KIND.LOOKUP) this.loops.completed('lookup', NaN);
      else if (kind === KIND.SWAP) this.loops.completed('announce', NaN);
    }
    if (this.leaving) this.leaveNext();
  }

  leaveNext() {
    const l = this.leaving;
    while (this.byKind[KIND.STOP] < l.window && l.next < this.peers) {
      const peer = l.next++;
      if (this.member[peer] !== 1) continue;
      if (this.kind[peer] !== KIND.NONE) this.done(peer);
      this.file[peer] = 0;
      this.tries[peer] = 0;
      this.announce(peer, KIND.STOP, this.catalogue.contentOf(peer, 0), EVENT.STOPPED, 0);
    }
  }
}

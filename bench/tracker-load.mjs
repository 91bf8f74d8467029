// Load generator for bench/tracker.mjs, forked with IPC (commands in, one result per command out).
// One process drives every connection as a closed loop: each connection sends a request, waits
// for its answer, sends the next. The tracker under test runs in another process, so each gets
// a core. It speaks HTTP GET /announce to BitTorrent trackers and our wire protocol (hello,
// then announce / lookup frames, TLS 1.3 PSK or plain TCP) to ours.
import net from 'node:net';
import tls from 'node:tls';
import { readFileSync } from 'node:fs';
import { PeerIdentity } from '../dist/electron/engine/security/peer-identity.js';
import { derivePsk, parseNetworkKey } from '../dist/electron/engine/security/network-key.js';
import { MAX_FILES_PER_ANNOUNCE } from '../dist/shared/protocol/limits.js';
import { contentHash, contentName, contentSize, infoHash, sourceAddress } from './tracker-ids.mjs';

/** Connections per source IP: below our tracker's 32-per-IP admission limit. */
const PER_IP = 16;
/** Address groups (127.GROUP.x.y) so no two uses of the generator share a peer address. */
const GROUP = { probe: 1, prefill: 2, fill: 3, sessions: 4, load: 10 };
const CONNECT_TIMEOUT_MS = 10_000;
/** After the run's deadline, requests still in flight get this long to finish. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Held sessions ping this often, as the tracker's welcome asks (default heartbeatMs). */
const HEARTBEAT_MS = 4000;
const TLS_OPTIONS = { ciphers: 'TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256', minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
const EKM_LABEL = 'EXPORTER-p2pshare-identity';

let target; // { kind: 'http' | 'ours', port, key?, trackerPid, keepAlive? }
let psk;
const infoHashes = new Map(); // k → URL-encoded info hash
const contentHashes = new Map(); // k → hex
const holding = []; // our sessions kept open between commands (pre-fill, live-session memory)
let heartbeat;

const urlHash = (k) => {
  let s = infoHashes.get(k);
  if (!s) infoHashes.set(k, (s = [...infoHash(k)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('')));
  return s;
};
const hexHash = (k) => {
  let s = contentHashes.get(k);
  if (!s) contentHashes.set(k, (s = contentHash(k)));
  return s;
};

// ---------------------------------------------------------------- sockets

function connect(localAddress) {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port: target.port, localAddress };
    const secure = target.kind === 'ours' && psk;
    const socket = secure
      ? tls.connect({ ...options, ...TLS_OPTIONS, pskCallback: () => ({ psk, identity: 'p2pshare/v1' }), checkServerIdentity: () => undefined })
      : net.connect(options);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect from ${localAddress} timed out`));
    }, CONNECT_TIMEOUT_MS);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.setNoDelay(true);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

/** Reads CPU time (user + system, seconds) of a process from /proc; USER_HZ is 100 on Linux. */
function cpuSecondsOf(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------- HTTP (BitTorrent trackers)

/**
 * One HTTP client connection. Keep-alive when the tracker allows it; opentracker closes
 * after every answer, so then each request opens a new connection, and we wait for the
 * tracker's FIN first (it closes, so the TIME_WAIT stays on its side, not on our ports).
 */
class HttpConn {
  constructor(localAddress) {
    this.localAddress = localAddress;
    this.socket = null;
  }

  /** Sends one GET and calls back (ok, body) once the answer is complete. */
  request(path, done) {
    const text = `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    if (this.socket) return this.send(this.socket, text, done);
    // Plain callbacks, no timer: with a connection per request (opentracker) this path is the
    // generator's main cost, and so the limit of that tracker's figure. Node queues the write
    // until the connection is up; a failed connect ends in 'close', which fails the request.
    const socket = net.connect({ host: '127.0.0.1', port: target.port, ...(this.localAddress ? { localAddress: this.localAddress } : {}) });
    this.socket = socket;
    if (target.keepAlive) socket.setNoDelay(true);
    // Handlers ignore a socket that is no longer current (its late close must not fail the next request).
    socket.on('data', (chunk) => socket === this.socket && this.onData(chunk));
    socket.on('end', () => socket === this.socket && this.onEnd());
    socket.on('error', () => {});
    socket.on('close', () => socket === this.socket && this.onClose());
    this.send(socket, text, done);
  }

  send(socket, text, done) {
    this.done = done;
    this.buf = null;
    this.answered = null;
    this.ended = false;
    socket.write(text);
  }

  onData(chunk) {
    this.buf = this.buf ? Buffer.concat([this.buf, chunk]) : chunk;
    const head = this.buf.indexOf('\r\n\r\n');
    if (head < 0) return;
    const header = this.buf.toString('latin1', 0, head);
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(header)?.[1] ?? NaN);
    if (!Number.isFinite(length) || this.buf.length < head + 4 + length) return;
    const body = this.buf.subarray(head + 4, head + 4 + length);
    const ok = header.startsWith('HTTP/1.1 200') && !body.includes('failure reason');
    this.answered = { ok, body };
    if (target.keepAlive || this.ended) this.finish();
  }

  onEnd() {
    this.ended = true;
    if (this.answered) this.finish();
  }

  onClose() {
    this.socket = null;
    if (!this.done) return;
    if (this.answered) this.finish();
    else {
      // Closed before a complete answer: a failed request (after a turn, so a refused connect cannot spin).
      const done = this.done;
      this.done = null;
      setImmediate(() => done(false, null));
    }
  }

  finish() {
    const done = this.done;
    const { ok, body } = this.answered;
    this.done = null;
    this.answered = null;
    if (!target.keepAlive) this.close();
    done?.(ok, body);
  }

  close() {
    const socket = this.socket;
    this.socket = null;
    socket?.destroy();
  }
}

function announcePath(k, peerId, port, numwant) {
  return `/announce?info_hash=${urlHash(k)}&peer_id=${peerId}&port=${port}&uploaded=0&downloaded=0&left=1000&compact=1&numwant=${numwant}`;
}
/** 20-byte ASCII peer id, distinct per (group, index). */
const btPeerId = (group, i) => `-BN${String(group).padStart(3, '0')}-${String(i).padStart(13, '0')}`;
/** Peers in a compact answer (6 bytes each): `5:peers<len>:`. */
function compactPeers(body) {
  const m = /5:peers(\d+):/.exec(body?.toString('latin1') ?? '');
  return m ? Number(m[1]) / 6 : null;
}

// ---------------------------------------------------------------- our wire protocol

function frame(json) {
  const payload = Buffer.from(json);
  const out = Buffer.allocUnsafe(5 + payload.length);
  out.writeUInt32BE(payload.length + 1, 0);
  out[4] = 0;
  payload.copy(out, 5);
  return out;
}

const PREFIX = { peers: Buffer.from('{"type":"peers"'), ok: Buffer.from('{"type":"ok"'), pong: Buffer.from('{"type":"pong"') };

/** One of our tracker sessions: handshake done, then one request at a time. */
class Session {
  constructor(socket) {
    this.socket = socket;
    this.rest = null;
    this.onFrame = null; // (buf, start, end) → void
    this.nextId = 1;
    this.closed = false;
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => {
      this.closed = true;
      this.onFrame?.(null, 0, 0);
    });
  }

  static async open(localAddress, listenPort) {
    const socket = await connect(localAddress);
    const identity = PeerIdentity.generate();
    const hello = { type: 'hello', protocol: 'p2pshare', versions: [1], peerId: identity.peerId, listenPort, agent: 'bench' };
    if (psk) {
      const binding = socket.exportKeyingMaterial(32, EKM_LABEL, Buffer.alloc(0));
      hello.identity = { key: identity.publicKeyRaw.toString('base64'), sig: identity.sign(Buffer.concat([binding, Buffer.from('client')])).toString('base64') };
    }
    const session = new Session(socket);
    const welcome = await session.call(hello);
    if (welcome.type !== 'welcome') throw new Error(`handshake refused: ${JSON.stringify(welcome)}`);
    return session;
  }

  onData(chunk) {
    let buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 4) {
      const length = buf.readUInt32BE(at);
      if (buf.length - at - 4 < length) break;
      this.onFrame?.(buf, at + 5, at + 4 + length);
      at += 4 + length;
    }
    this.rest = at < buf.length ? buf.subarray(at) : null;
    buf = null;
  }

  /** Request/response for set-up steps: resolves with the parsed reply. */
  call(message) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no reply to ${message.type}`)), 30_000);
      this.onFrame = (buf, start, end) => {
        clearTimeout(timer);
        this.onFrame = null;
        if (!buf) return reject(new Error(`connection closed awaiting ${message.type}`));
        resolve(JSON.parse(buf.toString('utf8', start, end)));
      };
      this.socket.write(frame(JSON.stringify(message.type === 'hello' ? message : { ...message, id: this.nextId++ })));
    });
  }

  async announceAll(files) {
    for (let i = 0; i < files.length; i += MAX_FILES_PER_ANNOUNCE) {
      const reply = await this.call({ type: 'announce', reset: i === 0, add: files.slice(i, i + MAX_FILES_PER_ANNOUNCE), remove: [] });
      if (reply.type !== 'ok') throw new Error(`announce failed: ${JSON.stringify(reply)}`);
    }
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.onFrame = null;
    this.socket.end(frame('{"type":"bye"}'));
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }
}

/** Opens `count` sessions (numbered from `first`, which picks their addresses), at most `parallel` handshakes at a time. */
async function openSessions(group, count, listenPort, { parallel = 32, first = 0 } = {}) {
  const sessions = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const n = first + i;
      sessions[i] = await Session.open(sourceAddress(group, Math.floor(n / PER_IP)), listenPort > 0 ? listenPort + (n % PER_IP) : 0);
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
  return sessions;
}

// ---------------------------------------------------------------- closed loop

/**
 * Runs every worker as a closed loop: `issue(done)` sends one request and calls done(ok).
 * Answers are counted only inside the window [warmup, warmup + duration].
 */
function closedLoop(workers, { warmupMs, durationMs }) {
  return new Promise((resolve) => {
    let measuring = false;
    let stopped = false;
    let completed = 0;
    let errors = 0;
    let idle = 0;
    let t0 = 0;
    let t1 = 0;
    let cpu = null;
    let generatorCpu0;
    let trackerCpu0 = 0;
    let drainTimer;
    const finish = () => {
      clearTimeout(drainTimer);
      resolve({ completed, errors, ms: t1 - t0, cpu });
    };
    const loop = (w) => {
      if (stopped) {
        if (++idle === workers.length) finish();
        return;
      }
      w.issue((ok) => {
        if (measuring && ok) completed++;
        else if (measuring) errors++;
        loop(w);
      });
    };
    for (const w of workers) loop(w);
    setTimeout(() => {
      measuring = true;
      t0 = performance.now();
      generatorCpu0 = process.cpuUsage();
      trackerCpu0 = cpuSecondsOf(target.trackerPid);
    }, warmupMs);
    setTimeout(() => {
      measuring = false;
      t1 = performance.now();
      const seconds = (t1 - t0) / 1000;
      const used = process.cpuUsage(generatorCpu0);
      // Cores busy during the window (1.0 = one core): shows which side was the limit.
      cpu = { generator: +((used.user + used.system) / 1e6 / seconds).toFixed(2), tracker: +((cpuSecondsOf(target.trackerPid) - trackerCpu0) / seconds).toFixed(2) };
      stopped = true;
      drainTimer = setTimeout(finish, DRAIN_TIMEOUT_MS); // answers still missing by then are not waited for
    }, warmupMs + durationMs);
  });
}

// ---------------------------------------------------------------- commands

const commands = {
  setup(msg) {
    target = msg.target;
    psk = target.kind === 'ours' && target.key ? derivePsk(parseNetworkKey(target.key)) : undefined;
    return {};
  },

  /**
   * Requests that keep nothing (HTTP: scrapes of an unknown info hash; ours: a few sessions
   * that announce, list and leave), so the tracker's "idle" memory is that of a process that
   * has been busy: Node's young generation fills and its code gets compiled under any load,
   * and neither must be counted as stored peers.
   */
  async warm({ requests, connections }) {
    const started = performance.now();
    let left = requests;
    if (target.kind === 'http') {
      const unknown = '%ff'.repeat(20);
      await Promise.all(
        Array.from({ length: connections }, async (_, i) => {
          const conn = new HttpConn(sourceAddress(GROUP.probe, 1 + i));
          while (left-- > 0) await new Promise((resolve) => conn.request(`/scrape?info_hash=${unknown}`, resolve));
          conn.close();
        }),
      );
    } else {
      // Peer sessions that announce, list and leave: the code paths of the measured sessions get
      // compiled, and the listings (tens of KB each) run through all of the young generation.
      const sessions = await openSessions(GROUP.probe, connections, 9000);
      left = Math.ceil(requests / 4);
      await Promise.all(
        sessions.map(async (s, i) => {
          await s.announceAll(Array.from({ length: 10 }, (_, f) => ({ path: `warm/${i}/${f}.bin`, size: contentSize(f), hash: hexHash(f) })));
          while (left-- > 0) await s.call({ type: 'list', query: '', offset: 0, limit: 1000 });
          s.close();
        }),
      );
    }
    return { ms: Math.round(performance.now() - started) };
  },

  /** HTTP: does the tracker keep the connection open after an answer? Also proves it accepts our announces. */
  async probe() {
    const socket = await connect(sourceAddress(GROUP.probe, 0));
    const text = `GET ${announcePath(0, btPeerId(GROUP.probe, 0), 9, 1)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`;
    const result = await new Promise((resolve) => {
      let data = '';
      let answered = false;
      const timer = setTimeout(() => resolve({ keepAlive: answered, answer: data.slice(0, 300) }), 1000);
      socket.on('data', (d) => {
        data += d.toString('latin1');
        answered = /\r\n\r\n/.test(data);
      });
      socket.on('end', () => {
        clearTimeout(timer);
        resolve({ keepAlive: false, answer: data.slice(0, 300) });
      });
      socket.write(text);
    });
    socket.destroy();
    result.accepted = /^HTTP\/1\.1 200/.test(result.answer) && !result.answer.includes('failure reason');
    target.keepAlive = result.keepAlive;
    return result;
  },

  /** Swarms 0 … swarms-1, each with `peers` holders, so lookups return real peer lists. */
  async prefill({ swarms, peers }) {
    const started = performance.now();
    if (target.kind === 'http') {
      let failed = 0;
      await Promise.all(
        Array.from({ length: peers }, (_, j) => {
          const conn = new HttpConn(sourceAddress(GROUP.prefill, j));
          const id = btPeerId(GROUP.prefill, j);
          return (async () => {
            for (let k = 0; k < swarms; k++) {
              const ok = await new Promise((resolve) => conn.request(announcePath(k, id, 7000, 1), (okay) => resolve(okay)));
              if (!ok) failed++;
            }
            conn.close();
          })();
        }),
      );
      if (failed > 0) throw new Error(`pre-fill: ${failed} announces failed`);
    } else {
      const sessions = await openSessions(GROUP.prefill, peers, 7000);
      const files = Array.from({ length: swarms }, (_, k) => ({ path: contentName(k), size: contentSize(k), hash: hexHash(k) }));
      await Promise.all(sessions.map((s) => s.announceAll(files)));
      holding.push(...sessions);
      startHeartbeat();
    }
    return { ms: Math.round(performance.now() - started) };
  },

  /** One measured run: `connections` clients, `op` announce or lookup, closed loop. */
  async load({ op, connections, swarms, warmupMs, durationMs, run }) {
    const group = GROUP.load + run;
    let workers;
    let sample = null;
    let close;
    if (target.kind === 'http') {
      // Each connection is one peer (its own IP:port); it walks the swarms. A BitTorrent
      // "lookup" is an announce asking for 50 peers; an "announce" asks for 1 (bittorrent-tracker reads 0 as 50).
      const numwant = op === 'lookup' ? 50 : 1;
      workers = Array.from({ length: connections }, (_, i) => {
        // Spread over source addresses like ours: with one, connect() slows down as the ephemeral
        // ports fill (opentracker needs a connection per request), costing its figure a third.
        const conn = new HttpConn(sourceAddress(group, Math.floor(i / PER_IP)));
        const id = btPeerId(group, i);
        const port = 20000 + i;
        let k = (i * 7919) % swarms;
        return {
          conn,
          issue(done) {
            k = (k + 1) % swarms;
            conn.request(announcePath(k, id, port, numwant), (ok, body) => {
              if (sample === null && ok) sample = { peersPerAnswer: compactPeers(body), answerBytes: body.length };
              done(ok);
            });
          },
        };
      });
      close = () => workers.forEach((w) => w.conn.close());
    } else {
      const sessions = await openSessions(group, connections, 20000);
      workers = sessions.map((session, i) => {
        let k = (i * 7919) % swarms;
        let held = -1;
        let pending = null;
        session.onFrame = (buf, start, end) => {
          const done = pending;
          pending = null;
          if (!buf) return done?.(false);
          const expect = op === 'lookup' ? PREFIX.peers : PREFIX.ok;
          const ok = buf.compare(expect, 0, expect.length, start, start + expect.length) === 0;
          if (sample === null && ok) {
            const reply = JSON.parse(buf.toString('utf8', start, end));
            sample = { peersPerAnswer: reply.peers?.length ?? null, answerBytes: end - start };
          }
          done?.(ok);
        };
        return {
          issue(done) {
            if (session.closed) return setImmediate(() => done(false));
            k = (k + 1) % swarms;
            pending = done;
            const id = session.nextId++;
            // "announce" = a change: this session now shares content k instead of the one it had.
            const json =
              op === 'lookup'
                ? `{"type":"lookup","id":${id},"hash":"${hexHash(k)}"}`
                : `{"type":"announce","id":${id},"reset":false,"add":[{"path":"${contentName(k)}","size":${contentSize(k)},"hash":"${hexHash(k)}"}],"remove":[${held < 0 ? '' : `"${contentName(held)}"`}]}`;
            held = k;
            session.socket.write(frame(json));
          },
        };
      });
      close = () => sessions.forEach((s) => s.close());
    }
    try {
      const r = await closedLoop(workers, { warmupMs, durationMs });
      return { op, connections, requests: r.completed, errors: r.errors, ms: Math.round(r.ms), perSecond: Math.round(r.completed / (r.ms / 1000)), cpu: r.cpu, ...sample };
    } finally {
      close();
    }
  },

  /**
   * Memory fill over HTTP: `peers` distinct peers (IP:port) each announcing `files` of the contents
   * base … base+contents-1, by `connections` connections, stopping early at `budgetMs`.
   */
  async fill({ peers, files, contents, base, connections, budgetMs }) {
    const started = performance.now();
    const deadline = started + budgetMs;
    let announced = 0;
    let failed = 0;
    let peersDone = 0;
    await Promise.all(
      Array.from({ length: connections }, (_, w) => {
        const conn = new HttpConn(sourceAddress(GROUP.fill, w));
        return (async () => {
          // Worker w announces peers w, w + connections, …, each on its own port of w's IP.
          for (let p = w, n = 0; p < peers && performance.now() < deadline; p += connections, n++) {
            const id = btPeerId(GROUP.fill, p);
            for (let f = 0; f < files; f++) {
              const k = (p * files + f) % contents;
              const ok = await new Promise((resolve) => conn.request(announcePath(base + k, id, 1024 + n, 1), resolve));
              if (ok) announced++;
              else failed++;
            }
            peersDone++;
          }
          conn.close();
        })();
      }),
    );
    return { peers: peersDone, entries: announced, failed, ms: Math.round(performance.now() - started) };
  },

  /** Our live sessions for the per-session memory figure: `count` more sessions (from number `first`) with `files` files each, kept open. */
  async sessions({ count, files, contents, base, first = 0 }) {
    const started = performance.now();
    const sessions = await openSessions(GROUP.sessions, count, 7000, { first });
    holding.push(...sessions);
    startHeartbeat();
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < count) {
          const i = next++;
          const list = Array.from({ length: files }, (_, f) => {
            const k = base + (((first + i) * files + f) % contents);
            return { path: contentName(k), size: contentSize(k), hash: hexHash(k) };
          });
          await sessions[i].announceAll(list);
        }
      }),
    );
    return { sessions: count, entries: count * files, ms: Math.round(performance.now() - started) };
  },

  closeAll() {
    clearInterval(heartbeat);
    heartbeat = undefined;
    for (const s of holding.splice(0)) s.close();
    return {};
  },
};

/** Held sessions ping like real clients, so the tracker keeps them past its idle timeout. */
function startHeartbeat() {
  if (heartbeat) return;
  heartbeat = setInterval(() => {
    for (const s of holding) {
      if (s.closed || s.onFrame) continue;
      s.onFrame = () => (s.onFrame = null); // drop the pong
      s.socket.write(frame(`{"type":"ping","id":${s.nextId++}}`));
    }
  }, HEARTBEAT_MS);
}

process.on('message', async (msg) => {
  try {
    process.send({ ok: true, result: await commands[msg.cmd](msg) });
  } catch (err) {
    process.send({ ok: false, error: err?.stack ?? String(err) });
  }
});
process.on('disconnect', () => process.exit(0));

// Memory per (peer, file) entry of the tracker's state, built the way the server builds it.
// Usage: node bench/tracker-memory.mjs [peers] [filesPerPeer] [contents] [--module=PATH]
// (defaults 100,000 × 10 over 10,000 contents, so ~100 holders per content; --module measures
// another build of tracker-state.js, e.g. an older one). Runs on the built engine (npm run
// build). Prints one JSON line. bench/tracker.mjs runs it as a child process.
//
// What is measured: RSS after GC with the state built, minus RSS after GC of the same process
// after it warmed up its code and parsed the very same announcements without keeping them. V8's young generation is
// fixed at its default maximum (16 MiB semi-spaces), which a tracker under load reaches
// whatever it stores; left to grow during the build it would add ~16 MB that does not scale
// with the entries. The state's own heap and typed-array bytes are reported beside RSS.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const FLAGS = ['--expose-gc', '--min-semi-space-size=16', '--max-semi-space-size=16'];
if (!FLAGS.every((f) => process.execArgv.includes(f))) {
  // Re-run with the V8 flags the measurement needs (npm run bench:tracker-memory passes only some).
  const extra = process.execArgv.filter((f) => !FLAGS.includes(f) && !f.startsWith('--min-semi-space-size') && !f.startsWith('--max-semi-space-size'));
  const child = spawnSync(process.execPath, [...extra, ...FLAGS, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
}

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const moduleArg = process.argv.find((a) => a.startsWith('--module='))?.slice('--module='.length);
const PEERS = Number(args[0] ?? 100_000);
const FILES = Number(args[1] ?? 10);
const CONTENTS = Number(args[2] ?? 10_000);
const modulePath = moduleArg ? path.resolve(moduleArg) : fileURLToPath(new URL('../dist/electron/engine/tracker/tracker-state.js', import.meta.url));
const { TrackerState } = await import(pathToFileURL(modulePath).href);

const hashOf = (c) => c.toString(16).padStart(64, '0');
const nameOf = (c) => `library/shelf-${Math.floor(c / 1000)}/item-${c}.dat`;
// Each peer's announce goes through JSON text and back, as a received message does, so every
// peer id, host, path and hash is a string of its own: what stays afterwards is what the state keeps.
const announceText = (p) =>
  JSON.stringify({
    peerId: p.toString(16).padStart(32, '0'),
    host: `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`,
    add: Array.from({ length: FILES }, (_, i) => {
      const c = (p * FILES + i) % CONTENTS;
      return { path: nameOf(c), size: 1000 + c, hash: hashOf(c) };
    }),
  });

const usage = () => {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage();
};
// The baseline is a process that has been busy: its code compiled and optimized (a few small
// states built and dropped, far too small to leave memory the measured build could reuse) and
// the same announcements parsed without keeping them.
for (let round = 0; round < 20; round++) {
  const scratch = new TrackerState();
  const peers = [];
  for (let p = 0; p < 300; p++) {
    const message = JSON.parse(announceText(PEERS + p));
    const { peer } = scratch.addPeer(message.peerId, message.host, 7000);
    scratch.announce(peer, { reset: true, add: message.add, remove: [] });
    peers.push(peer);
  }
  for (const peer of peers) scratch.lookup(hashOf((peer.slot * FILES) % CONTENTS), peer);
  for (const peer of peers) scratch.removePeer(peer);
}
let parsed = 0;
for (let p = 0; p < PEERS; p++) parsed += JSON.parse(announceText(p)).add.length;
if (parsed !== PEERS * FILES) throw new Error('parse check failed');
const before = usage();

const state = new TrackerState();
const started = performance.now();
for (let p = 0; p < PEERS; p++) {
  const message = JSON.parse(announceText(p));
  const { peer } = state.addPeer(message.peerId, message.host, 6881);
  state.announce(peer, { reset: true, add: message.add, remove: [] });
}
const buildMs = performance.now() - started;
const after = usage();
const entries = PEERS * FILES;
const heap = after.heapUsed - before.heapUsed;
const arrayBuffers = after.arrayBuffers - before.arrayBuffers;
const rss = after.rss - before.rss;
const per = (bytes) => +(bytes / entries).toFixed(1);
console.log(
  JSON.stringify({
    peers: PEERS,
    filesPerPeer: FILES,
    contents: CONTENTS,
    entries,
    rssBytes: rss,
    heapBytes: heap,
    arrayBufferBytes: arrayBuffers,
    rssBytesPerEntry: per(rss),
    heapBytesPerEntry: per(heap),
    arrayBufferBytesPerEntry: per(arrayBuffers),
    stateBytesPerEntry: per(heap + arrayBuffers),
    buildMs: Math.round(buildMs),
  }),
);
// Keep the state alive until measured.
if (state.peerCount !== PEERS || state.entries !== Math.min(CONTENTS, entries)) throw new Error('lost peers or entries');

// Memory per peer and per (peer, file) entry of the tracker's state.
// Usage: node --expose-gc bench/tracker-memory.mjs [peers] [filesPerPeer] [contents]
// Runs on the built engine (npm run build). Prints one JSON line.
import { TrackerState } from '../dist/electron/engine/tracker/tracker-state.js';

const PEERS = Number(process.argv[2] ?? 100_000);
const FILES = Number(process.argv[3] ?? 10);
const CONTENTS = Number(process.argv[4] ?? 100_000);
const gc = globalThis.gc;
if (!gc) throw new Error('run with node --expose-gc');

const hashOf = (c) => c.toString(16).padStart(64, '0');
const nameOf = (c) => `library/shelf-${Math.floor(c / 1000)}/item-${c}.dat`;
// Announcements are made per peer and dropped, as parsed messages are: what stays is the tracker's state
// (including the name and hash strings it keeps, as a real tracker does).
const announcementsOf = (p) =>
  Array.from({ length: FILES }, (_, i) => {
    const c = (p * FILES + i) % CONTENTS;
    return { path: nameOf(c), size: 1000 + c, hash: hashOf(c) };
  });
gc();
gc();
const before = process.memoryUsage();
const state = new TrackerState();
const started = performance.now();
for (let p = 0; p < PEERS; p++) {
  const { peer } = state.addPeer(p.toString(16).padStart(32, '0'), `10.${(p >> 16) & 255}.${(p >> 8) & 255}.${p & 255}`, 6881);
  state.announce(peer, { reset: true, add: announcementsOf(p), remove: [] });
}
const buildMs = performance.now() - started;
gc();
gc();
const after = process.memoryUsage();
const heap = after.heapUsed - before.heapUsed;
const rss = after.rss - before.rss;
const entries = PEERS * FILES;
console.log(
  JSON.stringify({
    peers: PEERS,
    filesPerPeer: FILES,
    contents: CONTENTS,
    entries,
    heapBytes: heap,
    rssBytes: rss,
    heapBytesPerEntry: Math.round(heap / entries),
    heapBytesPerPeer: Math.round(heap / PEERS),
    buildMs: Math.round(buildMs),
  }),
);
// Keep the state alive until measured.
if (state.peerCount !== PEERS) throw new Error('lost peers');

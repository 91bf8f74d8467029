// The npm bittorrent-tracker server, HTTP announce only (no UDP, no WebSocket, no stats page),
// as a child of bench/tracker.mjs. Prints "ready PORT". With --expose-gc, SIGUSR2 runs a full
// GC and prints "gc done", so its memory is read without garbage (the kindest reading for it).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REFERENCES_DIR } from './lib/npm-references.mjs';

const { default: Server } = await import(pathToFileURL(path.join(REFERENCES_DIR, 'node_modules/bittorrent-tracker/server.js')).href);
const server = new Server({ http: true, udp: false, ws: false, stats: false });
server.on('error', (err) => console.error(`error: ${err.message}`));
server.on('warning', () => {}); // bad requests are counted by the generator
server.listen(0, '127.0.0.1', () => console.log(`ready ${server.http.address().port}`));
process.on('SIGUSR2', () => {
  globalThis.gc?.();
  globalThis.gc?.();
  console.log(`gc done ${Date.now()}`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));

// One WebTorrent peer in its own Node process, for the transfer benchmark.
// Usage: node bench/references/webtorrent-peer.mjs seed|get TORRENT_FILE FOLDER
//   seed: FOLDER holds the file; prints "seeding" once every piece is verified, then serves.
//   get:  downloads into FOLDER and exits 0 once the whole torrent is verified and written.
// Peers find each other only through the torrent's HTTP tracker; TCP only (no DHT,
// LSD, PEX, uTP, web seeds or UPnP/NAT-PMP).
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
import { referenceRequire } from '../lib/npm-references.mjs';

const [role, torrentFile, folder] = process.argv.slice(2);
if (!['seed', 'get'].includes(role) || !folder) {
  console.error('usage: webtorrent-peer.mjs seed|get TORRENT_FILE FOLDER');
  process.exit(2);
}

// The WebRTC module is native and not built here; it must be stubbed before WebTorrent loads.
register('./webrtc-stub-hooks.mjs', import.meta.url);
const { default: WebTorrent } = await import(pathToFileURL(referenceRequire().resolve('webtorrent')).href);

const fail = (error) => {
  console.error(`webtorrent ${role} failed: ${error?.stack ?? error}`);
  process.exit(1);
};
const client = new WebTorrent({ dht: false, lsd: false, utPex: false, utp: false, webSeeds: false, natUpnp: false, natPmp: false });
client.on('error', fail);
const torrent = client.add(await readFile(torrentFile), { path: folder });
torrent.on('error', fail);
torrent.on('done', () => {
  if (role === 'seed') {
    console.log('seeding');
    return;
  }
  // destroy() closes the file store, so the data is written when the process exits.
  client.destroy((error) => (error ? fail(error) : process.exit(0)));
});

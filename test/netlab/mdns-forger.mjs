// Run inside a lab namespace: answers every query for the network's service (and repeats every
// 200 ms) with advertisements no member would believe: a bad seal, an oversized record, a member's
// advert under another peer's instance name, and undecodable bytes. Args: KEY (base64url) SECONDS.
import dgram from 'node:dgram';
import { createRequire } from 'node:module';
import { LanNames } from '../../dist/electron/engine/discovery/lan-advert.js';
import { parseNetworkKey } from '../../dist/electron/engine/security/network-key.js';

const require = createRequire(import.meta.url);
const mdns = require('multicast-dns')({ loopback: true });
const [keyText, seconds = '5'] = process.argv.slice(2);
const names = new LanNames(parseNetworkKey(keyText));
const liar = 'f'.repeat(32);
const other = 'e'.repeat(32);

const advert = (instance, txt) => ({
  answers: [{ name: names.service, type: 'PTR', ttl: 120, data: instance }],
  additionals: [
    { name: instance, type: 'SRV', ttl: 120, data: { port: 9, target: 'forged.local', priority: 0, weight: 0 } },
    { name: instance, type: 'TXT', ttl: 120, data: txt },
  ],
});
const forgeries = [
  advert(names.instance(liar), ['v=1', `d=${Buffer.from('not sealed by this network').toString('base64url')}`]),
  advert(names.instance(liar), ['v=1', `d=${'A'.repeat(250)}`, ...Array.from({ length: 6 }, () => 'x'.repeat(250))]),
  advert(names.instance(other), ['v=1', `d=${names.encode({ id: liar, port: 9 })}`]),
];
const raw = dgram.createSocket({ type: 'udp4', reuseAddr: true });
const garbage = Buffer.from([0x00, 0x00, 0x84, 0x00, 0x00, 0x01, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xc0, 0x0c]);
const send = () => {
  for (const packet of forgeries) mdns.respond(packet);
  raw.send(garbage, 5353, '224.0.0.251');
};
mdns.on('query', (q) => {
  if ((q.questions ?? []).some((x) => x.name === names.service)) send();
});
const timer = setInterval(send, 200);
console.log('forging');
setTimeout(() => {
  clearInterval(timer);
  mdns.destroy();
  raw.close();
}, Number(seconds) * 1000);

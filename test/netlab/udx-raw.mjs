// Runs inside a lab namespace: one side of a raw UDX transfer through two NATs, the transport's
// own ceiling on the punched path (no TLS, no framing, no disk). Both sides bind the same fixed
// port; Linux masquerade keeps it, so each side's public mapping is ROUTER_IP:PORT.
//   node udx-raw.mjs send PORT PEER_IP BYTES   → sends BYTES, then waits for the receiver's word
//   node udx-raw.mjs recv PORT PEER_IP BYTES   → prints {"bytes":N,"ms":T} from first to last byte
import { createRequire } from 'node:module';

const UDX = createRequire(import.meta.url)('udx-native');
const [role, portText, peer, bytesText] = process.argv.slice(2);
const port = Number(portText);
const total = Number(bytesText);
const PROBE = Buffer.from([0]); // not a UDX packet (those start 0xff): the other socket ignores it
const deadline = setTimeout(() => {
  process.stdout.write(`${JSON.stringify({ error: 'timeout' })}\n`);
  process.exit(1);
}, 120_000);

const udx = new UDX();
const socket = udx.createSocket();
socket.bind(port, '0.0.0.0');
// Probes open this side's NAT towards the other's mapping while the other does the same.
const probing = setInterval(() => socket.trySend(PROBE, port, peer), 50);
const stream = udx.createStream(role === 'send' ? 1 : 2);
stream.connect(socket, role === 'send' ? 2 : 1, port, peer);
stream.on('error', (err) => {
  process.stdout.write(`${JSON.stringify({ error: err.message })}\n`);
  process.exit(1);
});

if (role === 'send') {
  const chunk = Buffer.alloc(256 * 1024, 7);
  let sent = 0;
  const pump = () => {
    while (sent < total) {
      const n = Math.min(chunk.length, total - sent);
      sent += n;
      if (!stream.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void stream.once('drain', pump);
    }
    stream.end();
  };
  // A moment for both NATs' mappings to exist before the first data packet.
  setTimeout(pump, 500);
  stream.on('data', () => {});
  stream.on('end', () => finish());
} else {
  let got = 0;
  let first = 0;
  stream.on('data', (data) => {
    if (got === 0) first = performance.now();
    got += data.length;
    if (got >= total) {
      const ms = performance.now() - first;
      process.stdout.write(`${JSON.stringify({ bytes: got, ms })}\n`);
      stream.end();
    }
  });
  stream.on('end', () => finish());
}

function finish() {
  clearInterval(probing);
  clearTimeout(deadline);
  stream.destroy();
  void socket.close().then(() => process.exit(0));
}

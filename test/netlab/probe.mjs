// Runs inside a lab namespace: asks observers what address they see, and prints one JSON line.
//   node probe.mjs tcp HOST:PORT              → {"seen":"A:P"} or {"error":"…"}
//   node probe.mjs udp HOST:PORT HOST:PORT …  → {"seen":["A:P", …]} from one UDP socket
import dgram from 'node:dgram';
import net from 'node:net';

const TIMEOUT_MS = 3000;
const [mode, ...targets] = process.argv.slice(2);
const split = (t) => {
  const at = t.lastIndexOf(':');
  return [t.slice(0, at), Number(t.slice(at + 1))];
};
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

if (mode === 'tcp') {
  const [host, port] = split(targets[0]);
  const socket = net.connect({ host, port, timeout: TIMEOUT_MS });
  let data = '';
  socket.on('data', (d) => (data += d));
  socket.on('end', () => print({ seen: data.trim() }));
  socket.on('timeout', () => (print({ error: 'timeout' }), socket.destroy()));
  socket.on('error', (err) => print({ error: err.code ?? err.message }));
} else {
  const socket = dgram.createSocket('udp4');
  const seen = [];
  const timer = setTimeout(() => (print({ seen, error: 'timeout' }), socket.close()), TIMEOUT_MS);
  socket.on('message', (msg) => {
    seen.push(msg.toString());
    if (seen.length === targets.length) {
      clearTimeout(timer);
      print({ seen });
      socket.close();
    }
  });
  // One after another, so answers come back in order.
  socket.bind(0, () => {
    let i = 0;
    const next = () => {
      if (i >= targets.length) return;
      const [host, port] = split(targets[i++]);
      socket.send('who am i', port, host, () => setTimeout(next, 100));
    };
    next();
  });
}

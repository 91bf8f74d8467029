// Runs inside a lab namespace: tells each sender the address it sees. TCP: writes
// "HOST:PORT\n" and closes. UDP: answers each datagram with "HOST:PORT".
//   node observer.mjs HOST PORT      (prints "ready" once both listen)
import dgram from 'node:dgram';
import net from 'node:net';

const [host, portText] = process.argv.slice(2);
const port = Number(portText);
const tcp = net.createServer((socket) => socket.end(`${socket.remoteAddress}:${socket.remotePort}\n`));
const udp = dgram.createSocket('udp4');
udp.on('message', (_msg, rinfo) => udp.send(`${rinfo.address}:${rinfo.port}`, rinfo.port, rinfo.address));
await new Promise((resolve) => tcp.listen(port, host, resolve));
await new Promise((resolve) => udp.bind(port, host, resolve));
process.stdout.write('ready\n');

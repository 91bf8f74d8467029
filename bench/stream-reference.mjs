// Reference for the transfer benchmark: one file streamed disk to disk between two
// Node processes over plain TCP or plain TLS 1.3 (the same cipher and PSK setup as ours).
// Usage: node bench/stream-reference.mjs serve|fetch tcp|tls PORT FILE
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';

const [role, mode, portText, file] = process.argv.slice(2);
const port = Number(portText);
const psk = createHash('sha256').update('bench psk').digest();
const tlsOptions = { ciphers: 'TLS_AES_128_GCM_SHA256', minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' };
const HWM = 1024 * 1024;

if (role === 'serve') {
  const onSocket = (socket) => createReadStream(file, { highWaterMark: HWM }).pipe(socket);
  const server = mode === 'tls'
    ? tls.createServer({ ...tlsOptions, pskCallback: () => psk }, onSocket)
    : net.createServer(onSocket);
  server.listen(port, '127.0.0.1', () => console.log(`ready ${server.address().port}`));
} else {
  const socket = mode === 'tls'
    ? tls.connect({ port, host: '127.0.0.1', ...tlsOptions, pskCallback: () => ({ psk, identity: 'bench' }), checkServerIdentity: () => undefined })
    : net.connect(port, '127.0.0.1');
  const out = createWriteStream(file, { highWaterMark: HWM });
  socket.pipe(out);
  out.on('finish', () => console.log(JSON.stringify({ bytes: out.bytesWritten })));
}

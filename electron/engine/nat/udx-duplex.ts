import { Duplex } from 'node:stream';
import type { UDXStream } from 'udx-native';

/**
 * A UDX stream as a Node Duplex. UDX streams are streamx streams, and Node's TLS over a
 * non-socket stream (JSStreamSocket) stalls on them after the handshake; through this
 * adapter TLS runs as over any Node stream. Back-pressure passes both ways.
 */
export function udxDuplex(stream: UDXStream): Duplex {
  const duplex = new Duplex({
    read() {
      stream.resume();
    },
    write(chunk: Buffer, _encoding, callback) {
      if (stream.write(chunk)) callback();
      else stream.once('drain', () => callback());
    },
    final(callback) {
      stream.end();
      callback();
    },
    destroy(err, callback) {
      stream.destroy();
      callback(err);
    },
  });
  stream.on('data', (chunk: Buffer) => {
    if (!duplex.push(chunk)) stream.pause();
  });
  stream.on('end', () => duplex.push(null));
  stream.on('error', (err: Error) => duplex.destroy(err));
  stream.on('close', () => duplex.destroy());
  return duplex;
}

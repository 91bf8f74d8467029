import { createRequire } from 'node:module';
import type { Duplex } from 'node:stream';
import type UDX from 'udx-native';
import type { UDXSocket, UDXStream } from 'udx-native';
import { ROLE_REQUESTER } from '../../../shared/protocol/datagram.js';
import type { Role } from '../control/rendezvous-codec.js';
import { EngineError, errorMessage } from '../errors.js';
import type { ControlClient } from '../tracker/control-client.js';
import { udxDuplex } from './udx-duplex.js';

/** PUNCH_HELLO goes to the tracker this often until it says where the other side is. */
const HELLO_EVERY_MS = 200;
/** Probes toward the other side's mapping go this often, for PROBE_FOR_MS, to open our own NAT toward it. */
const PROBE_EVERY_MS = 50;
const PROBE_FOR_MS = 3000;
/** Small, and no UDX packet (those start 0xff): the other side's UDX socket ignores it. */
const PROBE = Buffer.from([0]);

let udx: UDX | undefined;
let udxProblem: string | undefined;

/** The UDX runtime (a native addon with prebuilt binaries); undefined, with a reason, where it does not load. */
export function udxRuntime(): UDX | undefined {
  if (udx || udxProblem) return udx;
  try {
    const require = createRequire(import.meta.url);
    const UdxClass = require('udx-native') as new () => UDX;
    udx = new UdxClass();
  } catch (err) {
    udxProblem = `hole punching is unavailable: udx-native did not load (${errorMessage(err)})`;
  }
  return udx;
}

export function udxUnavailableReason(): string | undefined {
  udxRuntime();
  return udxProblem;
}

export interface PunchedPath {
  duplex: Duplex;
  /** The other side's public mapping, HOST:PORT. */
  remote: string;
}

/**
 * One side of a hole punch (docs/PROTOCOL.md §20.4). A fresh UDX socket tells the tracker its
 * session (PUNCH_HELLO, sealed); the tracker answers with the other side's public mapping as it
 * saw it. Both then send at once: probes that open our own NAT toward the other's mapping, and
 * a UDX stream whose ids come from the session. The stream is reliable and congestion
 * controlled; TLS and the peer protocol run inside it as over TCP.
 */
export function holePunch(control: ControlClient, session: Buffer, role: Role, timeoutMs: number): Promise<PunchedPath> {
  const runtime = udxRuntime();
  const trackerIp = control.trackerIp;
  if (!runtime) return Promise.reject(new EngineError('connection_closed', udxProblem ?? 'hole punching is unavailable'));
  if (!trackerIp) return Promise.reject(new EngineError('tracker_unreachable', `tracker ${control.address} has no address yet`));
  const socket: UDXSocket = runtime.createSocket();
  socket.bind(0, trackerIp.includes(':') ? '::' : '0.0.0.0');
  const [localId, remoteId] = streamIds(session, role);
  return new Promise<PunchedPath>((resolve, reject) => {
    let stream: UDXStream | undefined;
    let done = false;
    const timers: NodeJS.Timeout[] = [];
    const stopTimers = () => timers.forEach((t) => clearInterval(t));
    const fail = (err: Error) => {
      if (done) return;
      done = true;
      stopTimers();
      stream?.destroy();
      void socket.close().catch(() => undefined);
      reject(err);
    };
    timers.push(setTimeout(() => fail(new EngineError('timeout', `hole punching through tracker ${control.address} found no path within ${timeoutMs / 1000} s (a NAT that changes ports per destination cannot be punched)`)), timeoutMs));
    const hello = control.punchHello(session, role);
    const sayHello = () => socket.trySend(hello, control.port, trackerIp);
    sayHello();
    const helloTimer = setInterval(sayHello, HELLO_EVERY_MS).unref();
    timers.push(helloTimer);
    socket.on('message', (msg, from) => {
      if (stream || from.port !== control.port || from.host !== trackerIp) return;
      const peer = control.openPunchPeer(msg);
      if (!peer || !peer.session.equals(session)) return;
      clearInterval(helloTimer);
      const probe = () => socket.trySend(PROBE, peer.port, peer.host);
      probe();
      const probes = setInterval(probe, PROBE_EVERY_MS).unref();
      timers.push(probes, setTimeout(() => clearInterval(probes), PROBE_FOR_MS).unref());
      stream = runtime.createStream(localId);
      stream.on('error', (err: Error) => fail(err));
      stream.connect(socket, remoteId, peer.port, peer.host);
      const duplex = udxDuplex(stream);
      duplex.once('close', () => {
        stopTimers();
        void socket.close().catch(() => undefined);
      });
      // The requester speaks first (its TLS ClientHello); the target is through once that arrives, and the requester once TLS answers.
      done = true;
      clearTimeout(timers[0]);
      resolve({ duplex, remote: peer.host.includes(':') ? `[${peer.host}]:${peer.port}` : `${peer.host}:${peer.port}` });
    });
  });
}

/** Each side's UDX stream id, from the session: the requester's is the target's remote id and back. */
function streamIds(session: Buffer, role: Role): [number, number] {
  const a = session.readUInt32BE(0) >>> 0 || 1;
  let b = session.readUInt32BE(4) >>> 0 || 2;
  if (b === a) b = (a ^ 1) >>> 0 || 2;
  return role === ROLE_REQUESTER ? [a, b] : [b, a];
}

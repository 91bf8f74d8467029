import dgram from 'node:dgram';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { EngineError } from '../errors.js';
import { isLanAddress } from './upnp-gateway.js';

/**
 * NAT-PMP (RFC 6886), the port mapping of Apple's routers and of many that speak UPnP too: one
 * UDP request to the default gateway's port 5351, retransmitted at 250 ms doubling. An answer
 * counts only from the gateway's address and port, at its exact size, for the request sent.
 */

const NAT_PMP_PORT = 5351;
const VERSION = 0;
const OP_EXTERNAL_ADDRESS = 0;
const OP_MAP_UDP = 1;
const OP_MAP_TCP = 2;
/** RFC 6886 §3.1 starts at 250 ms and doubles; four tries give up after ~3.75 s. */
const RETRANSMIT_MS = [250, 500, 1000, 2000];
const RESULT_TEXT = ['success', 'unsupported version', 'not authorized or refused', 'network failure', 'out of resources', 'unsupported opcode'];

export class NatPmpError extends EngineError {
  constructor(message: string) {
    super('unavailable', message);
  }
}

/** The IPv4 default gateway, from the kernel's routing table (Linux); undefined elsewhere or with none. */
export async function defaultGateway(routeFile = '/proc/net/route'): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(routeFile, 'utf8');
  } catch {
    return undefined; // not Linux: no gateway known, so no NAT-PMP
  }
  for (const line of text.split('\n').slice(1)) {
    const [, destination, gateway, flags] = line.trim().split(/\s+/);
    // RTF_UP | RTF_GATEWAY, destination 0.0.0.0; fields are little-endian hex.
    if (destination !== '00000000' || !gateway || !/^[0-9A-Fa-f]{8}$/.test(gateway) || (parseInt(flags ?? '0', 16) & 3) !== 3) continue;
    const n = parseInt(gateway, 16);
    const ip = `${n & 255}.${(n >>> 8) & 255}.${(n >>> 16) & 255}.${n >>> 24}`;
    return isLanAddress(ip) ? ip : undefined; // NAT-PMP speaks to a home router's LAN side only
  }
  return undefined;
}

/** One request/answer exchange; undefined when the gateway never answers (normal: no NAT-PMP). */
async function exchange(gateway: string, request: Buffer, op: number, answerBytes: number, signal?: AbortSignal): Promise<Buffer | undefined> {
  if (!net.isIPv4(gateway)) throw new NatPmpError(`${gateway} is not an IPv4 gateway`);
  const socket = dgram.createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(0, () => resolve());
    });
    return await new Promise<Buffer | undefined>((resolve) => {
      let attempt = 0;
      let timer: NodeJS.Timeout | undefined;
      const onAbort = () => finish(undefined);
      const finish = (answer: Buffer | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(answer);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      socket.on('message', (msg, rinfo) => {
        if (rinfo.address !== gateway || rinfo.port !== NAT_PMP_PORT) return; // only the gateway may answer
        if (msg.length < 8 || msg[0] !== VERSION || msg[1] !== 128 + op) return;
        // A refusal may be shorter than a success (RFC 6886 §3.5: at least the 8-byte header); a success is exact.
        if (msg.readUInt16BE(2) === 0 ? msg.length !== answerBytes : msg.length > answerBytes) return;
        finish(msg);
      });
      const send = () => {
        if (attempt >= RETRANSMIT_MS.length) return finish(undefined);
        socket.send(request, NAT_PMP_PORT, gateway);
        timer = setTimeout(send, RETRANSMIT_MS[attempt++]);
      };
      send();
    });
  } catch {
    return undefined; // no route to the gateway
  } finally {
    socket.close();
  }
}

function checkResult(answer: Buffer, what: string): void {
  const code = answer.readUInt16BE(2);
  if (code !== 0) throw new NatPmpError(`NAT-PMP ${what} refused: ${RESULT_TEXT[code] ?? `result ${code}`}`);
}

/** The router's public IPv4 address; undefined when it doesn't speak NAT-PMP. */
export async function natPmpExternalAddress(gateway: string, signal?: AbortSignal): Promise<string | undefined> {
  const answer = await exchange(gateway, Buffer.from([VERSION, OP_EXTERNAL_ADDRESS]), OP_EXTERNAL_ADDRESS, 12, signal);
  if (!answer) return undefined;
  checkResult(answer, 'external address');
  const ip = `${answer[8]}.${answer[9]}.${answer[10]}.${answer[11]}`;
  if (ip === '0.0.0.0') throw new NatPmpError('the router has no public address yet');
  return ip;
}

/** Maps TCP `internalPort` (see natPmpMap). */
export function natPmpMapTcp(gateway: string, internalPort: number, externalPort: number, lifetimeSeconds: number, signal?: AbortSignal): Promise<{ externalPort: number; lifetime: number } | undefined> {
  return natPmpMap(gateway, 'TCP', internalPort, externalPort, lifetimeSeconds, signal);
}

/**
 * Maps `protocol` `internalPort`, asking for `externalPort`, for `lifetimeSeconds` (0 removes the
 * mapping). Returns the external port and lifetime the router granted, or undefined when it
 * doesn't answer.
 */
export async function natPmpMap(gateway: string, protocol: 'TCP' | 'UDP', internalPort: number, externalPort: number, lifetimeSeconds: number, signal?: AbortSignal): Promise<{ externalPort: number; lifetime: number } | undefined> {
  const op = protocol === 'TCP' ? OP_MAP_TCP : OP_MAP_UDP;
  const request = Buffer.alloc(12);
  request[0] = VERSION;
  request[1] = op;
  request.writeUInt16BE(internalPort, 4);
  request.writeUInt16BE(externalPort, 6);
  request.writeUInt32BE(lifetimeSeconds, 8);
  const answer = await exchange(gateway, request, op, 16, signal);
  if (!answer) return undefined;
  checkResult(answer, `mapping of port ${internalPort}`);
  if (answer.readUInt16BE(8) !== internalPort) throw new NatPmpError('the router answered for another port');
  return { externalPort: answer.readUInt16BE(10), lifetime: answer.readUInt32BE(12) };
}

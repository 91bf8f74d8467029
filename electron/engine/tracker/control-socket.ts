import dgram from 'node:dgram';
import { lookup as resolveHost } from 'node:dns/promises';
import net from 'node:net';
import { isDrop, openBody, type DatagramBody } from '../control/datagram-codec.js';
import type { DatagramSeal } from '../control/datagram-seal.js';
import { ipBytes } from '../control/ip-address.js';
import { EngineError, errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';

export interface ControlSocketOptions {
  host: string;
  port: number;
  /** HOST:PORT as people read it, for the log. */
  address: string;
  seal: DatagramSeal;
  logger: Logger;
  /** A reply from the tracker's address that the seal and the codec accepted. */
  reply: (reply: DatagramBody) => void;
  /** The tracker's host said nothing listens there (ICMP port unreachable): no use waiting for replies. */
  unreachable: (err: Error) => void;
}

/**
 * A client's UDP socket to one tracker, connected to its address: the kernel then delivers only
 * the tracker's datagrams, and an ICMP "port unreachable" (the tracker is down) surfaces as
 * ECONNREFUSED at once, as a refused TCP connection would, instead of after every retransmission.
 * The source is still checked, and anything the seal or the codec refuses is dropped here;
 * nothing from the network throws out of the handler.
 */
export class ControlSocket {
  private socket: dgram.Socket | undefined;
  private socketType: dgram.SocketType | undefined;
  trackerIp: string | undefined;

  constructor(private readonly options: ControlSocketOptions) {}

  /** (Re)resolves the tracker's host and makes a socket of its family (bound on the first send). */
  async open(): Promise<void> {
    const { host } = this.options;
    // A tracker binds IPv4 by default: prefer an IPv4 address when the name has one.
    const ip = net.isIP(host) ? host : pickAddress(await resolveHost(host, { all: true }));
    const type = net.isIPv6(ip) ? 'udp6' : 'udp4';
    this.trackerIp = ip;
    this.close();
    const socket = dgram.createSocket(type);
    socket.on('message', (datagram, from) => this.onDatagram(datagram, from));
    socket.on('error', (err) => {
      if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') this.options.unreachable(new EngineError('tracker_unreachable', `tracker ${this.options.address}: nothing listens on its UDP port`));
      else this.options.logger.warn(`control plane to ${this.options.address}: ${errorMessage(err)}`);
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(this.options.port, ip, () => {
        socket.off('error', reject);
        resolve();
      });
    });
    this.socket = socket;
    this.socketType = type;
  }

  /** Sends to the tracker; a failure is a lost datagram, as on the wire (the request retransmits). */
  send(datagram: Buffer): void {
    const socket = this.socket;
    if (!socket || !this.trackerIp) return;
    const lost = (err: unknown): void => this.options.logger.debug(`control plane to ${this.options.address}: ${errorMessage(err)}`);
    try {
      socket.send(datagram, (err) => err && lost(err));
    } catch (err) {
      lost(err); // closed meanwhile
    }
  }

  /** The local address our datagrams leave from (known once connected). */
  get localAddress(): string | undefined {
    try {
      return this.socket?.address().address;
    } catch {
      return undefined;
    }
  }

  close(): void {
    const socket = this.socket;
    this.socket = undefined;
    this.socketType = undefined;
    try {
      socket?.close();
    } catch {
      // already closed
    }
  }

  private onDatagram(datagram: Buffer, from: dgram.RemoteInfo): void {
    try {
      if (from.port !== this.options.port || !sameIp(from.address, this.trackerIp)) return;
      const reply = openBody(this.options.seal, datagram);
      if (isDrop(reply)) {
        this.options.logger.debug(`control plane: dropped a datagram from ${this.options.address}: ${reply.drop}`);
        return;
      }
      this.options.reply(reply);
    } catch (err) {
      this.options.logger.warn(`control plane: a reply from ${this.options.address} failed: ${errorMessage(err)}`);
    }
  }
}

function pickAddress(addresses: { address: string; family: number }[]): string {
  const chosen = addresses.find((a) => a.family === 4) ?? addresses[0];
  if (!chosen) throw new EngineError('tracker_unreachable', 'the tracker name has no address');
  return chosen.address;
}

function sameIp(a: string, b: string | undefined): boolean {
  if (b === undefined) return false;
  if (a === b) return true;
  const x = ipBytes(a);
  const y = ipBytes(b);
  return x !== undefined && y !== undefined && x.equals(y);
}

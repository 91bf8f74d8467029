import { PortMapping, type Logger } from '../engine/api.js';

/**
 * The hosted tracker's port on the LAN's router: one number for TCP (the stream) and UDP (the
 * control plane), so both are mapped. The public address is given only while the router
 * forwards both at the same external port: half a tracker is no address to hand out.
 */
export class TrackerPortMapping {
  private readonly tcp: PortMapping;
  private readonly udp: PortMapping;

  constructor(logger: Logger, onChange: (publicAddress: string | undefined) => void) {
    this.tcp = new PortMapping({ logger, protocol: 'TCP' });
    this.udp = new PortMapping({ logger, protocol: 'UDP' });
    let last: string | undefined;
    const changed = () => {
      const now = this.publicAddress;
      if (now === last) return;
      last = now;
      onChange(now);
    };
    for (const mapping of [this.tcp, this.udp]) {
      mapping.on('mapped', changed);
      mapping.on('lost', changed);
    }
  }

  /** Maps `port` in the background (a router may take seconds to answer, or none may). */
  start(port: number): void {
    void this.tcp.start(port);
    void this.udp.start(port);
  }

  async stop(): Promise<void> {
    await Promise.all([this.tcp.stop(), this.udp.stop()]);
  }

  /** HOST:PORT others on the internet reach the tracker at, while both mappings agree. */
  get publicAddress(): string | undefined {
    const tcp = this.tcp.current;
    const udp = this.udp.current;
    if (!tcp || !udp || tcp.host !== udp.host || tcp.port !== udp.port) return undefined;
    return `${tcp.host}:${tcp.port}`;
  }
}

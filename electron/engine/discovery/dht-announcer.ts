import type { DhtDiscovery } from './dht-discovery.js';

/**
 * Keeps the DHT's view of what we hold in step with what we share: announces
 * new contents and withdraws the ones we no longer have.
 */
export class DhtAnnouncer {
  private announced = new Set<string>();

  constructor(
    private readonly dht: () => DhtDiscovery | undefined,
    private readonly listenPort: () => number,
    private readonly sharedHashes: () => Iterable<string>,
  ) {}

  sync(): void {
    const dht = this.dht();
    const port = this.listenPort();
    if (!dht || !port) return;
    const current = new Set(this.sharedHashes());
    for (const hash of current) if (!this.announced.has(hash)) dht.announce(hash, port);
    for (const hash of this.announced) if (!current.has(hash)) dht.withdraw(hash);
    this.announced = current;
  }
}

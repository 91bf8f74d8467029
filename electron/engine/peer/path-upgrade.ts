import type { DialedPeer, PeerSource } from './peer-source.js';

/** The first look for a better path than the relay, and the next ones while there is none. */
export const UPGRADE_FIRST_MS = 5000;
export const UPGRADE_EVERY_MS = 30_000;

export interface PathUpgradeOptions {
  /** A path to that peer other than a relay, if one exists now (PeerReach.upgrade). */
  find: (source: PeerSource) => Promise<DialedPeer | undefined>;
  /** Moves the transfer onto `dialed`; false when that didn't work out (look again later). */
  move: (source: PeerSource, dialed: DialedPeer) => Promise<boolean>;
  /** Whether `source` is still one the download uses. */
  inUse: (source: PeerSource) => boolean;
  firstMs?: number;
  everyMs?: number;
}

/**
 * The DCUtR idea for one download: a source reached through a tracker's relay is a stopgap, so
 * while it is in use we look again for a direct, reversed or punched path to that peer (first
 * after UPGRADE_FIRST_MS, then every UPGRADE_EVERY_MS), and move onto it when one appears.
 */
export class PathUpgrade {
  private readonly timers = new Map<PeerSource, NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: PathUpgradeOptions) {}

  /** Starts looking when `source` came through a relay. */
  watch(source: PeerSource): void {
    if (source.path === 'relayed') this.schedule(source, this.options.firstMs ?? UPGRADE_FIRST_MS);
  }

  forget(source: PeerSource): void {
    clearTimeout(this.timers.get(source));
    this.timers.delete(source);
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private schedule(source: PeerSource, ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => void this.look(source), ms);
    timer.unref();
    this.timers.set(source, timer);
  }

  private async look(source: PeerSource): Promise<void> {
    this.timers.delete(source);
    if (this.stopped || !this.options.inUse(source)) return;
    const dialed = await this.options.find(source).catch(() => undefined);
    if (dialed && !this.stopped && this.options.inUse(source) && (await this.options.move(source, dialed))) return;
    if (dialed && (this.stopped || !this.options.inUse(source))) dialed.opened.socket.destroy();
    if (this.options.inUse(source)) this.schedule(source, this.options.everyMs ?? UPGRADE_EVERY_MS);
  }
}

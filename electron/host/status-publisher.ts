import type { NetworkStatus } from '../../shared/ipc/contract.js';
import type { Engine } from '../engine/api.js';
import type { HostEvents } from './host-events.js';
import type { NetworkKeyPolicy } from './network-key-policy.js';
import type { SettingsStore } from './settings-store.js';
import type { TrackerHosting } from './tracker-hosting.js';

const STATUS_INTERVAL_MS = 1000;

export interface StatusPublisherOptions {
  engine: () => Engine;
  store: SettingsStore;
  key: NetworkKeyPolicy;
  tracker: TrackerHosting;
  events: HostEvents;
}

/**
 * The status bar's data (`status:changed`), polled once a second and pushed
 * only when it changed; a tracker whose listing generation moved also tells
 * the UI to refetch the listing.
 */
export class StatusPublisher {
  private lastStatus = '';
  private lastGeneration = '';
  private lastPeers = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: StatusPublisherOptions) {}

  start(): void {
    this.timer = setInterval(() => void this.push(), STATUS_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  async push(): Promise<void> {
    if (this.stopped) return;
    const { engine, events } = this.options;
    const stats = await engine().trackerStats();
    const generation = stats.map((s) => `${s.address}:${s.generation}`).join(',');
    if (generation !== this.lastGeneration) {
      this.lastGeneration = generation;
      events.networkChanged();
    }
    const status = this.status(Math.max(0, ...stats.map((s) => s.peers)));
    const key = JSON.stringify(status);
    if (key !== this.lastStatus) {
      this.lastStatus = key;
      events.emit('status:changed', status);
    }
  }

  /** `peers`: holders the trackers reported; without it, the last count seen. */
  status(peers = this.lastPeers): NetworkStatus {
    this.lastPeers = peers;
    const { tracker, key, store } = this.options;
    const engine = this.options.engine();
    const rates = engine.rates();
    return {
      secure: key.secure,
      trackers: engine.trackers(),
      peersOnline: tracker.peerCount ?? peers,
      uploadRate: rates.upload,
      downloadRate: rates.download,
      listenPort: engine.port,
      dhtNodes: engine.dht ? engine.dht.nodeCount : null,
      mappedAddress: engine.mappedAddress ? `${engine.mappedAddress.host}:${engine.mappedAddress.port}` : null,
      reachability: engine.reachability,
      relayingFor: engine.memberRelay ? engine.memberRelay.activePairs : null,
      hostedTracker: tracker.info(store.settings.hostTrackerPort),
      lanMembers: (engine.lan?.peers() ?? []).map((p) => ({
        peerId: p.peerId,
        name: p.name ?? p.peerId.slice(0, 8),
        address: `${p.host}:${p.port}`,
        tracker: p.trackerPort ? `${p.host}:${p.trackerPort}` : null,
      })),
    };
  }
}

import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  validateArgs,
  type AppSnapshot,
  type DownloadRow,
  type Envelope,
  type EventChannel,
  type EventPayload,
  type HostedTracker,
  type NetworkStatus,
  type RequestArgs,
  type RequestChannel,
  type RequestResult,
  type Settings,
} from '../../shared/ipc/contract.js';
import { Engine } from '../engine/engine.js';
import { EngineError, errorCode, errorMessage, folderProblem } from '../engine/errors.js';
import { silentLogger, type Logger } from '../engine/logger.js';
import type { Download } from '../engine/peer/download.js';
import { TrackerServer } from '../engine/tracker/tracker-server.js';
import { parseHostPort, tcpTransport, type Transport } from '../engine/wire/transport.js';
import { throttledRefusals } from '../engine/wire/refusal-log.js';
import { tlsTransport } from '../engine/wire/tls-transport.js';
import { PeerIdentity } from '../engine/security/peer-identity.js';
import { formatNetworkKey, generateNetworkKey, parseNetworkKey, readKeyFile, writeKeyFile, type NetworkKey } from '../engine/security/network-key.js';
import { inviteLink, parseInvite } from '../../shared/ipc/invite.js';
import QRCode from 'qrcode';
import { PUBLIC_BOOTSTRAP } from '../engine/discovery/dht-discovery.js';
import type { DesktopIntegration } from './desktop-integration.js';
import { isLoopback, machineAddresses, NO_REACHABLE_ADDRESS } from './machine-addresses.js';
import { SettingsStore } from './settings-store.js';

/** Progress is pushed at most this often, and only rows that changed (≤ 10 events/s). */
const PROGRESS_FLUSH_MS = 100;
const STATUS_INTERVAL_MS = 1000;
const SHARES_THROTTLE_MS = 250;
/** How long joining waits for the tracker's first answer, to report a wrong key instead of "joined". */
const JOIN_CHECK_MS = 5000;
/** Downloads transferring at once; the rest wait as `queued`. */
const MAX_ACTIVE_DOWNLOADS = 3;
/**
 * A finished download's file is looked for this often (one stat each), and at
 * once when a shared folder's file set changes or the listing is fetched: a
 * file deleted from disk stops being "Downloaded".
 */
const FINISHED_CHECK_MS = 5000;

export interface AppHostOptions {
  dataDir: string;
  integration: DesktopIntegration;
  version: string;
  logger?: Logger;
  /** Used when nothing is saved yet (first start). */
  defaults: { settings: Settings; folders: string[] };
  /** Forced on every start (command-line flags of the headless host). */
  overrides?: { settings?: Partial<Settings>; folders?: string[] };
  /** Address the peer server and hosted tracker bind to (default: all interfaces). */
  bindHost?: string;
  /** Tests: poll folders instead of inotify. */
  usePolling?: boolean;
  /**
   * The network key from the command line: a key, or null to force open mode.
   * Absent: the key stored in the data dir (created on first start).
   */
  networkKey?: NetworkKey | null;
  /** DHT bootstrap nodes when the DHT setting is on (default: the public ones). */
  dhtBootstrap?: string[] | false;
}

type Handlers = { [C in RequestChannel]: (args: RequestArgs<C>) => Promise<RequestResult<C>> };
export type EventSink = <E extends EventChannel>(event: E, payload: EventPayload<E>) => void;

/**
 * The app's host process, minus any window: owns the engine, the optional
 * built-in tracker, settings and the download list, and implements every
 * request of the IPC contract. Electron main and the headless WebSocket host
 * are two thin transports over this.
 */
export class AppHost {
  readonly store: SettingsStore;
  engine!: Engine;
  private tracker: TrackerServer | undefined;
  private trackerError: string | undefined;
  private readonly sinks = new Set<EventSink>();
  private readonly logger: Logger;
  private readonly pendingProgress = new Map<string, DownloadRow>();
  private readonly lastSent = new Map<string, string>();
  private readonly running = new Set<string>();
  private readonly queue: string[] = [];
  private timers: NodeJS.Timeout[] = [];
  private sharesTimer: NodeJS.Timeout | undefined;
  private lastStatus = '';
  private lastGeneration = '';
  private stopped = false;
  private networkKey: NetworkKey | undefined;
  private trackerIdentity: PeerIdentity | undefined;

  constructor(private readonly options: AppHostOptions) {
    this.logger = options.logger ?? silentLogger;
    this.store = new SettingsStore(path.join(options.dataDir, 'settings.json'), options.defaults);
  }

  // ---- lifecycle ----

  async start(): Promise<void> {
    await this.store.load();
    const { overrides } = this.options;
    if (overrides?.settings) Object.assign(this.store.state.settings, overrides.settings);
    if (overrides?.folders) {
      for (const f of overrides.folders) if (!this.store.state.folders.includes(f)) this.store.state.folders.push(f);
    }
    const settings = this.store.settings;
    if (this.store.firstRun && settings.trackers.length === 0) settings.hostTracker = true; // a single install works on its own
    await this.loadNetworkKey();
    this.trackerIdentity = await PeerIdentity.load(path.join(this.options.dataDir, 'tracker'));

    if (settings.hostTracker) {
      try {
        await this.startTracker(settings.hostTrackerPort);
      } catch (err) {
        this.trackerError = errorMessage(err);
        this.notice('warning', `Could not host the tracker: ${this.trackerError}`);
      }
    }
    this.engine = this.createEngine(settings.listenPort);
    try {
      await this.engine.start();
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'port_in_use')) throw err;
      this.notice('warning', `${err.message} Using a free port this time; the next start tries port ${settings.listenPort} again.`);
      this.engine = this.createEngine(0);
      await this.engine.start();
    }
    // A saved port stays saved even when it was taken this once (port forwarding names it); 0 becomes the port picked.
    if (settings.listenPort === 0) settings.listenPort = this.engine.port;
    for (const folder of [...this.store.state.folders]) {
      try {
        await this.engine.addFolder(folder);
      } catch (err) {
        this.notice('warning', errorMessage(err));
      }
    }
    this.restoreDownloads();
    await this.store.save();
    this.timers.push(setInterval(() => this.flushProgress(), PROGRESS_FLUSH_MS));
    this.timers.push(setInterval(() => void this.pushStatus(), STATUS_INTERVAL_MS));
    this.timers.push(setInterval(() => void this.dropMissingFinished(), FINISHED_CHECK_MS));
    void this.dropMissingFinished();
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearInterval(t);
    clearTimeout(this.sharesTimer);
    // Pausing keeps `paused: false` in the saved list, so unfinished downloads resume next start.
    for (const hash of this.running) this.engine.getDownload(hash)?.pause();
    await this.engine.stop();
    await this.tracker?.stop();
    await this.store.save();
  }

  private get keyFile(): string {
    return path.join(this.options.dataDir, 'network.key');
  }

  /** Command-line key, else open mode if chosen, else the stored key (created on first start). */
  private async loadNetworkKey(): Promise<void> {
    const forced = this.options.networkKey;
    const settings = this.store.settings;
    if (forced === null) {
      settings.openMode = true;
      this.networkKey = undefined;
    } else if (forced) {
      settings.openMode = false;
      this.networkKey = forced;
    } else if (settings.openMode) {
      this.networkKey = undefined;
    } else {
      try {
        this.networkKey = await readKeyFile(this.keyFile);
      } catch {
        this.networkKey = generateNetworkKey();
        await writeKeyFile(this.keyFile, this.networkKey);
      }
    }
    if (!this.networkKey) this.notice('warning', 'Open mode: connections are not encrypted and anyone who can reach this machine can list and download your shared files.');
  }

  private transport(): Transport {
    return this.networkKey
      ? tlsTransport(this.networkKey, { onHandshakeFailure: throttledRefusals((line) => this.logger.warn(line)) })
      : tcpTransport;
  }

  private createEngine(port: number): Engine {
    const s = this.store.settings;
    const engine = new Engine({
      networkKey: this.networkKey,
      dataDir: path.join(this.options.dataDir, 'engine'),
      port,
      host: this.options.bindHost,
      trackers: this.effectiveTrackers(),
      downloadDir: s.downloadDir,
      uploadLimit: s.uploadLimitKiB * 1024,
      downloadLimit: s.downloadLimitKiB * 1024,
      logger: this.logger,
      usePolling: this.options.usePolling ?? false,
      cacheDir: this.options.dataDir,
      dht: s.dht ? { port: 0, bootstrap: this.options.dhtBootstrap ?? PUBLIC_BOOTSTRAP } : undefined,
    });
    engine.on('download', (p) => {
      this.pendingProgress.set(p.hash, p);
      if (p.state === 'stalled') this.pump(); // its slot goes to a queued download meanwhile
    });
    engine.on('files', () => {
      this.scheduleShares();
      void this.dropMissingFinished(); // the watcher saw a file go: maybe a finished download's
    });
    engine.on('folders', () => this.scheduleShares());
    engine.on('tracker', () => {
      void this.pushStatus();
      this.emit('network:changed', { at: Date.now() });
    });
    engine.on('warning', (m) => this.logger.warn(m));
    return engine;
  }

  private effectiveTrackers(): string[] {
    const s = this.store.settings;
    const list = [...s.trackers];
    if (this.tracker) list.unshift(`127.0.0.1:${this.tracker.port}`);
    return [...new Set(list)];
  }

  private async startTracker(port: number): Promise<void> {
    const tracker = new TrackerServer({
      port,
      host: this.options.bindHost,
      logger: this.logger,
      transport: this.transport(),
      ...(this.trackerIdentity ? { identity: this.trackerIdentity } : {}),
    });
    await tracker.start();
    this.tracker = tracker;
    this.trackerError = undefined;
  }

  // ---- events ----

  subscribe(sink: EventSink): () => void {
    this.sinks.add(sink);
    return () => this.sinks.delete(sink);
  }

  private emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void {
    for (const sink of this.sinks) {
      try {
        sink(event, payload);
      } catch (err) {
        this.logger.debug(`event sink failed: ${errorMessage(err)}`);
      }
    }
  }

  private notice(level: 'info' | 'warning' | 'error', message: string): void {
    if (level === 'info') this.logger.info(message);
    else this.logger.warn(message);
    this.emit('app:notice', { level, message });
  }

  private flushProgress(): void {
    if (this.pendingProgress.size === 0) return;
    const changed: DownloadRow[] = [];
    for (const [hash, row] of this.pendingProgress) {
      const key = JSON.stringify(row);
      if (this.lastSent.get(hash) !== key) {
        this.lastSent.set(hash, key);
        changed.push(row);
      }
    }
    this.pendingProgress.clear();
    if (changed.length) this.emit('downloads:progress', changed);
  }

  private scheduleShares(): void {
    if (this.sharesTimer) return;
    this.sharesTimer = setTimeout(() => {
      this.sharesTimer = undefined;
      this.emit('shares:changed', this.engine.folders());
      this.emit('network:changed', { at: Date.now() });
    }, SHARES_THROTTLE_MS);
    this.sharesTimer.unref();
  }

  private async pushStatus(): Promise<void> {
    if (this.stopped) return;
    const stats = await this.engine.trackerStats();
    const generation = stats.map((s) => `${s.address}:${s.generation}`).join(',');
    if (generation !== this.lastGeneration) {
      this.lastGeneration = generation;
      this.emit('network:changed', { at: Date.now() });
    }
    const status = this.status(Math.max(0, ...stats.map((s) => s.peers)));
    const key = JSON.stringify(status);
    if (key !== this.lastStatus) {
      this.lastStatus = key;
      this.emit('status:changed', status);
    }
  }

  private lastPeers = 0;
  status(peers = this.lastPeers): NetworkStatus {
    this.lastPeers = peers;
    const rates = this.engine.rates();
    return {
      secure: this.networkKey !== undefined,
      trackers: this.engine.trackers(),
      peersOnline: this.tracker ? this.tracker.state.peerCount : peers,
      uploadRate: rates.upload,
      downloadRate: rates.download,
      listenPort: this.engine.port,
      dhtNodes: this.engine.dht ? this.engine.dht.nodeCount : null,
      hostedTracker: this.hostedTracker(),
    };
  }

  private hostedTracker(): HostedTracker {
    const port = this.tracker?.port ?? this.store.settings.hostTrackerPort;
    return {
      running: this.tracker !== undefined,
      port,
      addresses: machineAddresses().map((a) => `${a}:${port}`),
      peers: this.tracker?.state.peerCount ?? 0,
      ...(this.trackerError ? { error: this.trackerError } : {}),
    };
  }

  // ---- requests ----

  /** Validates and runs one request; every outcome is an envelope, never a throw. */
  async invoke(channel: string, args: unknown): Promise<Envelope<unknown>> {
    if (!Object.hasOwn(this.handlers, channel)) return { ok: false, error: { code: 'bad_request', message: `unknown request ${channel.slice(0, 64)}` } };
    const checked = validateArgs(channel as RequestChannel, args);
    if (!checked.ok) return { ok: false, error: { code: 'bad_request', message: checked.message } };
    try {
      const handler = this.handlers[channel as RequestChannel] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(checked.value) };
    } catch (err) {
      if (err instanceof EngineError) return { ok: false, error: { code: err.code, message: err.message } };
      this.logger.error(`${channel} failed: ${errorMessage(err)}`);
      return { ok: false, error: { code: 'internal', message: errorMessage(err) } };
    }
  }

  snapshot(): AppSnapshot {
    return {
      settings: this.store.settings,
      folders: this.engine.folders(),
      downloads: this.downloadRows(),
      status: this.status(),
      capabilities: this.options.integration.capabilities,
      version: this.options.version,
    };
  }

  readonly handlers: Handlers = {
    'app:snapshot': async () => this.snapshot(),
    'shares:pick': async () => this.options.integration.pickFolder(),
    'shares:add': async ({ path: folder }) => {
      if (!path.isAbsolute(folder)) throw new EngineError('folder_unreadable', `"${folder}" is not an absolute path`);
      const added = await this.engine.addFolder(folder);
      if (!this.store.state.folders.includes(added.path)) await this.store.update((s) => void s.folders.push(added.path));
      this.emit('shares:changed', this.engine.folders());
      return added;
    },
    'shares:remove': async ({ path: folder }) => {
      await this.engine.removeFolder(folder);
      const resolved = path.resolve(folder);
      await this.store.update((s) => void (s.folders = s.folders.filter((f) => path.resolve(f) !== resolved)));
      this.emit('shares:changed', this.engine.folders());
      return null;
    },
    'network:list': async (q) => {
      await this.dropMissingFinished();
      const page = await this.engine.list(q);
      return {
        total: page.total,
        offset: q.offset,
        items: page.items.map((i) => ({ ...i, local: this.engine.hasContent(i.hash) })),
        ...(page.stale ? { stale: page.stale } : {}),
      };
    },
    'downloads:start': async (item) => {
      const existing = this.engine.getDownload(item.hash);
      if (existing && existing.state !== 'failed' && existing.state !== 'cancelled') return existing.progress();
      if (this.engine.hasContent(item.hash)) throw new EngineError('destination_exists', `You already have ${item.name}.`);
      const destDir = this.store.settings.downloadDir;
      const download = this.engine.download(item, destDir);
      await this.store.update((s) => {
        s.downloads = s.downloads.filter((d) => d.hash !== item.hash);
        s.downloads.push({ hash: item.hash, name: item.name, size: item.size, destDir, paused: false, done: false });
      });
      this.enqueue(download);
      return download.progress();
    },
    'downloads:pause': async ({ hash }) => {
      const d = this.requireDownload(hash);
      this.dequeue(hash);
      d.pause();
      await this.setPaused(hash, true);
      this.pendingProgress.set(hash, d.progress());
      return null;
    },
    'downloads:resume': async ({ hash }) => {
      const d = this.requireDownload(hash);
      if (d.state === 'done') return null;
      await this.setPaused(hash, false);
      this.enqueue(d);
      return null;
    },
    'downloads:retry': async ({ hash }) => this.handlers['downloads:resume']({ hash }),
    'downloads:cancel': async ({ hash, deleteData }) => {
      this.requireDownload(hash);
      this.dequeue(hash);
      await this.engine.cancelDownload(hash, { deleteData });
      this.forget(hash);
      await this.store.update((s) => void (s.downloads = s.downloads.filter((x) => x.hash !== hash)));
      return null;
    },
    'downloads:remove': async ({ hash }) => {
      const d = this.requireDownload(hash);
      if (this.running.has(hash) || d.state === 'queued') throw new EngineError('io_error', 'Pause or cancel the download first.');
      this.forget(hash);
      await this.store.update((s) => void (s.downloads = s.downloads.filter((x) => x.hash !== hash)));
      return null;
    },
    'downloads:open': async ({ hash }) => {
      await this.options.integration.openPath(this.finishedPath(hash));
      return null;
    },
    'downloads:reveal': async ({ hash }) => {
      this.options.integration.revealPath(this.finishedPath(hash));
      return null;
    },
    'settings:update': async (patch) => this.updateSettings(patch),
    'tracker:setHosting': async ({ enabled, port }) => this.setHosting(enabled, port),
    'network:invite': async () => {
      if (!this.networkKey) throw new EngineError('wrong_key', 'Open mode has no key: anyone can join with the tracker address alone. Turn open mode off to create a private network.');
      const reachable = machineAddresses()[0];
      if (this.tracker && !reachable) throw new EngineError('tracker_unreachable', NO_REACHABLE_ADDRESS);
      const tracker = this.tracker ? `${reachable}:${this.tracker.port}` : this.store.settings.trackers[0];
      if (!tracker) throw new EngineError('tracker_unreachable', 'Host a tracker or set one in Settings first: an invite names the tracker to join.');
      if (isLoopback(parseHostPort(tracker).host)) {
        throw new EngineError('tracker_unreachable', `The tracker ${tracker} is an address of this machine only, so an invite to it would not work anywhere else: host the tracker here, or invite from the machine that does.`);
      }
      const invite = { tracker, key: formatNetworkKey(this.networkKey) };
      const link = inviteLink(invite);
      return { ...invite, link, qrSvg: await QRCode.toString(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }) };
    },
    'network:join': async ({ invite }) => {
      const parsed = parseInvite(invite);
      if ('error' in parsed) throw new EngineError('bad_message', parsed.error);
      const key = parseNetworkKey(parsed.key);
      await writeKeyFile(this.keyFile, key);
      this.networkKey = key;
      this.store.state.settings = { ...this.store.settings, trackers: [parsed.tracker], openMode: false };
      await this.store.save();
      await this.restartNetwork();
      this.emit('settings:changed', this.store.settings);
      // The first answer of the tracker decides what to say: a wrong key is a failure, not "joined".
      const outcome = await this.engine.waitForTracker(JOIN_CHECK_MS, [parsed.tracker]).then(() => undefined, (err: unknown) => err);
      if (outcome instanceof EngineError && outcome.code === 'wrong_key') throw outcome;
      this.notice('info', `Joined the network of ${parsed.tracker}.`);
      return this.store.settings;
    },
  };

  /** Rebuilds every connection after the key or open mode changed; downloads pause and resume. */
  private async restartNetwork(): Promise<void> {
    this.queue.length = 0;
    const previousPort = this.engine.port;
    await this.engine.stop();
    for (let i = 0; i < 100 && this.running.size > 0; i++) await new Promise((r) => setTimeout(r, 20));
    if (this.tracker) {
      const port = this.tracker.port;
      await this.tracker.stop();
      this.tracker = undefined;
      await this.startTracker(port).catch((err: unknown) => {
        this.trackerError = errorMessage(err);
      });
    }
    this.engine = this.createEngine(this.store.settings.listenPort);
    try {
      await this.engine.start();
    } catch (err) {
      // The saved port was taken at start, so the engine ran elsewhere: go back there.
      if (!(err instanceof EngineError && err.code === 'port_in_use')) throw err;
      this.engine = this.createEngine(previousPort);
      await this.engine.start();
    }
    for (const folder of this.store.state.folders) await this.engine.addFolder(folder).catch((err: unknown) => this.notice('warning', errorMessage(err)));
    this.restoreDownloads();
    void this.pushStatus();
    this.emit('network:changed', { at: Date.now() });
  }

  // ---- downloads ----

  private downloadRows(): DownloadRow[] {
    return this.store.state.downloads.flatMap((d) => {
      const live = this.engine.getDownload(d.hash);
      if (live) return [live.progress()];
      return [];
    });
  }

  private restoreDownloads(): void {
    for (const saved of this.store.state.downloads) {
      let download: Download;
      try {
        download = this.engine.download({ hash: saved.hash, name: saved.name, size: saved.size }, saved.destDir);
      } catch (err) {
        this.notice('warning', `Cannot restore download of ${saved.name}: ${errorMessage(err)}`);
        continue;
      }
      if (saved.done) download.markDone(path.join(saved.destDir, ...saved.name.split('/')));
      else if (saved.paused) download.pause();
      else this.enqueue(download);
    }
  }

  private checkingFinished: Promise<void> | undefined;

  /**
   * Drops the record of every finished download whose file is gone from disk,
   * so its Network row offers Download again instead of saying "Downloaded".
   */
  private dropMissingFinished(): Promise<void> {
    if (this.checkingFinished) return this.checkingFinished;
    const check = (async () => {
      await Promise.resolve(); // `checkingFinished` is set before the body (and its finally) runs
      try {
        const missing: string[] = [];
        for (const saved of this.store.state.downloads) {
          const live = this.engine.getDownload(saved.hash);
          if (!saved.done || !live || live.state !== 'done') continue;
          const gone = await stat(live.finalPath).then(
            (st) => !st.isFile(),
            (err: unknown) => errorCode(err) === 'ENOENT' || errorCode(err) === 'ENOTDIR',
          );
          if (gone) missing.push(saved.hash);
        }
        if (missing.length === 0 || this.stopped) return;
        for (const hash of missing) this.forget(hash);
        await this.store.update((s) => void (s.downloads = s.downloads.filter((d) => !missing.includes(d.hash))));
        this.emit('network:changed', { at: Date.now() });
      } finally {
        this.checkingFinished = undefined;
      }
    })();
    this.checkingFinished = check;
    return check;
  }

  private enqueue(download: Download): void {
    if (this.running.has(download.hash) || this.queue.includes(download.hash)) return;
    download.markQueued();
    this.queue.push(download.hash);
    this.pump();
  }

  private dequeue(hash: string): void {
    const at = this.queue.indexOf(hash);
    if (at >= 0) this.queue.splice(at, 1);
  }

  /**
   * Starts queued downloads while fewer than MAX_ACTIVE_DOWNLOADS transfer. A
   * stalled one stays running (it resumes by itself when a holder is back, as
   * qBittorrent keeps stalled torrents active) but does not hold a slot, so
   * downloads that can make progress are not kept waiting behind it.
   */
  private pump(): void {
    const holdingSlot = () => [...this.running].filter((h) => this.engine.getDownload(h)?.state !== 'stalled').length;
    while (!this.stopped && holdingSlot() < MAX_ACTIVE_DOWNLOADS && this.queue.length > 0) {
      const hash = this.queue.shift()!;
      const download = this.engine.getDownload(hash);
      if (download) void this.runOne(download);
    }
  }

  private async runOne(download: Download): Promise<void> {
    this.running.add(download.hash);
    try {
      const finalPath = await this.engine.runDownload(download);
      await this.store.update((s) => {
        const saved = s.downloads.find((d) => d.hash === download.hash);
        if (saved) saved.done = true;
      });
      this.options.integration.notify('Download finished', download.name);
      this.emit('downloads:finished', { hash: download.hash, name: download.name, path: finalPath });
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'cancelled')) {
        this.notice('warning', `${download.name}: ${errorMessage(err)}`);
      }
    } finally {
      this.running.delete(download.hash);
      this.pendingProgress.set(download.hash, download.progress());
      this.pump();
    }
  }

  private async setPaused(hash: string, paused: boolean): Promise<void> {
    await this.store.update((s) => {
      const saved = s.downloads.find((d) => d.hash === hash);
      if (saved) saved.paused = paused;
    });
  }

  private forget(hash: string): void {
    this.engine.forgetDownload(hash);
    this.lastSent.delete(hash);
    this.pendingProgress.delete(hash);
    this.emit('downloads:progress', []);
  }

  private requireDownload(hash: string): Download {
    const d = this.engine.getDownload(hash);
    if (!d) throw new EngineError('not_found', 'No such download.');
    return d;
  }

  private finishedPath(hash: string): string {
    const d = this.requireDownload(hash);
    if (d.state !== 'done') throw new EngineError('not_found', `${d.name} is not finished yet.`);
    return d.finalPath;
  }

  // ---- settings ----

  /** Checks everything first and applies nothing when any part is wrong. */
  private async updateSettings(patch: Partial<Settings>): Promise<Settings> {
    const current = this.store.settings;
    if (patch.trackers) {
      for (const t of patch.trackers) {
        try {
          parseHostPort(t);
        } catch {
          throw new EngineError('bad_message', `"${t}" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.`);
        }
      }
    }
    if (patch.downloadDir !== undefined) {
      try {
        if (!path.isAbsolute(patch.downloadDir)) throw new Error('not an absolute path');
        if (!(await stat(patch.downloadDir)).isDirectory()) throw new Error('that is not a folder');
        await access(patch.downloadDir, constants.W_OK);
      } catch (err) {
        throw new EngineError('folder_unreadable', `Cannot download into ${patch.downloadDir}: ${folderProblem(err)}.`);
      }
    }
    // The only changes that can fail half-way open ports: do them before anything else changes.
    if (patch.listenPort !== undefined && patch.listenPort !== this.engine.port) {
      const bound = await this.engine.setListenPort(patch.listenPort);
      patch = { ...patch, listenPort: bound };
    }
    if (patch.hostTrackerPort !== undefined && this.tracker && patch.hostTrackerPort !== this.tracker.port) {
      const previous = this.tracker;
      await this.startTracker(patch.hostTrackerPort);
      await previous.stop();
      patch = { ...patch, hostTrackerPort: this.tracker.port };
    }
    const next: Settings = { ...current, ...patch };
    this.store.state.settings = next;
    await this.store.save();
    if (patch.openMode !== undefined && patch.openMode !== current.openMode) {
      await this.loadNetworkKey();
      await this.restartNetwork();
    } else if (patch.dht !== undefined && patch.dht !== current.dht) {
      await this.restartNetwork();
    }
    if (patch.trackers || patch.hostTrackerPort !== undefined) this.engine.setTrackers(this.effectiveTrackers());
    if (patch.downloadDir) this.engine.setDownloadDir(patch.downloadDir);
    if (patch.uploadLimitKiB !== undefined || patch.downloadLimitKiB !== undefined) {
      this.engine.setRateLimits({ upload: next.uploadLimitKiB * 1024, download: next.downloadLimitKiB * 1024 });
    }
    this.emit('settings:changed', next);
    void this.pushStatus();
    return next;
  }

  private async setHosting(enabled: boolean, port?: number): Promise<HostedTracker> {
    if (enabled) {
      const wanted = port ?? this.store.settings.hostTrackerPort;
      if (this.tracker && this.tracker.port !== wanted && port !== undefined) {
        const previous = this.tracker;
        await this.startTracker(wanted);
        await previous.stop();
      } else if (!this.tracker) {
        try {
          await this.startTracker(wanted);
        } catch (err) {
          this.trackerError = errorMessage(err);
          throw err;
        }
      }
    } else if (this.tracker) {
      const tracker = this.tracker;
      this.tracker = undefined;
      await tracker.stop();
    }
    this.trackerError = undefined;
    this.store.state.settings = { ...this.store.settings, hostTracker: enabled, hostTrackerPort: this.tracker?.port ?? port ?? this.store.settings.hostTrackerPort };
    await this.store.save();
    this.engine.setTrackers(this.effectiveTrackers());
    this.emit('settings:changed', this.store.settings);
    void this.pushStatus();
    return this.hostedTracker();
  }
}

import os from 'node:os';
import path from 'node:path';
import { validateArgs, type AppSnapshot, type Envelope, type NetworkStatus, type RequestChannel, type RequestErrorCode, type Settings } from '../../shared/ipc/contract.js';
import type { MemberInvite } from '../../shared/ipc/invite.js';
import { adoptMembership, DEFAULT_RELAY_LIMIT_KIBPS, Engine, EngineError, loadMemberCard, type MemberCard, memberIdentity, redeemInvite, saveMemberCard, errorMessage, type Logger, type NetworkKey, PUBLIC_BOOTSTRAP, silentLogger } from '../engine/api.js';
import type { DesktopIntegration } from './desktop-integration.js';
import { TrailingThrottle } from './event-throttle.js';
import { downloadHandlers } from './handlers/downloads.js';
import type { Handlers, HostContext } from './handlers/host-context.js';
import { networkHandlers } from './handlers/network.js';
import { memberHandlers } from './handlers/members.js';
import { settingsHandlers } from './handlers/settings.js';
import { shareHandlers } from './handlers/shares.js';
import { HostEvents, type EventSink } from './host-events.js';
import { NetworkKeyPolicy } from './network-key-policy.js';
import { SettingsStore } from './settings-store.js';
import { StatusPublisher } from './status-publisher.js';
import { TrackerHosting } from './tracker-hosting.js';

/** A folder scan reports every file; the shares list and the listing are pushed once per this. */
const SHARES_THROTTLE_MS = 250;

export type { EventSink };

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

/**
 * The app's host process, minus any window: owns the engine, the optional
 * built-in tracker, settings and the download list, and answers every request
 * of the IPC contract through the handlers of each domain (handlers/). Electron
 * main and the headless WebSocket host are two thin transports over this.
 */
export class AppHost {
  readonly store: SettingsStore;
  engine!: Engine;
  /** Every request channel of the contract, registered by its key. */
  readonly handlers: Handlers;
  private readonly logger: Logger;
  private readonly events: HostEvents;
  private readonly key: NetworkKeyPolicy;
  private readonly tracker: TrackerHosting;
  private readonly shares: TrailingThrottle;
  private readonly statusPublisher: StatusPublisher;
  /** This app's membership of a managed network (docs/PROTOCOL.md §22), from its data dir. */
  private memberCard: MemberCard | undefined;
  /** The last "not a member" refusal told as a notice (each is told once). */
  private memberProblem: string | undefined;

  constructor(private readonly options: AppHostOptions) {
    const { dataDir } = options;
    const engine = () => this.engine;
    this.logger = options.logger ?? silentLogger;
    this.store = new SettingsStore(path.join(dataDir, 'settings.json'), options.defaults);
    const events = (this.events = new HostEvents(this.logger));
    this.key = new NetworkKeyPolicy({ keyFile: path.join(dataDir, 'network.key'), forced: options.networkKey, logger: this.logger, warn: (m) => events.notice('warning', m) });
    this.tracker = new TrackerHosting({
      dataDir,
      bindHost: options.bindHost,
      logger: this.logger,
      networkKey: () => this.key.current,
      // The same switch as the peer port's mapping (and off in tests: P2P_NO_UPNP=1).
      mapPort: () => this.store.settings.upnp && process.env.P2P_NO_UPNP !== '1',
      onPublicAddress: (address) => {
        if (address) this.logger.info(`the hosted tracker is reachable from outside at ${address} (TCP and UDP forwarded by the router)`);
        void this.statusPublisher.push(); // the invite gains (or loses) that address
      },
    });
    this.shares = new TrailingThrottle(SHARES_THROTTLE_MS, () => {
      events.emit('shares:changed', this.engine.folders());
      events.networkChanged();
    });
    this.statusPublisher = new StatusPublisher({ engine, store: this.store, key: this.key, tracker: this.tracker, events });
    const context = this.context();
    this.handlers = {
      'app:snapshot': async () => this.snapshot(),
      ...shareHandlers(context),
      ...networkHandlers(context),
      ...memberHandlers(context),
      ...downloadHandlers(context),
      ...settingsHandlers(context),
    };
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
    await this.key.choose(settings);
    await this.tracker.loadIdentity();
    this.memberCard = await loadMemberCard(this.options.dataDir);

    if (settings.hostTracker) {
      await this.tracker.start(settings.hostTrackerPort).catch(() => this.events.notice('warning', `Could not host the tracker: ${this.tracker.error}`));
    }
    this.engine = this.createEngine(settings.listenPort);
    try {
      await this.engine.start();
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'port_in_use')) throw err;
      this.events.notice('warning', `${err.message} Using a free port this time; the next start tries port ${settings.listenPort} again.`);
      this.engine = this.createEngine(0);
      await this.engine.start();
    }
    // A saved port stays saved even when it was taken this once (port forwarding names it); 0 becomes the port picked.
    if (settings.listenPort === 0) settings.listenPort = this.engine.port;
    for (const folder of [...this.store.state.folders]) {
      try {
        await this.engine.addFolder(folder);
      } catch (err) {
        this.events.notice('warning', errorMessage(err));
      }
    }
    delete this.store.state.downloads; // moved into the engine's download list at its first start
    await this.store.save();
    this.statusPublisher.start();
  }

  async stop(): Promise<void> {
    this.statusPublisher.stop();
    this.shares.cancel();
    await this.engine.stop();
    await this.tracker.stop();
    await this.store.save();
  }

  private createEngine(port: number): Engine {
    const s = this.store.settings;
    const engine = new Engine({
      networkKey: this.key.current,
      dataDir: path.join(this.options.dataDir, 'engine'),
      port,
      host: this.options.bindHost,
      trackers: this.tracker.effectiveTrackers(s.trackers),
      downloadDir: s.downloadDir,
      uploadLimit: s.uploadLimitKiB * 1024,
      downloadLimit: s.downloadLimitKiB * 1024,
      logger: this.logger,
      usePolling: this.options.usePolling ?? false,
      cacheDir: this.options.dataDir,
      dht: s.dht ? { port: 0, bootstrap: this.options.dhtBootstrap ?? PUBLIC_BOOTSTRAP } : undefined,
      // P2P_NO_UPNP=1: tests and CI, where nothing may search the machine's real network.
      portMapping: s.upnp && process.env.P2P_NO_UPNP !== '1',
      punch: s.punch,
      relay: s.relay,
      // A member of a managed network uses the identity its certificate names, and refuses non-members.
      identity: this.memberCard?.identity,
      ownerKey: this.memberCard?.ownerKey,
      revocationsFile: this.memberCard ? path.join(this.options.dataDir, 'member', 'revocations.json') : undefined,
      // Capped by the upload limit when there is one: relaying is uploading.
      offerRelay: s.relayForOthers ? { limitKiBps: s.uploadLimitKiB > 0 ? s.uploadLimitKiB : DEFAULT_RELAY_LIMIT_KIBPS } : false,
      // P2P_NO_LAN=1: likewise, no multicast on the machine's real network. The advert says when we host a tracker.
      lan: s.lan && process.env.P2P_NO_LAN !== '1' ? { trackerPort: () => this.tracker.port } : false,
      downloadList: path.join(this.options.dataDir, 'downloads.json'),
      ...(this.store.state.downloads ? { seedDownloads: this.store.state.downloads } : {}),
    });
    engine.on('downloads', (rows) => this.events.emit('downloads:progress', rows));
    // Our tracker turned management on while we ran: keep the certificate, so the next start is a member too.
    engine.on('membership', (membership) => {
      const identity = engine.identity;
      if (!identity) return;
      adoptMembership(this.options.dataDir, identity, { ...membership, trackers: [] })
        .then(async () => {
          this.memberCard = await loadMemberCard(this.options.dataDir);
        })
        .catch((err: unknown) => this.logger.warn(`could not keep the member certificate: ${errorMessage(err)}`));
    });
    engine.on('download-removed', (hash) => {
      this.events.emit('downloads:removed', { hash });
      this.events.networkChanged(); // its listing row offers Download again
    });
    engine.on('download-finished', (done) => {
      this.options.integration.notify('Download finished', done.name);
      this.events.emit('downloads:finished', done);
    });
    engine.on('download-failed', ({ name, error }) => this.events.notice('warning', `${name}: ${error.message}`));
    engine.on('files', () => this.shares.schedule());
    engine.on('folders', () => this.shares.schedule());
    engine.on('tracker', (status) => {
      void this.statusPublisher.push();
      this.events.networkChanged();
      // Removed from a managed network, or not a member of it: said once, in words, not only in the tracker's row.
      const problem = status.problem?.code === 'not_member' ? status.problem.message : undefined;
      if (problem && problem !== this.memberProblem) this.events.notice('error', problem.replace(/^tracker (\S+): /, 'The tracker $1 says: '));
      this.memberProblem = problem;
    });
    engine.on('warning', (m) => this.logger.warn(m));
    engine.on('port-mapped', () => void this.statusPublisher.push());
    engine.on('lan-peers', () => {
      void this.statusPublisher.push();
      this.events.networkChanged(); // their files join or leave the listing
    });
    return engine;
  }

  /** Rebuilds every connection after the key or open mode changed; downloads pause and resume. */
  private async restartNetwork(): Promise<void> {
    const previousPort = this.engine.port;
    await this.engine.stop(); // resolves once its downloads have paused and closed their files
    await this.tracker.restart();
    this.engine = this.createEngine(this.store.settings.listenPort);
    try {
      await this.engine.start();
    } catch (err) {
      // The saved port was taken at start, so the engine ran elsewhere: go back there.
      if (!(err instanceof EngineError && err.code === 'port_in_use')) throw err;
      this.engine = this.createEngine(previousPort);
      await this.engine.start();
    }
    for (const folder of this.store.state.folders) await this.engine.addFolder(folder).catch((err: unknown) => this.events.notice('warning', errorMessage(err)));
    void this.statusPublisher.push();
    this.events.networkChanged();
  }

  /** The host's parts as the handlers see them; `engine` is read live, a restart replaces it. */
  private context(): HostContext {
    const currentEngine = () => this.engine;
    return {
      get engine() {
        return currentEngine();
      },
      store: this.store,
      integration: this.options.integration,
      events: this.events,
      tracker: this.tracker,
      key: this.key,
      status: this.statusPublisher,
      restartNetwork: () => this.restartNetwork(),
      applyTrackers: () => this.engine.setTrackers(this.tracker.effectiveTrackers(this.store.settings.trackers)),
      joinAsMember: (invite) => this.joinAsMember(invite),
    };
  }

  private async joinAsMember(invite: MemberInvite): Promise<string> {
    const identity = await memberIdentity(this.options.dataDir);
    const redeemed = await redeemInvite(invite, identity, os.hostname());
    await this.key.adopt(redeemed.networkKey);
    await saveMemberCard(this.options.dataDir, { certificate: redeemed.certificate, ownerKey: redeemed.ownerKey, trackers: [redeemed.tracker] });
    this.memberCard = await loadMemberCard(this.options.dataDir);
    return redeemed.tracker;
  }

  // ---- the transports' API ----

  subscribe(sink: EventSink): () => void {
    return this.events.subscribe(sink);
  }

  status(peers?: number): NetworkStatus {
    return this.statusPublisher.status(peers);
  }

  snapshot(): AppSnapshot {
    return {
      settings: this.store.settings,
      folders: this.engine.folders(),
      downloads: this.engine.downloads(),
      status: this.status(),
      capabilities: this.options.integration.capabilities,
      version: this.options.version,
    };
  }

  /** Validates and runs one request; every outcome is an envelope, never a throw. */
  async invoke(channel: string, args: unknown): Promise<Envelope<unknown>> {
    if (!Object.hasOwn(this.handlers, channel)) return refused({ code: 'bad_request', message: `unknown request ${channel.slice(0, 64)}` });
    const checked = validateArgs(channel as RequestChannel, args);
    if (!checked.ok) return refused({ code: 'bad_request', message: checked.message, field: checked.field });
    try {
      const handler = this.handlers[channel as RequestChannel] as (a: unknown) => Promise<unknown>;
      return { ok: true, value: await handler(checked.value) };
    } catch (err) {
      if (err instanceof EngineError) return refused({ code: err.code, message: err.message, field: err.field });
      this.logger.error(`${channel} failed: ${errorMessage(err)}`);
      return refused({ code: 'internal', message: errorMessage(err) });
    }
  }
}

/** A refusal envelope; `field` is left out, not undefined, when the error names none. */
function refused(error: { code: RequestErrorCode; message: string; field?: string | undefined }): Envelope<never> {
  const { field, ...rest } = error;
  return { ok: false, error: field === undefined ? rest : { ...rest, field } };
}

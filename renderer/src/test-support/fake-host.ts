import type {
  AppSnapshot,
  DownloadRow,
  Envelope,
  EventChannel,
  EventPayload,
  HostCapabilities,
  InviteInfo,
  ListingRow,
  MemberRow,
  MembersView,
  NetworkStatus,
  P2PApi,
  RequestArgs,
  RequestChannel,
  RequestError,
  RequestErrorCode,
  RequestResult,
  Settings,
  SharedFolder,
} from '../../../shared/ipc/contract';
import { inviteLink, parseInvite } from '../../../shared/ipc/invite';

/**
 * An in-memory P2PApi for component and store tests: the renderer's real
 * boundary, implemented over plain arrays. Every request is recorded in
 * `calls`; `fail(channel, …)` makes the next requests on a channel fail;
 * `emit` pushes an event as the host would.
 */

type Handler<C extends RequestChannel> = (args: RequestArgs<C>) => RequestResult<C> | Promise<RequestResult<C>>;
type Handlers = { [C in RequestChannel]: Handler<C> };

/** A refusal as the real host makes it: a stable code, and the field it is about when there is one. */
export class HostError extends Error {
  constructor(
    readonly code: RequestErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }

  envelope(): RequestError {
    return this.field === undefined ? { code: this.code, message: this.message } : { code: this.code, message: this.message, field: this.field };
  }
}

/** What the real host accepts as a tracker address (HOST:PORT, no spaces); the renderer checks less. */
const TRACKER_ADDRESS = /^[^\s/]+:\d{1,5}$/;

export function hashOf(n: number): string {
  return n.toString(16).padStart(64, '0');
}

export function listingRows(count: number, make?: (i: number) => Partial<ListingRow>): ListingRow[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `folder/file-${String(i).padStart(6, '0')}.bin`,
    size: (i + 1) * 1024,
    hash: hashOf(i + 1),
    peers: (i % 5) + 1,
    local: false,
    ...make?.(i),
  }));
}

export function downloadRow(patch: Partial<DownloadRow> = {}): DownloadRow {
  return {
    hash: hashOf(9001),
    name: 'movies/clip.mp4',
    path: '/home/me/Downloads/movies/clip.mp4',
    state: 'downloading',
    size: 100 * 1024 * 1024,
    bytesDone: 25 * 1024 * 1024,
    peers: 3,
    downloadRate: 2 * 1024 * 1024,
    etaSeconds: 38,
    ...patch,
  };
}

export const DEFAULT_SETTINGS: Settings = {
  trackers: ['192.168.1.20:6969'],
  listenPort: 5000,
  downloadDir: '/home/me/Downloads',
  theme: 'system',
  uploadLimitKiB: 0,
  downloadLimitKiB: 0,
  hostTracker: false,
  hostTrackerPort: 6969,
  openMode: false,
  dht: true,
  lan: true,
  punch: true,
  relay: true,
  relayForOthers: false,
  upnp: true,
};

/** The address the fake router forwards while UPnP is on. */
export const FAKE_MAPPED_ADDRESS = '203.0.113.2:5000';

/** Nodes in the fake DHT routing table while the DHT is on. */
export const FAKE_DHT_NODES = 120;

/** The fake network's key (a well-formed one: 43 base64url characters). */
export const FAKE_KEY = 'k3yK3yk3yK3yk3yK3yk3yK3yk3yK3yk3yK3yk3yK3y0';

export interface FakeHostOptions {
  mode?: HostCapabilities['mode'];
  settings?: Partial<Settings>;
  listing?: ListingRow[];
  downloads?: DownloadRow[];
  folders?: SharedFolder[];
  /** Overrides of the first status (trackers, dhtNodes…). */
  status?: Partial<NetworkStatus>;
  /** Answer `network:list` from a saved listing, as the host does when no tracker answers. */
  stale?: { savedAt: number };
}

export class FakeHost implements P2PApi {
  readonly calls: Array<{ channel: RequestChannel; args: unknown }> = [];
  settings: Settings;
  /** The hosted tracker's members (tests set them). */
  members: MemberRow[] = [];
  managed = false;
  listing: ListingRow[];
  downloads: DownloadRow[];
  folders: SharedFolder[];
  capabilities: HostCapabilities;
  status: NetworkStatus;
  /** Set: `network:list` pages say they come from the listing saved at this time. */
  stale: { savedAt: number } | undefined;
  /** The network key invites carry; `network:join` replaces it. */
  key = FAKE_KEY;
  private readonly failures = new Map<RequestChannel, HostError>();
  private readonly listeners = new Map<string, Set<(payload: never) => void>>();
  /** Swap a handler to control timing or results in one test. */
  readonly handlers: Handlers;

  constructor(options: FakeHostOptions = {}) {
    const mode = options.mode ?? 'desktop';
    this.capabilities = { mode, folderDialog: mode === 'desktop', openFiles: mode === 'desktop' };
    this.settings = { ...DEFAULT_SETTINGS, ...options.settings };
    this.listing = options.listing ?? [];
    this.downloads = options.downloads ?? [];
    this.folders = options.folders ?? [];
    this.status = {
      secure: !this.settings.openMode,
      trackers: [{ address: '192.168.1.20:6969', connected: true }],
      peersOnline: 4,
      uploadRate: 0,
      downloadRate: 0,
      listenPort: this.settings.listenPort,
      dhtNodes: this.settings.dht ? FAKE_DHT_NODES : null,
      mappedAddress: this.settings.upnp ? FAKE_MAPPED_ADDRESS : null,
      reachability: this.settings.upnp ? 'upnp' : 'unreachable',
      hostedTracker: { running: false, port: this.settings.hostTrackerPort, addresses: [], peers: 0 },
      lanMembers: [],
      relayingFor: this.settings.relayForOthers ? 0 : null,
      ...options.status,
    };
    this.stale = options.stale;
    this.handlers = {
      'app:snapshot': () => this.snapshot(),
      'shares:pick': () => '/home/me/Picked',
      'shares:add': ({ path }) => {
        if (!path.startsWith('/')) throw new HostError('invalid_argument', `"${path}" is not an absolute path`, 'path');
        const folder = { path, files: 3, bytes: 4096, hashingQueued: 0, ready: true };
        this.folders.push(folder);
        return { ...folder };
      },
      'shares:remove': ({ path }) => {
        this.folders = this.folders.filter((f) => f.path !== path);
        return null;
      },
      'network:list': ({ query, offset, limit, sort, descending }) => {
        const q = query.toLowerCase();
        const rows = this.listing.filter((r) => r.name.toLowerCase().includes(q));
        rows.sort((a, b) => {
          const x = a[sort];
          const y = b[sort];
          const c = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return descending ? -c : c;
        });
        const page = { total: rows.length, offset, items: rows.slice(offset, offset + limit) };
        return this.stale ? { ...page, stale: { ...this.stale } } : page;
      },
      'downloads:start': ({ hash, name, size }) => {
        const row = downloadRow({ hash, name, size, state: 'queued', bytesDone: 0, downloadRate: 0, etaSeconds: null, peers: 0 });
        this.downloads.push(row);
        return structuredClone(row);
      },
      'downloads:pause': ({ hash }) => this.setState(hash, 'paused'),
      'downloads:resume': ({ hash }) => this.setState(hash, 'queued'),
      'downloads:retry': ({ hash }) => this.setState(hash, 'queued'),
      'downloads:cancel': ({ hash }) => this.forget(hash),
      'downloads:remove': ({ hash }) => this.forget(hash),
      'downloads:open': () => null,
      'downloads:reveal': () => null,
      'settings:update': (patch) => {
        const bad = patch.trackers?.find((t) => !TRACKER_ADDRESS.test(t));
        if (bad !== undefined) throw new HostError('invalid_argument', `"${bad}" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.`, 'trackers');
        this.settings = { ...this.settings, ...patch };
        // Like the real host: open mode rebuilds the network, and the new status follows.
        if (patch.openMode !== undefined) this.pushStatus({ secure: !patch.openMode });
        // So does the DHT switch.
        if (patch.dht !== undefined) this.pushStatus({ dhtNodes: patch.dht ? FAKE_DHT_NODES : null });
        if (patch.upnp !== undefined) this.pushStatus({ mappedAddress: patch.upnp ? FAKE_MAPPED_ADDRESS : null, reachability: patch.upnp ? 'upnp' : 'unreachable' });
        return structuredClone(this.settings);
      },
      'tracker:setHosting': ({ enabled, port }) => {
        const p = port ?? this.settings.hostTrackerPort;
        this.settings = { ...this.settings, hostTracker: enabled, hostTrackerPort: p };
        const hosted = { running: enabled, port: p, addresses: enabled ? [`192.168.1.5:${p}`, `10.0.0.7:${p}`] : [], peers: enabled ? 2 : 0 };
        this.status = { ...this.status, hostedTracker: hosted };
        return hosted;
      },
      'network:invite': () => {
        if (this.settings.openMode) throw new HostError('invalid_state', 'Open mode has no key: anyone can join with the tracker address alone.');
        const tracker = this.status.hostedTracker.running ? (this.status.hostedTracker.addresses[0] ?? `127.0.0.1:${this.status.hostedTracker.port}`) : this.settings.trackers[0];
        if (!tracker) throw new HostError('invalid_state', 'Host a tracker or set one in Settings first: an invite names the tracker to join.');
        const hosted = this.status.hostedTracker;
        return fakeInvite(tracker, this.key, hosted.running && hosted.addresses.length ? hosted.addresses : [tracker]);
      },
      'members:list': () => this.membersView(),
      'members:invite': ({ expiresHours, uses }) => {
        if (!this.status.hostedTracker.running) throw new HostError('invalid_state', 'Members are managed by the tracker this app hosts: turn on Host tracker first.');
        this.managed = true;
        const link = `p2p://${this.status.hostedTracker.addresses[0] ?? '192.168.1.5:6969'}/join#AAAAAAAAAAAA.BBBBBBBBBBBBBBBBBBBBBBBB.${'c'.repeat(32)}`;
        return { link, qrSvg: '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 1 1"></svg>', expiresAt: new Date(Date.now() + expiresHours * 3_600_000).toISOString(), uses };
      },
      'members:revoke': ({ id }) => {
        this.members = this.members.filter((m) => m.id !== id);
        return this.membersView();
      },
      'network:join': ({ invite }) => {
        const parsed = parseInvite(invite);
        if ('error' in parsed) throw new HostError('invalid_argument', parsed.error, 'invite');
        this.key = parsed.key;
        this.settings = { ...this.settings, trackers: [parsed.tracker], openMode: false };
        this.pushStatus({ secure: true });
        const settings = structuredClone(this.settings);
        queueMicrotask(() => this.emit('settings:changed', structuredClone(settings)));
        return settings;
      },
    };
  }

  /** A copy, as if it crossed a process boundary: later changes here never leak into the stores. */
  snapshot(): AppSnapshot {
    return structuredClone({
      settings: this.settings,
      folders: this.folders,
      downloads: this.downloads,
      status: this.status,
      capabilities: this.capabilities,
      version: '0.1.0-test',
    });
  }

  /** `field`: the argument or settings key the refusal is about, as the real host names it. */
  fail(channel: RequestChannel, code: RequestErrorCode, message: string, field?: string): void {
    this.failures.set(channel, new HostError(code, message, field));
  }

  succeed(channel: RequestChannel): void {
    this.failures.delete(channel);
  }

  callsTo<C extends RequestChannel>(channel: C): Array<RequestArgs<C>> {
    return this.calls.filter((c) => c.channel === channel).map((c) => c.args as RequestArgs<C>);
  }

  async invoke<C extends RequestChannel>(channel: C, args: RequestArgs<C>): Promise<Envelope<RequestResult<C>>> {
    this.calls.push({ channel, args });
    await Promise.resolve();
    const failure = this.failures.get(channel);
    if (failure) return { ok: false, error: failure.envelope() };
    try {
      return { ok: true, value: await (this.handlers[channel] as Handler<C>)(args) };
    } catch (err) {
      if (err instanceof HostError) return { ok: false, error: err.envelope() };
      throw err;
    }
  }

  on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (payload: never) => void);
    return () => void set.delete(listener as (payload: never) => void);
  }

  emit<E extends EventChannel>(event: E, payload: EventPayload<E>): void {
    for (const fn of this.listeners.get(event) ?? []) (fn as (p: EventPayload<E>) => void)(payload);
  }

  listenerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  /** Changes the status and pushes it, as the host does after a change. */
  membersView(): MembersView {
    const hosting = this.status.hostedTracker.running;
    return { hosting, managed: hosting && this.managed, members: hosting ? structuredClone(this.members) : [] };
  }

  pushStatus(patch: Partial<NetworkStatus>): void {
    this.status = { ...this.status, ...patch };
    const status = structuredClone(this.status);
    queueMicrotask(() => this.emit('status:changed', status));
  }

  private setState(hash: string, state: DownloadRow['state']): null {
    const row = this.downloads.find((d) => d.hash === hash);
    if (!row) throw new HostError('not_found', 'No such download.');
    row.state = state;
    // Like the real host, the change reaches the UI as a progress event.
    queueMicrotask(() => this.emit('downloads:progress', [structuredClone(row)]));
    return null;
  }

  private forget(hash: string): null {
    if (!this.downloads.some((d) => d.hash === hash)) throw new HostError('not_found', 'No such download.');
    this.downloads = this.downloads.filter((d) => d.hash !== hash);
    queueMicrotask(() => this.emit('downloads:removed', { hash }));
    return null;
  }
}

/** What the host answers to `network:invite`: the QR code is a stand-in SVG that names the link. */
export function fakeInvite(tracker: string, key: string = FAKE_KEY, trackers: string[] = [tracker]): InviteInfo {
  const link = inviteLink({ tracker, trackers, key });
  return { tracker, trackers, key, link, qrSvg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><desc>${link}</desc><path d="M0 0h7v7H0z"/></svg>` };
}

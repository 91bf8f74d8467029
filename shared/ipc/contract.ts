import { z } from 'zod';
import { LIST_SORT_KEYS, contentHash, listingItem, relativePath } from '../protocol/messages.js';
import type { DownloadProgress, DownloadState, SharedFolderStatus, TrackerStatus } from '../types.js';
import type { RequestError } from './errors.js';

export type { RequestError, RequestErrorCode, TransportErrorCode } from './errors.js';

/**
 * The one contract between the UI and the host process. Every request the
 * renderer can make is declared here once: its channel name, a validator for
 * its arguments and the type of its result. Every event the host pushes is
 * declared here too. Electron main, the preload, the headless WebSocket host
 * and the renderer all derive their types and wiring from this object, so no
 * channel name is ever typed twice.
 */

const absolutePath = z.string().min(1).max(4096).refine((p) => !p.includes('\0'), 'path contains NUL');
const port = z.number().int().min(0).max(65535);
const hostPort = z.string().min(3).max(300);

export const THEMES = ['light', 'dark', 'system'] as const;
export type Theme = (typeof THEMES)[number];

export const settingsSchema = z.object({
  trackers: z.array(hostPort).max(16),
  listenPort: port,
  downloadDir: absolutePath,
  theme: z.enum(THEMES),
  /** KiB/s; 0 = unlimited */
  uploadLimitKiB: z.number().int().min(0).max(10_000_000),
  downloadLimitKiB: z.number().int().min(0).max(10_000_000),
  hostTracker: z.boolean(),
  hostTrackerPort: port,
  /** No key, no encryption: anyone who can connect may list and download. */
  openMode: z.boolean(),
  /** Also find peers on the Mainline DHT (works with no tracker at all). */
  dht: z.boolean(),
  /** Ask the LAN's router (UPnP) to forward the peer port, so peers behind other NATs reach this one. */
  upnp: z.boolean(),
  /** Reach peers behind NATs by UDP hole punching, coordinated by the tracker. */
  punch: z.boolean(),
  /** Use a tracker's relay when nothing else reaches a peer, and answer peers that reach us through one. */
  relay: z.boolean(),
  /** Relay for other members that reach each other no other way (used once a tracker finds this machine reachable). */
  relayForOthers: z.boolean(),
  /** Find, and be found by, members on this network over mDNS. */
  lan: z.boolean(),
});
export type Settings = z.infer<typeof settingsSchema>;

export type { DownloadState };
export type SharedFolder = SharedFolderStatus;
export type DownloadRow = DownloadProgress;
export type TrackerState = TrackerStatus;

export interface HostedTracker {
  running: boolean;
  port: number;
  /** host:port others should enter: every non-loopback address of this machine. */
  addresses: string[];
  peers: number;
  error?: string;
}

/** How to join this network: the hosted (or first) tracker plus the key. */
/** A member of the network this app's tracker manages (docs/PROTOCOL.md §22). */
export interface MemberRow {
  id: string;
  name: string;
  role: 'member' | 'admin';
  /** ISO 8601. */
  joinedAt: string;
  /** Joined to the hosted tracker now. */
  online: boolean;
  /** This app's own peer. */
  self: boolean;
}

/** The hosted tracker's members; `managed` turns on with the first member invite. */
export interface MembersView {
  hosting: boolean;
  managed: boolean;
  members: MemberRow[];
}

/** A single-use (or N-use) member invite: no network key in it (§22.2). */
export interface MemberInviteInfo {
  link: string;
  qrSvg: string;
  /** ISO 8601. */
  expiresAt: string;
  uses: number;
}

export interface InviteInfo {
  tracker: string;
  /** Every address the tracker may be reached at (LAN, IPv6, the router's public one), `tracker` first. */
  trackers: string[];
  key: string;
  /** p2p://HOST:PORT[,HOST:PORT…]#KEY */
  link: string;
  /** The link as a QR code, an SVG document. */
  qrSvg: string;
}

export interface NetworkStatus {
  /** True when connections are TLS with the network key; false in open mode. */
  secure: boolean;
  trackers: TrackerState[];
  /** Peers known to the hosted tracker, or holders seen in the listing. */
  peersOnline: number;
  uploadRate: number;
  downloadRate: number;
  listenPort: number;
  /** Nodes in the DHT routing table; null when the DHT is off. */
  dhtNodes: number | null;
  /** HOST:PORT the LAN's router forwards to the peer port (UPnP); null when not mapped. */
  mappedAddress: string | null;
  /** How peers on other networks reach this machine, as far as the trackers and the router tell. */
  reachability: Reachability;
  hostedTracker: HostedTracker;
  /** Members found on this network (mDNS); empty when LAN discovery is off. */
  lanMembers: LanMember[];
  /** Connections relayed for other members now; null when this machine doesn't offer to relay. */
  relayingFor: number | null;
}

/** A member on this network, as its advertisement and the packet's source say. */
export interface LanMember {
  peerId: string;
  name: string;
  /** host:port of its peer server, on this LAN. */
  address: string;
  /** host:port of the tracker it hosts, when it hosts one. */
  tracker: string | null;
}

/**
 * `direct`: a tracker sees us at our own address; `upnp`/`nat-pmp`: the router forwards our port;
 * `unreachable`: behind a NAT that forwards nothing (peers reach us by hole punching and relays);
 * `unknown`: no tracker to tell.
 */
export type Reachability = 'direct' | 'upnp' | 'nat-pmp' | 'unreachable' | 'unknown';

export type ListingRow = z.infer<typeof listingItem> & { local: boolean };

export interface ListingPage {
  total: number;
  offset: number;
  items: ListingRow[];
  /** Set when no tracker answered: the page comes from the listing saved at this time (ms since epoch). */
  stale?: { savedAt: number };
}

/** What differs between the desktop app and the browser UI. */
export interface HostCapabilities {
  mode: 'desktop' | 'browser';
  /** A native folder picker exists; otherwise the UI asks for a typed path. */
  folderDialog: boolean;
  /** Open a finished file / reveal it in the file manager. */
  openFiles: boolean;
}

export interface AppSnapshot {
  settings: Settings;
  folders: SharedFolder[];
  downloads: DownloadRow[];
  status: NetworkStatus;
  capabilities: HostCapabilities;
  version: string;
}

/** Declares a request: argument validator and result type (a phantom, types only). */
function request<A extends z.ZodType, R>(args: A): { args: A; result: R } {
  return { args, result: undefined as R };
}
const none = z.object({}).strict();
const byHash = z.object({ hash: contentHash }).strict();
const byPath = z.object({ path: absolutePath }).strict();
/** `deleteData: false` keeps the verified pieces on disk for a later download of the same content. */
const cancelArgs = z.object({ hash: contentHash, deleteData: z.boolean() }).strict();
const listArgs = z
  .object({
    query: z.string().max(256),
    offset: z.number().int().min(0).max(2 ** 31),
    limit: z.number().int().min(1).max(1000),
    sort: z.enum(LIST_SORT_KEYS),
    descending: z.boolean(),
  })
  .strict();
const startArgs = z.object({ hash: contentHash, name: relativePath, size: z.number().int().min(0) }).strict();
const settingsPatch = settingsSchema.omit({ hostTracker: true }).partial().strict();
const hostingArgs = z.object({ enabled: z.boolean(), port: port.optional() }).strict();
const joinArgs = z.object({ invite: z.string().min(1).max(1000) }).strict();
const memberInviteArgs = z.object({ expiresHours: z.number().int().min(1).max(24 * 366), uses: z.number().int().min(1).max(10_000) }).strict();
const byMemberId = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'a member id is 32 hex digits') }).strict();


export const contract = {
  requests: {
    'app:snapshot': request<typeof none, AppSnapshot>(none),
    'shares:pick': request<typeof none, string | null>(none),
    'shares:add': request<typeof byPath, SharedFolder>(byPath),
    'shares:remove': request<typeof byPath, null>(byPath),
    'network:list': request<typeof listArgs, ListingPage>(listArgs),
    'downloads:start': request<typeof startArgs, DownloadRow>(startArgs),
    'downloads:pause': request<typeof byHash, null>(byHash),
    'downloads:resume': request<typeof byHash, null>(byHash),
    'downloads:cancel': request<typeof cancelArgs, null>(cancelArgs),
    'downloads:retry': request<typeof byHash, null>(byHash),
    'downloads:remove': request<typeof byHash, null>(byHash),
    'downloads:open': request<typeof byHash, null>(byHash),
    'downloads:reveal': request<typeof byHash, null>(byHash),
    'settings:update': request<typeof settingsPatch, Settings>(settingsPatch),
    'tracker:setHosting': request<typeof hostingArgs, HostedTracker>(hostingArgs),
    'network:invite': request<typeof none, InviteInfo>(none),
    'network:join': request<typeof joinArgs, Settings>(joinArgs),
    'members:list': request<typeof none, MembersView>(none),
    'members:invite': request<typeof memberInviteArgs, MemberInviteInfo>(memberInviteArgs),
    'members:revoke': request<typeof byMemberId, MembersView>(byMemberId),
  },
  events: {
    /** Rows that changed (at most ten batches a second). */
    'downloads:progress': undefined as unknown as DownloadRow[],
    /** A row left the list: cancelled, removed, or finished and its file deleted. */
    'downloads:removed': undefined as unknown as { hash: string },
    'shares:changed': undefined as unknown as SharedFolder[],
    'status:changed': undefined as unknown as NetworkStatus,
    'settings:changed': undefined as unknown as Settings,
    /** The network listing may have changed: refetch what is on screen. */
    'network:changed': undefined as unknown as { at: number },
    'app:notice': undefined as unknown as { level: 'info' | 'warning' | 'error'; message: string },
    'downloads:finished': undefined as unknown as { hash: string; name: string; path: string },
  },
};

export type Contract = typeof contract;
export type RequestChannel = keyof Contract['requests'];
export type EventChannel = keyof Contract['events'];
export type RequestArgs<C extends RequestChannel> = z.input<Contract['requests'][C]['args']>;
export type RequestResult<C extends RequestChannel> = Contract['requests'][C]['result'];
export type EventPayload<E extends EventChannel> = Contract['events'][E];

export const REQUEST_CHANNELS = Object.keys(contract.requests) as RequestChannel[];
export const EVENT_CHANNELS = Object.keys(contract.events) as EventChannel[];

/** Every result crosses the boundary in this envelope, so an error's code and field survive the trip. */
export type Envelope<T> = { ok: true; value: T } | { ok: false; error: RequestError };

/** The API the renderer sees, whichever transport carries it (Electron IPC or WebSocket). */
export interface P2PApi {
  invoke<C extends RequestChannel>(channel: C, args: RequestArgs<C>): Promise<Envelope<RequestResult<C>>>;
  on<E extends EventChannel>(event: E, listener: (payload: EventPayload<E>) => void): () => void;
}

/** Validates a request's arguments; returns a readable reason, and the argument it is about, on failure. */
export function validateArgs<C extends RequestChannel>(channel: C, args: unknown):
  | { ok: true; value: RequestArgs<C> }
  | { ok: false; message: string; field?: string } {
  const spec = contract.requests[channel];
  if (!spec) return { ok: false, message: `unknown channel ${String(channel)}` };
  const parsed = spec.args.safeParse(args ?? {});
  if (parsed.success) return { ok: true, value: parsed.data as RequestArgs<C> };
  const issue = parsed.error.issues[0];
  const message = `${issue?.path.join('.') || 'arguments'}: ${issue?.message ?? 'invalid'}`;
  const field = issue?.path[0];
  return typeof field === 'string' ? { ok: false, message, field } : { ok: false, message };
}

export function isRequestChannel(value: unknown): value is RequestChannel {
  return typeof value === 'string' && Object.hasOwn(contract.requests, value);
}

/** Records both the engine and its front ends (CLI, UI) see. Pure types, no runtime. */

/** `stalled`: no holder reachable right now; verified pieces kept, resumes by itself when one is back. */
export type DownloadState = 'queued' | 'connecting' | 'downloading' | 'stalled' | 'verifying' | 'done' | 'failed' | 'paused' | 'cancelled';

export interface DownloadProgress {
  hash: string;
  /** Relative path it is saved under. */
  name: string;
  /** Absolute path of the finished file. */
  path: string;
  state: DownloadState;
  size: number;
  bytesDone: number;
  peers: number;
  /** Bytes per second, averaged over a few seconds. */
  downloadRate: number;
  etaSeconds: number | null;
  error?: { code: string; message: string };
  /** Every peer this download took bytes from (or is connected to), and how it was reached. */
  routes?: PeerRoute[];
}

/**
 * How a connection to a peer was made: `direct` (dialled its address), `lan` (dialled an address
 * on this network), `reversed` (it dialled us, asked by the tracker), `punched` (UDP hole punching,
 * then UDX), `relayed` (spliced by a tracker's relay, still end-to-end TLS).
 */
export type PeerPath = 'direct' | 'lan' | 'reversed' | 'punched' | 'relayed';

export interface PeerRoute {
  /** The peer's id, first 8 hex digits. */
  peer: string;
  path: PeerPath;
  /** Verified bytes received from it. */
  bytes: number;
}

export interface SharedFolderStatus {
  path: string;
  files: number;
  bytes: number;
  hashingQueued: number;
  ready: boolean;
}

export interface TrackerStatus {
  address: string;
  connected: boolean;
  /** Why the tracker turned us away (another network key, or it is full), with the sentence to show; absent otherwise. */
  problem?: { code: 'wrong_key' | 'tracker_full' | 'not_member'; message: string };
  /** HOST:PORT the tracker lists this peer at (its source address as the tracker sees it, and the announced port), while connected. */
  seenAs?: string;
  /** Whether the tracker, dialling `seenAs` back, reached this peer there; absent until it says. */
  reachable?: boolean;
}

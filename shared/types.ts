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
  problem?: { code: 'wrong_key' | 'tracker_full'; message: string };
  /** HOST:PORT the tracker lists this peer at (its source address as the tracker sees it, and the announced port), while connected. */
  seenAs?: string;
}

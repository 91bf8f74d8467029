import type { DownloadState } from './types.js';

/**
 * Whether a download of this content may be started (again): there is none,
 * or the last one failed or was cancelled. Anything else is already in the
 * list (queued, running, paused or done), and starting returns that one.
 * The engine's queue and the Network view's Download button both ask this.
 */
export function canStartDownload(state: DownloadState | undefined): boolean {
  return state === undefined || state === 'failed' || state === 'cancelled';
}

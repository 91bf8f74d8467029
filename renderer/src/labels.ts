import type { DownloadState } from '../../shared/ipc/contract';

export const STATE_LABELS: Record<DownloadState, string> = {
  queued: 'Queued',
  connecting: 'Connecting',
  downloading: 'Downloading',
  stalled: 'Stalled',
  verifying: 'Verifying',
  done: 'Done',
  failed: 'Failed',
  paused: 'Paused',
  cancelled: 'Cancelled',
};

/** CSS modifier per state: the colour of its badge and progress bar. */
export function stateTone(state: DownloadState): 'active' | 'done' | 'failed' | 'paused' | 'idle' {
  switch (state) {
    case 'downloading':
    case 'verifying':
    case 'connecting':
      return 'active';
    case 'done':
      return 'done';
    case 'failed':
      return 'failed';
    case 'paused':
    case 'stalled':
      return 'paused';
    default:
      return 'idle';
  }
}

import type { Settings } from './ipc/contract.js';
import { DEFAULT_TRACKER_PORT } from './protocol/limits.js';

/**
 * The settings of a first start, declared once for the desktop app and the headless host (which
 * overrides some from its command line). The download folder is the caller's: shared/ knows no
 * home directory.
 */
export function defaultSettings(downloadDir: string): Settings {
  return {
    trackers: [],
    listenPort: 0,
    downloadDir,
    theme: 'system',
    uploadLimitKiB: 0,
    downloadLimitKiB: 0,
    hostTracker: true,
    hostTrackerPort: DEFAULT_TRACKER_PORT,
    openMode: false,
    dht: true,
    upnp: true,
    punch: true,
    relay: true,
    // Someone's own uplink: carrying others' traffic is asked for, never assumed.
    relayForOthers: false,
    lan: true,
  };
}

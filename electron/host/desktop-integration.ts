import type { HostCapabilities } from '../../shared/ipc/contract.js';
import { EngineError } from '../engine/api.js';

/**
 * The few things only a desktop can do. Electron main passes an implementation
 * backed by dialog/shell/Notification; the headless host passes
 * `browserIntegration`, and the UI adapts to its capabilities (a typed path
 * instead of a folder dialog, notifications from the browser itself).
 */
export interface DesktopIntegration {
  readonly capabilities: HostCapabilities;
  pickFolder(): Promise<string | null>;
  openPath(path: string): Promise<void>;
  revealPath(path: string): void;
  notify(title: string, body: string): void;
}

export const browserIntegration: DesktopIntegration = {
  capabilities: { mode: 'browser', folderDialog: false, openFiles: false },
  async pickFolder() {
    return null;
  },
  async openPath() {
    throw new EngineError('unavailable', 'opening files is only available in the desktop app');
  },
  revealPath() {
    throw new EngineError('unavailable', 'showing files in their folder is only available in the desktop app');
  },
  notify() {
    // The browser UI shows its own notification on `downloads:finished`.
  },
};

import type { BrowserWindow, Dialog, Notification as ElectronNotification, Shell } from 'electron';
import type { DesktopIntegration } from '../host/desktop-integration.js';
import { EngineError } from '../engine/api.js';

export interface DesktopDeps {
  dialog: Pick<Dialog, 'showOpenDialog'>;
  shell: Pick<Shell, 'openPath' | 'showItemInFolder'>;
  Notification: { new (options: { title: string; body: string }): Pick<ElectronNotification, 'show'>; isSupported(): boolean };
  window: () => BrowserWindow | undefined;
}

/** The desktop side of DesktopIntegration: native dialog, file manager, notifications. */
export function electronIntegration(deps: DesktopDeps): DesktopIntegration {
  return {
    capabilities: { mode: 'desktop', folderDialog: true, openFiles: true },
    async pickFolder() {
      const win = deps.window();
      const options = { title: 'Share a folder', properties: ['openDirectory', 'createDirectory'] as Array<'openDirectory' | 'createDirectory'> };
      const result = win ? await deps.dialog.showOpenDialog(win, options) : await deps.dialog.showOpenDialog(options);
      return result.canceled ? null : (result.filePaths[0] ?? null);
    },
    async openPath(target) {
      const error = await deps.shell.openPath(target);
      if (error) throw new EngineError('io_error', `Cannot open ${target}: ${error}`);
    },
    revealPath(target) {
      deps.shell.showItemInFolder(target);
    },
    notify(title, body) {
      if (deps.Notification.isSupported()) new deps.Notification({ title, body }).show();
    },
  };
}

import type { BrowserWindowConstructorOptions } from 'electron';

/** Scheme and origin the renderer is served from (never file://). */
export const APP_SCHEME = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://p2p`;
export const APP_URL = `${APP_ORIGIN}/index.html`;

/** Same policy as the headless host sends, and as renderer/index.html declares. */
export { CONTENT_SECURITY_POLICY } from '../host/static-files.js';

/**
 * Creates the main window. The renderer is an untrusted web page that can
 * only reach the host through the preload's contract, so Node stays out of
 * it and it runs sandboxed and isolated. The options are written out here,
 * literally, so static checkers (electronegativity) can see them; tests pass
 * a stand-in constructor and read them back.
 */
export function createMainWindow<W>(BrowserWindow: new (options: BrowserWindowConstructorOptions) => W, preloadPath: string, iconPath?: string): W {
  return new BrowserWindow({
    width: 1180,
    height: 760,
    minWidth: 760,
    minHeight: 480,
    show: false,
    title: 'p2pshare',
    backgroundColor: '#111418',
    ...(iconPath ? { icon: iconPath } : {}),
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      safeDialogs: true,
    },
  });
}

/**
 * Electron entry point: the only module that loads Electron at runtime. It
 * hosts one AppHost (engine, built-in tracker, settings) and one window that
 * talks to it through the preload's contract.
 */
import { BrowserWindow, Menu, Notification, Tray, app, dialog, ipcMain, nativeImage, protocol, session, shell } from 'electron';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultSettings } from '../../shared/settings-defaults.js';
import { streamLogger } from '../engine/api.js';
import { AppHost } from '../host/app-host.js';
import { electronIntegration } from './desktop-integration.js';
import { registerIpc } from './ipc.js';
import { appProtocolHandler } from './protocol.js';
import { lockDownContents, lockDownSession } from './security.js';
import { APP_SCHEME, APP_URL, createMainWindow } from './window.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = path.resolve(here, '../..'); // dist/
const RENDERER_DIR = path.join(DIST, 'renderer');
const PRELOAD = path.join(DIST, 'preload', 'index.cjs');
const ICON = path.resolve(DIST, '..', 'build', 'icon.png');

// Lets tests and portable installs keep state elsewhere; must happen before anything reads the path.
if (process.env.P2P_USER_DATA) app.setPath('userData', process.env.P2P_USER_DATA);

protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

if (!app.requestSingleInstanceLock()) app.quit();

let win: BrowserWindow | undefined;
let tray: Tray | undefined;
let host: AppHost | undefined;
let quitting = false;

function showWindow(): void {
  if (!win || win.isDestroyed()) {
    win = createMainWindow(BrowserWindow, PRELOAD, ICON);
    lockDownContents(win.webContents);
    win.once('ready-to-show', () => win?.show());
    win.on('close', (event) => {
      // Closing the window keeps sharing from the tray; Quit stops everything.
      if (!quitting && tray) {
        event.preventDefault();
        win?.hide();
      }
    });
    void win.loadURL(APP_URL);
  } else {
    win.show();
    win.focus();
  }
}

app.on('second-instance', () => showWindow());
app.on('web-contents-created', (_event, contents) => lockDownContents(contents));

app.whenReady().then(async () => {
  lockDownSession(session.defaultSession);
  protocol.handle(APP_SCHEME, appProtocolHandler(RENDERER_DIR));
  const shared = path.join(os.homedir(), 'P2P Share');
  await import('node:fs/promises').then((fs) => fs.mkdir(shared, { recursive: true }));
  host = new AppHost({
    dataDir: app.getPath('userData'),
    integration: electronIntegration({ dialog, shell, Notification, window: () => win }),
    version: app.getVersion(),
    logger: streamLogger(process.stderr, 'info'),
    defaults: { settings: defaultSettings(shared), folders: [shared] },
  });
  await host.start();
  registerIpc(ipcMain, host);
  host.subscribe((event, payload) => {
    if (win && !win.isDestroyed()) win.webContents.send(event, payload);
  });
  tray = new Tray(nativeImage.createFromPath(ICON));
  tray.setToolTip('p2pshare');
  tray.setContextMenu(
    Menu.buildFromTemplate([
      { label: 'Show p2pshare', click: () => showWindow() },
      { type: 'separator' },
      { label: 'Quit', click: () => app.quit() },
    ]),
  );
  tray.on('click', () => showWindow());
  showWindow();
});

app.on('before-quit', (event) => {
  if (quitting || !host) return;
  // Stop every server cleanly (trackers are told we leave), then really quit.
  event.preventDefault();
  quitting = true;
  void host.stop().finally(() => app.quit());
});

app.on('window-all-closed', () => {
  if (!tray) app.quit();
});

import type { Session, WebContents, WebFrameMain } from 'electron';
import { APP_ORIGIN, APP_SCHEME } from './window.js';

/** Only the app's own top frame may talk to the host. */
export function isTrustedSender(frame: Pick<WebFrameMain, 'url'> | null | undefined): boolean {
  if (!frame) return false;
  try {
    // Compare scheme and host: URL.origin is "null" for custom schemes outside Electron.
    const url = new URL(frame.url);
    return url.protocol === `${APP_SCHEME}:` && `${url.protocol}//${url.host}` === APP_ORIGIN;
  } catch {
    return false;
  }
}

/**
 * Applies Electron's security checklist to one web contents: no navigation
 * away from the app, no new windows, no webviews.
 */
export function lockDownContents(contents: Pick<WebContents, 'on' | 'setWindowOpenHandler'>): void {
  contents.on('will-navigate', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-redirect', (event, url) => {
    if (!url.startsWith(`${APP_ORIGIN}/`)) event.preventDefault();
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
}

/** Denies every permission a page can ask for (camera, geolocation, …): the UI needs none. */
export function lockDownSession(session: Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}

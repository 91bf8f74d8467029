import type { AppSnapshot } from '../../shared/ipc/contract';
import { call, connectionState, onConnectionChange, subscribe } from './api';
import { errorText } from './error-text';
import { notifyFinished } from './notifications';
import { useAppStore } from './stores/app-store';
import { useDownloadsStore } from './stores/downloads-store';
import { useNetworkStore } from './stores/network-store';
import { useSettingsStore } from './stores/settings-store';
import { useSharesStore } from './stores/shares-store';
import { useStatusStore } from './stores/status-store';
import { useToastStore } from './stores/toast-store';

/**
 * Wires the host's events into the stores and loads the snapshot: once at
 * start, and again after every reconnection (events were missed meanwhile).
 * Returns a function that undoes all of it.
 */

export function applySnapshot(snapshot: AppSnapshot): void {
  useSettingsStore.getState().load(snapshot);
  useSharesStore.getState().setAll(snapshot.folders);
  useDownloadsStore.getState().setAll(snapshot.downloads);
  useStatusStore.getState().setStatus(snapshot.status);
}

export async function loadSnapshot(): Promise<boolean> {
  const app = useAppStore.getState();
  try {
    applySnapshot(await call('app:snapshot', {}));
    app.setPhase('ready');
    return true;
  } catch (err) {
    // Once loaded, a failed refresh keeps the last good state (the banner explains).
    if (useAppStore.getState().phase !== 'ready') app.setPhase('failed', errorText(err));
    return false;
  }
}

export function startSync(): () => void {
  const offs = [
    subscribe('downloads:progress', (rows) => useDownloadsStore.getState().merge(rows)),
    subscribe('downloads:removed', ({ hash }) => useDownloadsStore.getState().drop(hash)),
    subscribe('shares:changed', (folders) => useSharesStore.getState().setAll(folders)),
    subscribe('status:changed', (status) => useStatusStore.getState().setStatus(status)),
    subscribe('settings:changed', (settings) => useSettingsStore.getState().setSettings(settings)),
    subscribe('network:changed', () => useNetworkStore.getState().invalidate()),
    subscribe('app:notice', ({ level, message }) => {
      useToastStore.getState().push({ level, title: message });
    }),
    subscribe('downloads:finished', (done) => {
      const capabilities = useSettingsStore.getState().capabilities;
      useToastStore.getState().push({ level: 'success', title: 'Download finished', body: done.name });
      if (capabilities?.mode === 'browser') notifyFinished(done.name);
    }),
    onConnectionChange((state) => {
      const app = useAppStore.getState();
      const wasDown = app.connection.status !== 'open';
      app.setConnection(state);
      // Events were missed while down: read everything again. (The first open needs nothing: the
      // snapshot request made at start waits for it, unless it already gave up.)
      if (state.status === 'open' && wasDown && (state.opens > 1 || app.phase === 'failed')) {
        void loadSnapshot();
        useNetworkStore.getState().invalidate();
      }
    }),
  ];
  useAppStore.getState().setConnection(connectionState());
  void loadSnapshot();
  return () => {
    for (const off of offs) off();
  };
}

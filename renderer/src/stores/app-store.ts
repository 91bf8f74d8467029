import { create } from 'zustand';
import type { ConnectionState } from '../socket-api';

export const VIEWS = ['network', 'downloads', 'shares', 'settings'] as const;
export type View = (typeof VIEWS)[number];

export interface AppState {
  view: View;
  /** 'loading' until the first snapshot arrives; 'failed' if it could not be read. */
  phase: 'loading' | 'ready' | 'failed';
  loadError: string | null;
  connection: ConnectionState;
  setView(view: View): void;
  setPhase(phase: AppState['phase'], loadError?: string | null): void;
  setConnection(connection: ConnectionState): void;
}

/** `#/downloads` ↔ 'downloads', so a reload (or the back button) keeps the view. */
export function viewFromHash(hash: string): View {
  const name = hash.replace(/^#\/?/, '');
  return (VIEWS as readonly string[]).includes(name) ? (name as View) : 'network';
}

export const useAppStore = create<AppState>()((set) => ({
  view: typeof location === 'undefined' ? 'network' : viewFromHash(location.hash),
  phase: 'loading',
  loadError: null,
  connection: { status: 'open', retryAt: null, failures: 0, opens: 1 },
  setView(view) {
    set({ view });
    if (typeof location !== 'undefined' && viewFromHash(location.hash) !== view) history.replaceState(null, '', `#/${view}`);
  },
  setPhase(phase, loadError = null) {
    set({ phase, loadError });
  },
  setConnection(connection) {
    set({ connection });
  },
}));

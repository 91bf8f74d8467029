import { create } from 'zustand';
import type { DownloadRow, DownloadState } from '../../../shared/ipc/contract';
import { call } from '../api';
import { errorText } from '../error-text';
import { omit } from './omit';

/** Row actions that map one-to-one to a request channel. */
export type DownloadAction = 'pause' | 'resume' | 'cancel' | 'retry' | 'remove' | 'open' | 'reveal';

/** States in which a download still has work to do (the sidebar badge counts these). */
export const ACTIVE_STATES: ReadonlySet<DownloadState> = new Set(['queued', 'connecting', 'downloading', 'stalled', 'verifying']);

export interface StartItem {
  hash: string;
  name: string;
  size: number;
}

export interface DownloadsState {
  rows: DownloadRow[];
  /** The action each row is waiting on, to disable its buttons meanwhile. */
  busy: Record<string, DownloadAction | 'start'>;
  /** The last failed action per row, shown inline in that row. */
  errors: Record<string, string>;
  /** The last download that could not be started (shown by the network view). */
  startError: { hash: string; name: string; message: string } | null;
  setAll(rows: DownloadRow[]): void;
  /** Applies a `downloads:progress` batch: only rows that changed, merged by hash. */
  merge(rows: DownloadRow[]): void;
  /** A row left the host's list (`downloads:removed`). */
  drop(hash: string): void;
  start(item: StartItem): Promise<boolean>;
  act(action: Exclude<DownloadAction, 'cancel'>, hash: string): Promise<boolean>;
  /** Cancels; `deleteData: false` keeps the verified pieces for a later download of the same file. */
  cancel(hash: string, deleteData: boolean): Promise<boolean>;
  clearError(hash: string): void;
  clearStartError(): void;
}

function visible(rows: DownloadRow[]): DownloadRow[] {
  return rows.filter((r) => r.state !== 'cancelled');
}


export const useDownloadsStore = create<DownloadsState>()((set, get) => {
  /** Runs one row action: marks the row busy meanwhile and keeps a failure's message on it. */
  async function runAction(action: DownloadAction, hash: string, request: () => Promise<unknown>): Promise<boolean> {
    set((s) => ({ busy: { ...s.busy, [hash]: action }, errors: omit(s.errors, hash) }));
    try {
      await request();
      // Cancel and remove forget the download on the host: drop it now rather than wait for downloads:removed.
      if (action === 'cancel' || action === 'remove') set((s) => ({ rows: s.rows.filter((r) => r.hash !== hash) }));
      return true;
    } catch (err) {
      set((s) => ({ errors: { ...s.errors, [hash]: errorText(err) } }));
      return false;
    } finally {
      set((s) => ({ busy: omit(s.busy, hash) }));
    }
  }

  return {
    rows: [],
    busy: {},
    errors: {},
    startError: null,

    setAll(rows) {
      set({ rows: visible(rows) });
    },

    merge(batch) {
      if (batch.length === 0) return;
      const rows = [...get().rows];
      const at = new Map(rows.map((r, i) => [r.hash, i]));
      for (const row of batch) {
        const i = at.get(row.hash);
        if (i === undefined) {
          at.set(row.hash, rows.length);
          rows.push(row);
        } else {
          rows[i] = row;
        }
      }
      set({ rows: visible(rows) });
    },

    drop(hash) {
      if (!get().rows.some((r) => r.hash === hash)) return;
      set((s) => ({ rows: s.rows.filter((r) => r.hash !== hash), busy: omit(s.busy, hash), errors: omit(s.errors, hash) }));
    },

    async start(item) {
      set((s) => ({ busy: { ...s.busy, [item.hash]: 'start' }, startError: null }));
      try {
        const row = await call('downloads:start', { hash: item.hash, name: item.name, size: item.size });
        get().merge([row]);
        set((s) => ({ errors: omit(s.errors, item.hash) }));
        return true;
      } catch (err) {
        set({ startError: { hash: item.hash, name: item.name, message: errorText(err) } });
        return false;
      } finally {
        set((s) => ({ busy: omit(s.busy, item.hash) }));
      }
    },

    act(action, hash) {
      return runAction(action, hash, () => call(`downloads:${action}`, { hash }));
    },

    cancel(hash, deleteData) {
      return runAction('cancel', hash, () => call('downloads:cancel', { hash, deleteData }));
    },

    clearError(hash) {
      set((s) => ({ errors: omit(s.errors, hash) }));
    },
    clearStartError() {
      set({ startError: null });
    },
  };
});

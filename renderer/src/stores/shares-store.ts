import { create } from 'zustand';
import type { SharedFolder } from '../../../shared/ipc/contract';
import { call } from '../api';
import { errorText } from '../error-text';
import { omit } from './omit';

export interface SharesState {
  folders: SharedFolder[];
  adding: boolean;
  /** Why the last add failed, shown under the path field / Add button. */
  addError: string | null;
  removing: Record<string, true>;
  removeErrors: Record<string, string>;
  setAll(folders: SharedFolder[]): void;
  /** Adds a typed path (browser mode). Resolves true when the folder is shared. */
  add(path: string): Promise<boolean>;
  /** Desktop mode: native folder dialog, then add. False when cancelled or failed. */
  pickAndAdd(): Promise<boolean>;
  remove(path: string): Promise<boolean>;
  clearAddError(): void;
}

function upsert(folders: SharedFolder[], folder: SharedFolder): SharedFolder[] {
  const i = folders.findIndex((f) => f.path === folder.path);
  if (i < 0) return [...folders, folder];
  const next = [...folders];
  next[i] = folder;
  return next;
}

export const useSharesStore = create<SharesState>()((set, get) => ({
  folders: [],
  adding: false,
  addError: null,
  removing: {},
  removeErrors: {},

  setAll(folders) {
    set({ folders });
  },

  async add(path) {
    const trimmed = path.trim();
    if (!trimmed) {
      set({ addError: 'Enter the full path of a folder on the host, for example /home/me/Videos.' });
      return false;
    }
    set({ adding: true, addError: null });
    try {
      const folder = await call('shares:add', { path: trimmed });
      set((s) => ({ folders: upsert(s.folders, folder) }));
      return true;
    } catch (err) {
      set({ addError: errorText(err) });
      return false;
    } finally {
      set({ adding: false });
    }
  },

  async pickAndAdd() {
    set({ addError: null });
    let picked: string | null;
    try {
      picked = await call('shares:pick', {});
    } catch (err) {
      set({ addError: errorText(err) });
      return false;
    }
    return picked ? get().add(picked) : false;
  },

  async remove(path) {
    set((s) => ({ removing: { ...s.removing, [path]: true }, removeErrors: omit(s.removeErrors, path) }));
    try {
      await call('shares:remove', { path });
      set((s) => ({ folders: s.folders.filter((f) => f.path !== path) }));
      return true;
    } catch (err) {
      set((s) => ({ removeErrors: { ...s.removeErrors, [path]: errorText(err) } }));
      return false;
    } finally {
      set((s) => ({ removing: omit(s.removing, path) }));
    }
  },

  clearAddError() {
    set({ addError: null });
  },
}));


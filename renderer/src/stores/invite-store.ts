import { create } from 'zustand';
import type { InviteInfo } from '../../../shared/ipc/contract';
import { parseInvite, parseMemberInvite } from '../../../shared/ipc/invite';
import { call } from '../api';
import { errorText } from '../error-text';
import { useSettingsStore } from './settings-store';

export interface InviteState {
  /** This network's invite, as the host last gave it; null until read, or when it cannot be made. */
  invite: InviteInfo | null;
  inviteError: string | null;
  inviteLoading: boolean;
  join: { busy: boolean; error: string | null; joinedAt: number | null };
  /** Asks the host for the invite again (after hosting, ports, trackers or the key changed). */
  refreshInvite(): Promise<void>;
  /** Checks the pasted invite here first, then asks the host to join; true when it did. */
  joinNetwork(text: string): Promise<boolean>;
  clearJoinError(): void;
}

/** Only the newest invite request may land: answers to older ones describe an older network. */
let latestInvite = 0;

/** Inviting others into this network, and joining someone else's. */
export const useInviteStore = create<InviteState>()((set, get) => ({
  invite: null,
  inviteError: null,
  inviteLoading: false,
  join: { busy: false, error: null, joinedAt: null },

  async refreshInvite() {
    const request = ++latestInvite;
    set({ inviteLoading: true });
    try {
      const invite = await call('network:invite', {});
      if (request === latestInvite) set({ invite, inviteError: null, inviteLoading: false });
    } catch (err) {
      // A stale invite names a key or tracker that no longer works: drop it.
      if (request === latestInvite) set({ invite: null, inviteError: errorText(err), inviteLoading: false });
    }
  },

  async joinNetwork(text) {
    if (get().join.busy) return false;
    // A member invite (…/join#…) is checked by the tracker that issued it; a key invite is checked here first.
    const parsed = 'error' in parseMemberInvite(text) ? parseInvite(text) : { ok: true };
    if ('error' in parsed) {
      set((s) => ({ join: { ...s.join, error: parsed.error } }));
      return false;
    }
    set((s) => ({ join: { ...s.join, busy: true, error: null } }));
    try {
      const settings = await call('network:join', { invite: text.trim() });
      // settings:changed follows; show the new trackers at once.
      useSettingsStore.getState().setSettings(settings);
      set({ join: { busy: false, error: null, joinedAt: Date.now() } });
      return true;
    } catch (err) {
      set((s) => ({ join: { ...s.join, busy: false, error: errorText(err) } }));
      return false;
    }
  },

  clearJoinError() {
    if (get().join.error) set((s) => ({ join: { ...s.join, error: null } }));
  },
}));

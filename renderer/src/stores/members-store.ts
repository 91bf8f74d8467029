import { create } from 'zustand';
import type { MemberInviteInfo, MembersView } from '../../../shared/ipc/contract';
import { call } from '../api';
import { errorText } from '../error-text';

export interface MembersState {
  view: MembersView | null;
  error: string | null;
  /** The last invite made here (its secret is shown once, as the link). */
  invite: MemberInviteInfo | null;
  inviting: boolean;
  inviteError: string | null;
  /** Member ids being revoked. */
  revoking: string[];
  refresh(): Promise<void>;
  createInvite(expiresHours: number, uses: number): Promise<void>;
  revoke(id: string): Promise<void>;
}

/** The members of the network the hosted tracker manages (docs/PROTOCOL.md §22). */
export const useMembersStore = create<MembersState>()((set, get) => ({
  view: null,
  error: null,
  invite: null,
  inviting: false,
  inviteError: null,
  revoking: [],

  async refresh() {
    try {
      set({ view: await call('members:list', {}), error: null });
    } catch (err) {
      set({ error: errorText(err) });
    }
  },

  async createInvite(expiresHours, uses) {
    set({ inviting: true, inviteError: null });
    try {
      const invite = await call('members:invite', { expiresHours, uses });
      set({ invite, inviting: false });
      void get().refresh(); // the first invite turns management on
    } catch (err) {
      set({ inviting: false, inviteError: errorText(err) });
    }
  },

  async revoke(id) {
    set({ revoking: [...get().revoking, id] });
    try {
      set({ view: await call('members:revoke', { id }), error: null });
    } catch (err) {
      set({ error: errorText(err) });
    } finally {
      set({ revoking: get().revoking.filter((r) => r !== id) });
    }
  },
}));

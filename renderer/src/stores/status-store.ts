import { create } from 'zustand';
import type { NetworkStatus } from '../../../shared/ipc/contract';

export interface StatusState {
  status: NetworkStatus | null;
  setStatus(status: NetworkStatus): void;
}

/** Fed by the snapshot and then by `status:changed` (about once a second while anything moves). */
export const useStatusStore = create<StatusState>()((set) => ({
  status: null,
  setStatus(status) {
    set({ status });
  },
}));

import { create } from 'zustand';

const MAX_TOASTS = 4;
const INFO_MS = 5000;
const ERROR_MS = 10_000;

export interface Toast {
  id: number;
  level: 'info' | 'success' | 'warning' | 'error';
  title: string;
  body?: string;
}

export interface ToastState {
  toasts: Toast[];
  push(toast: Omit<Toast, 'id'>): number;
  dismiss(id: number): void;
}

let nextId = 1;

/** Transient messages: host notices and finished downloads. Errors stay longer. */
export const useToastStore = create<ToastState>()((set, get) => ({
  toasts: [],
  push(toast) {
    const id = nextId++;
    set((s) => ({ toasts: [...s.toasts, { ...toast, id }].slice(-MAX_TOASTS) }));
    setTimeout(() => get().dismiss(id), toast.level === 'error' || toast.level === 'warning' ? ERROR_MS : INFO_MS);
    return id;
  },
  dismiss(id) {
    if (get().toasts.some((t) => t.id === id)) set((s) => ({ toasts: s.toasts.filter((t) => t.id !== id) }));
  },
}));

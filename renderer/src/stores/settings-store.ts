import { create } from 'zustand';
import type { HostCapabilities, HostedTracker, Settings } from '../../../shared/ipc/contract';
import { call } from '../api';
import { errorField, errorText } from '../error-text';
import { useStatusStore } from './status-store';

export type SettingsField = keyof Settings;
/** 'security' is open mode, 'dht' the DHT, 'upnp' port mapping, 'punch' hole punching, 'relay' relays, 'relayForOthers' relaying for others and 'lan' LAN discovery: switches that apply at once, apart from the Network section's Save. */
export type SettingsSection = 'network' | 'transfers' | 'appearance' | 'security' | 'dht' | 'upnp' | 'punch' | 'relay' | 'relayForOthers' | 'lan';
export type SettingsPatch = Partial<Omit<Settings, 'hostTracker'>>;

export interface SettingsState {
  settings: Settings | null;
  capabilities: HostCapabilities | null;
  version: string;
  /** Why the last save of a field failed; shown under that field. */
  errors: Partial<Record<SettingsField, string>>;
  saving: Partial<Record<SettingsSection, boolean>>;
  /** When each section last saved successfully (drives the brief "Saved"). */
  savedAt: Partial<Record<SettingsSection, number>>;
  hosting: { busy: boolean; error: string | null };
  load(snapshot: { settings: Settings; capabilities: HostCapabilities; version: string }): void;
  setSettings(settings: Settings): void;
  /** Saves one section's fields. On failure the host applied nothing; the error lands on the field it concerns. */
  update(section: SettingsSection, patch: SettingsPatch): Promise<{ ok: true } | { ok: false; field: SettingsField }>;
  setHosting(enabled: boolean, port?: number): Promise<HostedTracker | null>;
  setFieldError(field: SettingsField, message: string | null): void;
}

/** Where a refused update's error goes: under the field the host named, else under the patch's first field. */
function fieldOf(err: unknown, patch: SettingsPatch): SettingsField {
  const keys = Object.keys(patch) as SettingsField[];
  const named = errorField(err);
  return keys.find((k) => k === named) ?? keys[0] ?? 'trackers';
}

function without<K extends string>(record: Partial<Record<K, string>>, keys: K[]): Partial<Record<K, string>> {
  const next = { ...record };
  for (const k of keys) delete next[k];
  return next;
}

export const useSettingsStore = create<SettingsState>()((set) => ({
  settings: null,
  capabilities: null,
  version: '',
  errors: {},
  saving: {},
  savedAt: {},
  hosting: { busy: false, error: null },

  load({ settings, capabilities, version }) {
    set({ settings, capabilities, version });
  },

  setSettings(settings) {
    set({ settings });
  },

  async update(section, patch) {
    const fields = Object.keys(patch) as SettingsField[];
    set((s) => ({ saving: { ...s.saving, [section]: true }, errors: without(s.errors, fields) }));
    try {
      const settings = await call('settings:update', patch);
      set((s) => ({ settings, savedAt: { ...s.savedAt, [section]: Date.now() } }));
      return { ok: true };
    } catch (err) {
      const field = fieldOf(err, patch);
      set((s) => ({ errors: { ...s.errors, [field]: errorText(err) } }));
      return { ok: false, field };
    } finally {
      set((s) => ({ saving: { ...s.saving, [section]: false } }));
    }
  },

  async setHosting(enabled, port) {
    set({ hosting: { busy: true, error: null } });
    try {
      const hosted = await call('tracker:setHosting', port === undefined ? { enabled } : { enabled, port });
      set((s) => ({
        hosting: { busy: false, error: null },
        // settings:changed follows; reflect the switch at once so it never flickers back.
        settings: s.settings ? { ...s.settings, hostTracker: enabled, hostTrackerPort: hosted.port } : s.settings,
      }));
      const status = useStatusStore.getState().status;
      if (status) useStatusStore.getState().setStatus({ ...status, hostedTracker: hosted });
      return hosted;
    } catch (err) {
      set({ hosting: { busy: false, error: errorText(err) } });
      return null;
    }
  },

  setFieldError(field, message) {
    set((s) => ({ errors: message === null ? without(s.errors, [field]) : { ...s.errors, [field]: message } }));
  },
}));

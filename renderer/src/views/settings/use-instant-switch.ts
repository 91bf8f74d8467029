import { useEffect, useRef } from 'react';
import { useSettingsStore, type SettingsSection } from '../../stores/settings-store';

type BooleanField = 'dht' | 'upnp' | 'punch' | 'relay' | 'relayForOthers' | 'lan' | 'openMode';

/**
 * A settings switch that applies at once (DHT, port mapping, open mode): its value, busy while
 * the host rebuilds the network, its error, and `apply`, which saves the new value and gives the
 * switch focus back once it is no longer busy (it is disabled meanwhile).
 */
export function useInstantSwitch(section: SettingsSection, field: BooleanField) {
  const on = useSettingsStore((s) => s.settings?.[field] ?? false);
  const busy = useSettingsStore((s) => s.saving[section] ?? false);
  const error = useSettingsStore((s) => s.errors[field]);
  const update = useSettingsStore((s) => s.update);
  const setFieldError = useSettingsStore((s) => s.setFieldError);
  const switchRef = useRef<HTMLButtonElement>(null);
  const refocus = useRef(false);

  useEffect(() => {
    if (busy || !refocus.current) return;
    refocus.current = false;
    switchRef.current?.focus();
  }, [busy]);

  return {
    on,
    busy,
    error,
    switchRef,
    clearError: () => setFieldError(field, null),
    apply(next: boolean) {
      setFieldError(field, null);
      refocus.current = true;
      void update(section, { [field]: next });
    },
  };
}

import { useId, useState } from 'react';
import type { Theme } from '../../../../shared/ipc/contract';
import { Icon, type IconName } from '../../components/Icon';
import { sentence } from '../../format';
import { useSettingsStore } from '../../stores/settings-store';
import { applyTheme } from '../../theme';
import { SavedNote, Section } from './fields';

const CHOICES: Array<{ value: Theme; label: string; hint: string; icon: IconName }> = [
  { value: 'light', label: 'Light', hint: 'Always light', icon: 'sun' },
  { value: 'dark', label: 'Dark', hint: 'Always dark', icon: 'moon' },
  { value: 'system', label: 'System', hint: 'Follow this device', icon: 'monitor' },
];

/** Theme applies and saves the moment it is picked; a refused save puts the old one back. */
export function AppearanceSection() {
  const saved = useSettingsStore((s) => s.settings!.theme);
  const error = useSettingsStore((s) => s.errors.theme);
  const update = useSettingsStore((s) => s.update);
  const [pending, setPending] = useState<Theme | null>(null);
  const id = useId();
  const current = pending ?? saved;

  async function choose(theme: Theme) {
    if (theme === current) return;
    setPending(theme);
    applyTheme(theme);
    const result = await update('appearance', { theme });
    if (!result.ok) applyTheme(useSettingsStore.getState().settings?.theme ?? saved);
    setPending(null);
  }

  return (
    <Section title="Appearance" footer={<SavedNote section="appearance" />}>
      <fieldset className="radio-cards" aria-describedby={error ? `${id}-error` : undefined}>
        <legend>Theme</legend>
        {CHOICES.map((c) => (
          <label key={c.value} className={current === c.value ? 'radio-card radio-card-checked' : 'radio-card'}>
            <input type="radio" name={`${id}-theme`} value={c.value} checked={current === c.value} onChange={() => void choose(c.value)} />
            <Icon name={c.icon} size={18} />
            <span className="radio-card-label">{c.label}</span>
            <span className="radio-card-hint" aria-hidden="true">
              {c.hint}
            </span>
          </label>
        ))}
      </fieldset>
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
    </Section>
  );
}

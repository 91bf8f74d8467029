import { useEffect, useId, useState, type ReactNode } from 'react';
import { Icon } from '../../components/Icon';
import { sentence } from '../../format';
import type { Settings } from '../../../../shared/ipc/contract';
import { useSettingsStore, type SettingsField, type SettingsPatch, type SettingsSection, type SettingsState } from '../../stores/settings-store';

/** How long "Saved" (or "Joined") stays on screen. */
const SAVED_NOTE_MS = 2500;

interface FieldIds {
  id: string;
  describedBy: string | undefined;
  invalid: true | undefined;
}

/** Label, control, help text and the inline error, wired together for assistive tech; `after` goes below them all. */
export function Field({
  label,
  help,
  error,
  after,
  children,
}: {
  label: string;
  help?: ReactNode;
  error?: string | undefined;
  after?: ReactNode;
  children: (ids: FieldIds) => ReactNode;
}) {
  const id = useId();
  const describedBy = [help ? `${id}-help` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      {children({ id, describedBy, invalid: error ? true : undefined })}
      {help && (
        <p id={`${id}-help`} className="field-help">
          {help}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
      {after}
    </div>
  );
}

/** A settings section: a titled region with an optional footer (Save + "Saved"). */
export function Section({ title, description, footer, children }: { title: string; description?: ReactNode; footer?: ReactNode; children: ReactNode }) {
  const id = useId();
  return (
    <section className="card settings-section" aria-labelledby={id}>
      <div className="card-head">
        <h2 id={id}>{title}</h2>
        {description && <p className="card-description">{description}</p>}
      </div>
      <div className="card-body">{children}</div>
      {footer && <div className="card-foot">{footer}</div>}
    </section>
  );
}

export function SavedNote({ section }: { section: SettingsSection }) {
  const savedAt = useSettingsStore((s) => s.savedAt[section]);
  return <FlashNote at={savedAt}>Saved</FlashNote>;
}

/** A check mark and a word ("Saved", "Joined") for a moment after `at` changes; a polite live region. */
export function FlashNote({ at, children }: { at: number | null | undefined; children: ReactNode }) {
  const [visible, setVisible] = useState(false);
  useEffect(() => {
    // Measured from `at`, so a view opened later does not say it again.
    const left = at ? at + SAVED_NOTE_MS - Date.now() : 0;
    if (left <= 0) return;
    setVisible(true);
    const timer = setTimeout(() => setVisible(false), left);
    return () => clearTimeout(timer);
  }, [at]);
  return (
    <span className="saved-note" role="status">
      {visible && (
        <>
          <Icon name="check" size={14} /> {children}
        </>
      )}
    </span>
  );
}

/**
 * Edits in progress, as text, over the saved values: a field shows its draft
 * if it has one, else the saved value. Saving clears drafts; a refused field
 * drops its draft and so shows the saved value again.
 */
export function useDraft<K extends string>(saved: Record<K, string>) {
  const [draft, setDraft] = useState<Partial<Record<K, string>>>({});
  const value = (key: K): string => draft[key] ?? saved[key];
  const dirtyKeys = (Object.keys(draft) as K[]).filter((k) => draft[k] !== saved[k]);
  return {
    value,
    dirtyKeys,
    dirty: dirtyKeys.length > 0,
    set: (key: K, text: string) => setDraft((d) => ({ ...d, [key]: text })),
    reset: (keys: K[]) =>
      setDraft((d) => {
        const next = { ...d };
        for (const k of keys) delete next[k];
        return next;
      }),
  };
}

type Draft<K extends string> = ReturnType<typeof useDraft<K>>;
type Parsed<K extends SettingsField> = { value: Settings[K] } | { error: string };

/**
 * Saves a section's edited fields in one `settings:update`. A field that
 * doesn't parse, like a refusal from the host, saves nothing and shows its
 * saved value again, with the reason under it.
 */
export async function saveDraft<K extends SettingsField>(
  section: SettingsSection,
  keys: readonly K[],
  draft: Draft<K>,
  parse: (key: K, text: string) => Parsed<K>,
  store: Pick<SettingsState, 'update' | 'setFieldError'>,
): Promise<void> {
  for (const key of keys) store.setFieldError(key, null);
  const patch: SettingsPatch = {};
  const refused: K[] = [];
  for (const key of draft.dirtyKeys) {
    const parsed = parse(key, draft.value(key));
    if ('error' in parsed) {
      store.setFieldError(key, parsed.error);
      refused.push(key);
    } else (patch as Record<K, unknown>)[key] = parsed.value;
  }
  if (refused.length > 0) return draft.reset(refused);
  if (Object.keys(patch).length === 0) return;
  const result = await store.update(section, patch);
  if (result.ok) draft.reset(draft.dirtyKeys);
  else if ((keys as readonly SettingsField[]).includes(result.field)) draft.reset([result.field as K]);
}

/** An integer in [min, max], or an error sentence for the field. */
export function parseInteger(text: string, min: number, max: number, what: string): { value: number } | { error: string } {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return { error: `${what} must be a whole number between ${min} and ${max}.` };
  const value = Number(trimmed);
  if (value < min || value > max) return { error: `${what} must be between ${min} and ${max}.` };
  return { value };
}

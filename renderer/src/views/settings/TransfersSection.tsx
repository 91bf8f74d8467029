import { Button } from '../../components/Button';
import { call } from '../../api';
import { errorText } from '../../error-text';
import { useSettingsStore } from '../../stores/settings-store';
import { Field, SavedNote, Section, parseInteger, saveDraft, useDraft } from './fields';

/** The host's ceiling for a rate limit, in KiB/s. */
const MAX_LIMIT_KIB = 10_000_000;

type Key = 'downloadDir' | 'uploadLimitKiB' | 'downloadLimitKiB';

const LIMIT_LABELS = { uploadLimitKiB: 'Upload limit (KiB/s)', downloadLimitKiB: 'Download limit (KiB/s)' } as const;

export function TransfersSection() {
  const settings = useSettingsStore((s) => s.settings)!;
  const dialog = useSettingsStore((s) => s.capabilities?.folderDialog ?? false);
  const errors = useSettingsStore((s) => s.errors);
  const saving = useSettingsStore((s) => s.saving.transfers ?? false);
  const update = useSettingsStore((s) => s.update);
  const setFieldError = useSettingsStore((s) => s.setFieldError);
  const draft = useDraft<Key>({
    downloadDir: settings.downloadDir,
    uploadLimitKiB: String(settings.uploadLimitKiB),
    downloadLimitKiB: String(settings.downloadLimitKiB),
  });

  const onChange = (key: Key, text: string) => {
    draft.set(key, text);
    if (errors[key]) setFieldError(key, null);
  };

  async function choose() {
    try {
      const picked = await call('shares:pick', {});
      if (picked) onChange('downloadDir', picked);
    } catch (err) {
      setFieldError('downloadDir', errorText(err));
    }
  }

  const save = () =>
    saveDraft(
      'transfers',
      ['downloadDir', 'uploadLimitKiB', 'downloadLimitKiB'] as const,
      draft,
      (key, text) => {
        if (key !== 'downloadDir') return parseInteger(text, 0, MAX_LIMIT_KIB, key === 'uploadLimitKiB' ? 'The upload limit' : 'The download limit');
        const dir = text.trim();
        return dir ? { value: dir } : { error: 'Enter the full path of a folder.' };
      },
      { update, setFieldError },
    );

  return (
    <Section
      title="Transfers"
      description="Where downloads go and how much bandwidth sharing may use."
      footer={
        <>
          <SavedNote section="transfers" />
          <Button variant="primary" busy={saving} disabled={!draft.dirty} onClick={() => void save()}>
            Save
          </Button>
        </>
      }
    >
      <Field label="Download folder" help={dialog ? 'Finished files are saved here.' : 'A folder on the host; finished files are saved here.'} error={errors.downloadDir}>
        {({ id, describedBy, invalid }) => (
          <div className="field-row">
            <input
              id={id}
              className="input mono-input"
              type="text"
              spellCheck={false}
              autoComplete="off"
              value={draft.value('downloadDir')}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onChange={(e) => onChange('downloadDir', e.target.value)}
            />
            {dialog && (
              <Button icon="folder" onClick={() => void choose()}>
                Choose…
              </Button>
            )}
          </div>
        )}
      </Field>
      <div className="field-pair">
        {(['uploadLimitKiB', 'downloadLimitKiB'] as const).map((key) => (
          <Field key={key} label={LIMIT_LABELS[key]} help="0 means unlimited." error={errors[key]}>
            {({ id, describedBy, invalid }) => (
              <input
                id={id}
                className="input input-short"
                type="number"
                min={0}
                max={MAX_LIMIT_KIB}
                inputMode="numeric"
                value={draft.value(key)}
                aria-describedby={describedBy}
                aria-invalid={invalid}
                onChange={(e) => onChange(key, e.target.value)}
              />
            )}
          </Field>
        ))}
      </div>
    </Section>
  );
}

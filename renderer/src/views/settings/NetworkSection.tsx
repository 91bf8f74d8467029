import { Button } from '../../components/Button';
import { useSettingsStore } from '../../stores/settings-store';
import { Dht } from './Dht';
import { PortMapping } from './PortMapping';
import { Reach } from './Reach';
import { Field, SavedNote, Section, parseInteger, saveDraft, useDraft } from './fields';
import { HostTracker } from './HostTracker';
import { InvitePanel } from './InvitePanel';
import { MembersPanel } from './MembersPanel';
import { JoinNetwork } from './JoinNetwork';
import { OpenMode } from './OpenMode';
import { TrackerStates } from './TrackerStates';

/** The host accepts at most this many tracker addresses, each 3–300 characters. */
const MAX_TRACKERS = 16;
const TRACKER_LENGTH = { min: 3, max: 300 };

type Key = 'trackers' | 'listenPort' | 'hostTrackerPort';

/** One address per line or comma; blanks and repeats dropped. (Not spaces: "my host:6969" should fail loudly, whole.) */
export function parseTrackers(text: string): string[] {
  return [...new Set(text.split(/[,\r\n]+/).map((t) => t.trim()).filter(Boolean))];
}

function trackerProblem(list: string[]): string | null {
  if (list.length > MAX_TRACKERS) return `At most ${MAX_TRACKERS} trackers, please.`;
  const bad = list.find((t) => t.length < TRACKER_LENGTH.min || t.length > TRACKER_LENGTH.max);
  return bad === undefined ? null : `"${bad.length > 40 ? `${bad.slice(0, 40)}…` : bad}" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.`;
}

export function NetworkSection() {
  const settings = useSettingsStore((s) => s.settings)!;
  const errors = useSettingsStore((s) => s.errors);
  const saving = useSettingsStore((s) => s.saving.network ?? false);
  const update = useSettingsStore((s) => s.update);
  const setFieldError = useSettingsStore((s) => s.setFieldError);
  const draft = useDraft<Key>({
    trackers: settings.trackers.join('\n'),
    listenPort: String(settings.listenPort),
    hostTrackerPort: String(settings.hostTrackerPort),
  });

  const save = () =>
    saveDraft(
      'network',
      ['trackers', 'listenPort', 'hostTrackerPort'] as const,
      draft,
      (key, text) => {
        if (key !== 'trackers') return parseInteger(text, 0, 65535, key === 'listenPort' ? 'The listening port' : 'The tracker port');
        const list = parseTrackers(text);
        const problem = trackerProblem(list);
        return problem ? { error: problem } : { value: list };
      },
      { update, setFieldError },
    );

  const onChange = (key: Key, text: string) => {
    draft.set(key, text);
    if (errors[key]) setFieldError(key, null);
  };

  return (
    <Section
      title="Network"
      description="Where this app finds other peers, and where they reach it."
      footer={
        <>
          <SavedNote section="network" />
          <Button variant="primary" busy={saving} disabled={!draft.dirty} onClick={() => void save()}>
            Save
          </Button>
        </>
      }
    >
      <Field
        label="Trackers"
        help="One HOST:PORT per line (or separated by commas), for example 192.168.1.20:6969. Any one that answers is enough."
        error={errors.trackers}
        after={<TrackerStates trackers={settings.trackers} />}
      >
        {({ id, describedBy, invalid }) => (
          <textarea
            id={id}
            className="input mono-input"
            rows={3}
            spellCheck={false}
            value={draft.value('trackers')}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => onChange('trackers', e.target.value)}
          />
        )}
      </Field>
      <Dht />
      <PortMapping />
      <Reach />
      <Field label="Listening port" help="Other peers download from you on this TCP port. 0 picks a free one." error={errors.listenPort}>
        {({ id, describedBy, invalid }) => (
          <input
            id={id}
            className="input input-short"
            type="number"
            min={0}
            max={65535}
            inputMode="numeric"
            value={draft.value('listenPort')}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => onChange('listenPort', e.target.value)}
          />
        )}
      </Field>
      <HostTracker
        port={draft.value('hostTrackerPort')}
        portDirty={draft.dirtyKeys.includes('hostTrackerPort')}
        onPortChange={(text) => onChange('hostTrackerPort', text)}
        onPortApplied={() => draft.reset(['hostTrackerPort'])}
        portError={errors.hostTrackerPort}
      />
      <InvitePanel />
      <MembersPanel />
      {/* Joining sets the trackers: an unsaved edit of them would only hide the new ones. */}
      <JoinNetwork onJoined={() => draft.reset(['trackers'])} />
      <OpenMode />
    </Section>
  );
}

import { useId } from 'react';
import { CopyChip } from '../../components/CopyChip';
import { Spinner } from '../../components/Spinner';
import { Switch } from '../../components/Switch';
import { formatCount, sentence } from '../../format';
import { useSettingsStore } from '../../stores/settings-store';
import { useStatusStore } from '../../stores/status-store';
import { Field, parseInteger } from './fields';

interface HostTrackerProps {
  /** The tracker port field's text (a draft of the Network section). */
  port: string;
  portDirty: boolean;
  portError: string | undefined;
  onPortChange: (text: string) => void;
  /** Turning hosting on with an edited port saved that port. */
  onPortApplied: () => void;
}

/** The built-in tracker: a switch that takes effect at once, its port, and the addresses to hand out. */
export function HostTracker({ port, portDirty, portError, onPortChange, onPortApplied }: HostTrackerProps) {
  const id = useId();
  const enabled = useSettingsStore((s) => s.settings?.hostTracker ?? false);
  const hosting = useSettingsStore((s) => s.hosting);
  const setHosting = useSettingsStore((s) => s.setHosting);
  const setFieldError = useSettingsStore((s) => s.setFieldError);
  const hosted = useStatusStore((s) => s.status?.hostedTracker);

  async function toggle(next: boolean) {
    let wanted: number | undefined;
    if (next && portDirty) {
      const parsed = parseInteger(port, 0, 65535, 'The tracker port');
      if ('error' in parsed) {
        setFieldError('hostTrackerPort', parsed.error);
        return;
      }
      wanted = parsed.value;
    }
    const result = await setHosting(next, wanted);
    if (result && wanted !== undefined) onPortApplied();
  }

  const problem = hosting.error ?? (enabled && hosted?.error ? hosted.error : null);
  // Saved as on but not running (its port was taken at start): the switch says what is true, off, with the reason.
  const failed = enabled && hosted !== undefined && !hosted.running && hosted.error !== undefined;
  const on = enabled && !failed;

  return (
    <div className="host-tracker">
      <div className="switch-row">
        <div className="switch-text">
          <span id={`${id}-label`} className="switch-label">
            Host tracker
          </span>
          <span id={`${id}-help`} className="field-help">
            Run a tracker inside this app so this machine is the meeting point. Others add its address to their trackers.
          </span>
        </div>
        <Switch checked={on} busy={hosting.busy} labelledBy={`${id}-label`} describedBy={`${id}-help`} onChange={(next) => void toggle(next)} />
      </div>
      {problem && (
        <p className="field-error" role="alert">
          {sentence(problem)}
        </p>
      )}
      <Field label="Tracker port" help={on ? 'Changing it restarts the tracker when you save.' : 'Used when hosting is on.'} error={portError}>
        {({ id: inputId, describedBy, invalid }) => (
          <input
            id={inputId}
            className="input input-short"
            type="number"
            min={0}
            max={65535}
            inputMode="numeric"
            value={port}
            aria-describedby={describedBy}
            aria-invalid={invalid}
            onChange={(e) => onPortChange(e.target.value)}
          />
        )}
      </Field>
      {on && hosted?.running && (
        <div className="hosted-info">
          <p className="hosted-title">
            Hosting on port {hosted.port} · {formatCount(hosted.peers)} {hosted.peers === 1 ? 'peer' : 'peers'} connected
          </p>
          {hosted.addresses.length > 0 ? (
            <>
              <p className="field-help">Others should enter one of these addresses as their tracker:</p>
              <ul className="chips" aria-label="Addresses of this tracker">
                {hosted.addresses.map((address) => (
                  <li key={address}>
                    <CopyChip text={address} />
                  </li>
                ))}
              </ul>
            </>
          ) : (
            <p className="field-error" role="alert">
              This machine has no address others can reach, only loopback (127.0.0.1), which works on this machine alone: connect it to a network, or
              set P2P_ADVERTISE to the address others reach it at.
            </p>
          )}
        </div>
      )}
      {enabled && hosted && !hosted.running && !problem && (
        <p className="field-help">
          <Spinner size={12} /> Starting the tracker…
        </p>
      )}
    </div>
  );
}

import { useEffect, useId, useRef, useState } from 'react';
import { Button } from '../../components/Button';
import { Icon } from '../../components/Icon';
import { OPEN_MODE_SWITCH_ID } from '../../components/OpenModeBanner';
import { Switch } from '../../components/Switch';
import { sentence } from '../../format';
import { useInstantSwitch } from './use-instant-switch';

/**
 * The open-mode switch. Turning it off applies at once; turning it on asks
 * first, inline, with "Keep private" focused. Either way the host rebuilds
 * every connection, so the switch is busy until it answers.
 */
export function OpenMode() {
  const id = useId();
  const { on, busy, error, switchRef, clearError, apply: save } = useInstantSwitch('security', 'openMode');
  const [confirming, setConfirming] = useState(false);
  const keepRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (confirming) keepRef.current?.focus();
  }, [confirming]);

  function apply(next: boolean) {
    setConfirming(false);
    save(next);
  }

  function keepPrivate() {
    setConfirming(false);
    switchRef.current?.focus();
  }

  function toggle(next: boolean) {
    clearError();
    if (next) setConfirming(true);
    else apply(false);
  }

  return (
    <div className="subsection">
      <div className="switch-row">
        <div className="switch-text">
          <span id={`${id}-label`} className="subsection-title">
            Open mode
          </span>
          <span id={`${id}-help`} className="field-help">
            No network key and no encryption, for a network you trust completely: anyone who can reach this machine can list and download your shared
            files, and anyone on the path can read what you transfer.
          </span>
        </div>
        <Switch
          ref={switchRef}
          id={OPEN_MODE_SWITCH_ID}
          checked={on}
          busy={busy}
          labelledBy={`${id}-label`}
          describedBy={`${id}-help`}
          onChange={toggle}
        />
      </div>
      {confirming && (
        <div
          className="confirm-box"
          role="group"
          aria-labelledby={`${id}-confirm`}
          onKeyDown={(e) => {
            if (e.key === 'Escape') keepPrivate();
          }}
        >
          <Icon name="alert" />
          <div className="confirm-text">
            <p id={`${id}-confirm`}>Anyone who can reach this machine will be able to list and download your shared files.</p>
            <p className="field-help">Connections will not be encrypted. You can turn open mode off again at any time.</p>
            <div className="confirm-actions">
              <Button variant="danger" onClick={() => apply(true)}>
                Turn on open mode
              </Button>
              <Button ref={keepRef} onClick={keepPrivate}>
                Keep private
              </Button>
            </div>
          </div>
        </div>
      )}
      {error && (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
    </div>
  );
}

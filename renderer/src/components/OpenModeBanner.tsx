import { useAppStore } from '../stores/app-store';
import { useStatusStore } from '../stores/status-store';
import { Button } from './Button';
import { Icon } from './Icon';

/** The open-mode switch in Settings, where the banner's button takes the focus. */
export const OPEN_MODE_SWITCH_ID = 'open-mode-switch';

/** Across the app, for as long as the network runs without a key: nothing is encrypted and anyone may take the files. */
export function OpenModeBanner() {
  const open = useStatusStore((s) => s.status?.secure === false);
  const inSettings = useAppStore((s) => s.view === 'settings');
  const setView = useAppStore((s) => s.setView);
  if (!open) return null;
  return (
    <div className="banner banner-warning" role="alert">
      <Icon name="unlock" />
      <p>
        <strong>Open mode:</strong> connections are not encrypted and anyone who can reach this machine can list and download your files.
      </p>
      {!inSettings && (
        <Button
          size="sm"
          onClick={() => {
            setView('settings');
            // The button goes with the view change: hand the focus to the switch it is about, once it is there.
            setTimeout(() => {
              const target = document.getElementById(OPEN_MODE_SWITCH_ID);
              target?.focus();
              target?.scrollIntoView?.({ block: 'center' });
            });
          }}
        >
          Settings
        </Button>
      )}
    </div>
  );
}

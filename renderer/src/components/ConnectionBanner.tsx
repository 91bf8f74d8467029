import { useEffect, useState } from 'react';
import { reconnectNow } from '../api';
import { useAppStore } from '../stores/app-store';
import { Button } from './Button';
import { Icon } from './Icon';
import { Spinner } from './Spinner';

/** A host that restarted may have a new token, and then it refuses this page's cookie for good. */
const TOKEN_HINT_AFTER = 4;

/** Shown while the WebSocket to the headless host is down, or cannot be opened at all (never in Electron). */
export function ConnectionBanner() {
  const connection = useAppStore((s) => s.connection);
  const [, setTick] = useState(0);
  const down = connection.status !== 'open' && (connection.opens > 0 || connection.failures > 0);

  // Re-render every second for the countdown.
  useEffect(() => {
    if (!down) return;
    const timer = setInterval(() => setTick((n) => n + 1), 1000);
    return () => clearInterval(timer);
  }, [down]);

  if (!down) return null;
  const seconds = connection.retryAt ? Math.max(0, Math.ceil((connection.retryAt - Date.now()) / 1000)) : 0;
  return (
    <div className="banner banner-warning" role="alert">
      <Icon name="alert" />
      <p>
        <strong>{connection.opens > 0 ? 'Disconnected from host.' : 'Can’t reach the host.'}</strong>{' '}
        {connection.status === 'connecting' ? 'Reconnecting…' : seconds > 0 ? `Trying again in ${seconds} s.` : 'Trying again…'} Showing the last known state.
        {connection.failures >= TOKEN_HINT_AFTER && ' If the host was restarted, open the address it printed (its token may have changed).'}
      </p>
      {connection.status === 'connecting' ? (
        <Spinner />
      ) : (
        <Button size="sm" onClick={reconnectNow}>
          Reconnect now
        </Button>
      )}
    </div>
  );
}

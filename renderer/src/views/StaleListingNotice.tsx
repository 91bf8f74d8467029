import { useEffect, useState } from 'react';
import { Icon } from '../components/Icon';
import { formatAgo, sentence } from '../format';
import { useNetworkStore } from '../stores/network-store';
import { useStatusStore } from '../stores/status-store';

/** "5 min ago" moves on this often. */
const TICK_MS = 60_000;

/**
 * Says that no tracker answered and the listing on screen is the one saved
 * on disk. Informational, not an alert: the table stays usable and downloads
 * can still start from it. The live region is always mounted so that its
 * appearing is announced; the minute-by-minute age inside it is not.
 */
export function StaleListingNotice({ hidden = false }: { hidden?: boolean }) {
  const saved = useNetworkStore((s) => s.stale);
  // Why no tracker answers, when one said why (another network key): more use than "not answering".
  const refusal = useStatusStore((s) => s.status?.trackers.find((t) => !t.connected && t.problem)?.problem);
  const stale = hidden ? null : saved;
  const [, setTick] = useState(0);

  // Re-render every minute for the age.
  useEffect(() => {
    if (!stale) return;
    const timer = setInterval(() => setTick((n) => n + 1), TICK_MS);
    return () => clearInterval(timer);
  }, [stale]);

  return (
    <div role="status">
      {stale && (
        <div className="inline-alert inline-alert-info">
          <Icon name="info" />
          <p>
            {refusal ? sentence(refusal.message) : 'No tracker is answering.'} Showing the listing saved{' '}
            <time dateTime={new Date(stale.savedAt).toISOString()} title={new Date(stale.savedAt).toLocaleString()} aria-live="off">
              {formatAgo(stale.savedAt)}
            </time>{' '}
            — downloads can still start from it.
          </p>
        </div>
      )}
    </div>
  );
}

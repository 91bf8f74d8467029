import { useStatusStore } from '../../stores/status-store';

/**
 * Each saved tracker and whether this peer is connected to it now, from the
 * live status. Several trackers are normal: any one that answers is enough.
 */
export function TrackerStates({ trackers }: { trackers: string[] }) {
  const live = useStatusStore((s) => s.status?.trackers);
  if (!live || trackers.length === 0) return null;
  return (
    <ul className="tracker-states" aria-label="Tracker connections">
      {trackers.map((address) => {
        const state = live.find((t) => t.address === address);
        const connected = state?.connected ?? false;
        // A refusal (another network key, a full tracker) says what to do; "not connected" would not.
        const problem = connected ? undefined : state?.problem;
        return (
          <li key={address} className="tracker-state">
            <span className={connected ? 'dot dot-on' : 'dot'} aria-hidden="true" />
            <span className="mono">{address}</span>
            <span className={connected ? 'tracker-state-on' : problem ? 'tracker-state-problem' : 'muted'}>{connected ? 'connected' : problem ? problem.message : 'not connected'}</span>
            {connected && state?.seenAs && (
              <span className="muted">
                lists you at {state.seenAs}
                {state.reachable === true ? ', and reached you there' : state.reachable === false ? ', but could not reach you there' : ''}
              </span>
            )}
          </li>
        );
      })}
    </ul>
  );
}

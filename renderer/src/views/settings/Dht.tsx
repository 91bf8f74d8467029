import { useId } from 'react';
import { Spinner } from '../../components/Spinner';
import { Switch } from '../../components/Switch';
import { formatCount, sentence } from '../../format';
import { useStatusStore } from '../../stores/status-store';
import { useInstantSwitch } from './use-instant-switch';

/**
 * The DHT switch: applies at once (the host reconnects the network, so the
 * switch is busy until it answers) and, while on, shows the live size of the
 * routing table.
 */
export function Dht() {
  const id = useId();
  const { on, busy, error, switchRef, apply } = useInstantSwitch('dht', 'dht');
  const nodes = useStatusStore((s) => s.status?.dhtNodes ?? null);

  let count = null;
  if (on && !busy) {
    if (nodes === null)
      count = (
        <>
          <Spinner size={12} /> Joining the DHT…
        </>
      );
    else if (nodes === 0) count = 'No DHT nodes yet: looking for some…';
    else count = `${formatCount(nodes)} ${nodes === 1 ? 'node' : 'nodes'} in the DHT routing table`;
  }

  return (
    <div className="subsection">
      <div className="switch-row">
        <div className="switch-text">
          <span id={`${id}-label`} className="subsection-title">
            DHT
          </span>
          <span id={`${id}-help`} className="field-help">
            Find peers without a tracker, on the public BitTorrent DHT (under a name derived from the network key, so nothing readable is published).
          </span>
        </div>
        <Switch ref={switchRef} checked={on} busy={busy} labelledBy={`${id}-label`} describedBy={`${id}-help`} onChange={apply} />
      </div>
      {count && <p className="field-help dht-nodes">{count}</p>}
      {error && (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
    </div>
  );
}

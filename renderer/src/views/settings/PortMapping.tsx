import { useId } from 'react';
import { Switch } from '../../components/Switch';
import { sentence } from '../../format';
import { useStatusStore } from '../../stores/status-store';
import { useInstantSwitch } from './use-instant-switch';

/**
 * The UPnP switch: applies at once (the host reconnects the network, so the switch is busy
 * until it answers) and, while on, says whether the router forwards the peer port and where.
 */
export function PortMapping() {
  const id = useId();
  const { on, busy, error, switchRef, apply } = useInstantSwitch('upnp', 'upnp');
  const mapped = useStatusStore((s) => s.status?.mappedAddress ?? null);

  let state = null;
  if (on && !busy) {
    state = mapped
      ? `Reachable from outside at ${mapped}: the router forwards it to this machine.`
      : 'No router forwards the peer port (none answered over UPnP, or it refused): peers behind other routers may not reach this machine.';
  }

  return (
    <div className="subsection">
      <div className="switch-row">
        <div className="switch-text">
          <span id={`${id}-label`} className="subsection-title">
            Port mapping (UPnP)
          </span>
          <span id={`${id}-help`} className="field-help">
            Ask your router to forward the peer port, so that peers on other networks can download from this machine directly.
          </span>
        </div>
        <Switch ref={switchRef} checked={on} busy={busy} labelledBy={`${id}-label`} describedBy={`${id}-help`} onChange={apply} />
      </div>
      {state && (
        <p className="field-help" data-testid="port-mapping-state">
          {state}
        </p>
      )}
      {error && (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
    </div>
  );
}

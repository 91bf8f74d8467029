import { useId } from 'react';
import type { Reachability } from '../../../../shared/ipc/contract';
import { Switch } from '../../components/Switch';
import { sentence } from '../../format';
import { useStatusStore } from '../../stores/status-store';
import { LanMembers } from './LanMembers';
import { useInstantSwitch } from './use-instant-switch';

const REACHABILITY: Record<Reachability, string> = {
  direct: 'Reachable directly: trackers see this machine at its own address.',
  upnp: 'Reachable through the router (UPnP port mapping).',
  'nat-pmp': 'Reachable through the router (NAT-PMP port mapping).',
  unreachable: 'Not reachable from other networks: using hole punching and relays.',
  unknown: 'Not known yet: no tracker has answered.',
};

/** How this machine is reached, with the switches that apply at once: hole punching, relays, LAN discovery. */
export function Reach() {
  const reachability = useStatusStore((s) => s.status?.reachability ?? 'unknown');
  const relayingFor = useStatusStore((s) => s.status?.relayingFor ?? null);
  return (
    <div className="subsection">
      <p className="field-help" data-testid="reachability">
        {REACHABILITY[reachability]}
      </p>
      <ReachSwitch
        field="punch"
        title="Hole punching"
        help="When neither side's router lets the other in, the tracker times a UDP punch through both; the transfer then runs over UDX with the same encryption."
      />
      <ReachSwitch field="relay" title="Relays" help="When nothing else gets through, a tracker relays the encrypted connection (it sees only its size), within its limits." />
      <ReachSwitch
        field="relayForOthers"
        title="Relay for others"
        help={relayHelp(relayingFor)}
      />
      <ReachSwitch
        field="lan"
        title="Find peers on this network"
        help="Members on the same network find each other (mDNS) and download directly, with or without a tracker. What is announced reads only to members."
      />
      <LanMembers />
    </div>
  );
}

function relayHelp(relayingFor: number | null): string {
  const base = 'Carry the encrypted connections of members that reach each other no other way, once a tracker finds this machine reachable. Within the upload limit, at most 8 at once.';
  if (relayingFor === null) return base;
  return `${base} Relaying now: ${relayingFor === 1 ? '1 connection' : `${relayingFor} connections`}.`;
}

function ReachSwitch({ field, title, help }: { field: 'punch' | 'relay' | 'relayForOthers' | 'lan'; title: string; help: string }) {
  const id = useId();
  const { on, busy, error, switchRef, apply } = useInstantSwitch(field, field);
  return (
    <>
      <div className="switch-row">
        <div className="switch-text">
          <span id={`${id}-label`} className="subsection-title">
            {title}
          </span>
          <span id={`${id}-help`} className="field-help">
            {help}
          </span>
        </div>
        <Switch ref={switchRef} checked={on} busy={busy} labelledBy={`${id}-label`} describedBy={`${id}-help`} onChange={apply} />
      </div>
      {error && (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
    </>
  );
}

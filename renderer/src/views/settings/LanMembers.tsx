import type { LanMember } from '../../../../shared/ipc/contract';
import { Button } from '../../components/Button';
import { useSettingsStore } from '../../stores/settings-store';
import { useStatusStore } from '../../stores/status-store';

const NO_MEMBERS: LanMember[] = [];

/**
 * "Found on this network": the members LAN discovery heard, each with the tracker it hosts, if any,
 * and a button to join that tracker (it is added to the tracker list, as typing it would).
 */
export function LanMembers() {
  const members = useStatusStore((s) => s.status?.lanMembers ?? NO_MEMBERS);
  const lanOn = useSettingsStore((s) => s.settings?.lan ?? false);
  const trackers = useSettingsStore((s) => s.settings?.trackers ?? []);
  const saving = useSettingsStore((s) => s.saving.network ?? false);
  const update = useSettingsStore((s) => s.update);
  if (!lanOn) return null;
  if (members.length === 0) {
    return (
      <p className="field-help" data-testid="lan-members">
        No other member found on this network yet.
      </p>
    );
  }
  return (
    <div data-testid="lan-members">
      <p className="field-help">Found on this network:</p>
      <ul className="lan-members">
        {members.map((m) => (
          <li key={m.peerId} className="lan-member">
            <span className="lan-member-name">{m.name}</span> <span className="mono">{m.address}</span>
            {m.tracker &&
              (trackers.includes(m.tracker) ? (
                <span className="field-help"> · its tracker {m.tracker} is in your list</span>
              ) : (
                <Button size="sm" busy={saving} onClick={() => void update('network', { trackers: [...trackers, m.tracker!] })}>
                  Join its tracker ({m.tracker})
                </Button>
              ))}
          </li>
        ))}
      </ul>
    </div>
  );
}

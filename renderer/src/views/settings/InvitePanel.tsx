import { useEffect, useState } from 'react';
import { Button } from '../../components/Button';
import { CopyChip } from '../../components/CopyChip';
import { Spinner } from '../../components/Spinner';
import { sentence } from '../../format';
import { useInviteStore } from '../../stores/invite-store';
import { useSettingsStore } from '../../stores/settings-store';
import { useStatusStore } from '../../stores/status-store';

/** Stands in for the key while it is hidden (also inside the link). */
const MASK = '•'.repeat(12);

/** A private network that names a tracker (hosted here, or configured) can invite others. */
export function InvitePanel() {
  const secure = useStatusStore((s) => s.status?.secure === true);
  const named = useSettingsStore((s) => s.settings !== null && (s.settings.hostTracker || s.settings.trackers.length > 0));
  if (!secure || !named) return null;
  return <InviteDetails />;
}

/**
 * The invite as text (tracker and key), as a link to copy and as a QR code.
 * The key, and so the link and the code, stay masked until "Show key": a
 * screen share or a glance over the shoulder should not hand out the network.
 */
function InviteDetails() {
  const settings = useSettingsStore((s) => s.settings);
  // What the invite is made of, as one string: the status object itself changes every second.
  const hosted = useStatusStore((s) => {
    const h = s.status?.hostedTracker;
    // Every address: the router's public one joins the list when its port mapping comes through.
    return h ? `${h.running} ${h.port} ${h.addresses.join(',')}` : '';
  });
  const invite = useInviteStore((s) => s.invite);
  const error = useInviteStore((s) => s.inviteError);
  const loading = useInviteStore((s) => s.inviteLoading);
  const refreshInvite = useInviteStore((s) => s.refreshInvite);
  // Shown for one key only: a new key (after joining elsewhere) starts hidden again.
  const [shownKey, setShownKey] = useState<string | null>(null);
  const shown = invite !== null && shownKey === invite.key;

  // Any settings change (trackers, ports, hosting, a join) may change the invite; so may the hosted tracker starting.
  useEffect(() => {
    void refreshInvite();
  }, [settings, hosted, refreshInvite]);

  return (
    <section className="subsection invite-panel" aria-label="Invite" aria-busy={loading || undefined}>
      <div className="subsection-head">
        <h3 className="subsection-title">Invite others</h3>
        <p className="field-help">
          Anyone with this invite can join the network, list your shared files and download them. Send it only to people you trust.
        </p>
      </div>
      {invite ? (
        <div className="invite-body">
          <div className="invite-text">
            <dl className="invite-facts">
              <div>
                <dt>{invite.trackers.length > 1 ? 'Tracker addresses' : 'Tracker'}</dt>
                <dd className="mono">{invite.trackers.join(', ')}</dd>
              </div>
              <div>
                <dt>Key</dt>
                <dd className="invite-key">
                  {shown ? (
                    <span className="mono invite-key-value">{invite.key}</span>
                  ) : (
                    <span className="mono muted">
                      <span aria-hidden="true">{MASK}</span>
                      <span className="sr-only">hidden</span>
                    </span>
                  )}
                  <Button size="sm" variant="ghost" icon={shown ? 'eyeOff' : 'eye'} onClick={() => setShownKey(shown ? null : invite.key)}>
                    {shown ? 'Hide key' : 'Show key'}
                  </Button>
                </dd>
              </div>
              <div>
                <dt>Link</dt>
                <dd>
                  <CopyChip text={invite.link} label="Copy invite link" display={shown ? invite.link : `p2p://${invite.trackers.join(',')}#${MASK}`} />
                </dd>
              </div>
            </dl>
            {loading && (
              <p className="field-help">
                <Spinner size={12} /> Updating the invite…
              </p>
            )}
          </div>
          <figure className={shown ? 'invite-qr' : 'invite-qr invite-qr-masked'}>
            <img alt="Invite QR code" width={144} height={144} src={`data:image/svg+xml;utf8,${encodeURIComponent(invite.qrSvg)}`} />
            {!shown && <figcaption>Show the key to scan this code</figcaption>}
          </figure>
        </div>
      ) : error ? (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      ) : (
        <p className="field-help">
          <Spinner size={12} /> Creating the invite…
        </p>
      )}
    </section>
  );
}

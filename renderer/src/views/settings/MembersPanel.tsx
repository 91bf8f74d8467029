import { useEffect, useId, useState } from 'react';
import type { MemberRow } from '../../../../shared/ipc/contract';
import { Button } from '../../components/Button';
import { CopyChip } from '../../components/CopyChip';
import { Dialog } from '../../components/Dialog';
import { sentence } from '../../format';
import { useMembersStore } from '../../stores/members-store';
import { useStatusStore } from '../../stores/status-store';

/** How often the list is read again while it is on screen (who is online changes by itself). */
const REFRESH_MS = 2000;
const EXPIRY_CHOICES = [
  { hours: 1, label: '1 hour' },
  { hours: 24, label: '24 hours' },
  { hours: 24 * 7, label: '7 days' },
  { hours: 24 * 30, label: '30 days' },
] as const;

/** Members of the network this app's tracker manages: who they are, inviting, revoking (docs/PROTOCOL.md §22). */
export function MembersPanel() {
  const hosting = useStatusStore((s) => s.status?.hostedTracker.running === true && s.status.secure === true);
  if (!hosting) return null;
  return <Members />;
}

function Members() {
  const view = useMembersStore((s) => s.view);
  const error = useMembersStore((s) => s.error);
  const refresh = useMembersStore((s) => s.refresh);
  const [confirming, setConfirming] = useState<MemberRow | null>(null);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  return (
    <section className="subsection members-panel" aria-label="Members">
      <div className="subsection-head">
        <h3 className="subsection-title">Members</h3>
        <p className="field-help">
          {view?.managed
            ? 'Only these members can list and download, each with a certificate from this tracker. Removing one cuts it off in seconds, though it still has the key.'
            : 'Anyone with the network key is a member. Invite people one by one instead: the first member invite turns this on, and the members online then keep their place.'}
        </p>
      </div>
      {error && (
        <p className="field-error" role="alert">
          {sentence(error)}
        </p>
      )}
      {view?.managed && <MemberList members={view.members} onRevoke={setConfirming} />}
      <MemberInvite />
      {confirming && <RevokeDialog member={confirming} onClose={() => setConfirming(null)} />}
    </section>
  );
}

function MemberList({ members, onRevoke }: { members: MemberRow[]; onRevoke: (m: MemberRow) => void }) {
  const revoking = useMembersStore((s) => s.revoking);
  if (members.length === 0) return <p className="field-help">No members yet: send someone an invite.</p>;
  return (
    <ul className="member-list" aria-label="Members of this network">
      {members.map((m) => (
        <li key={m.id} className="member-row">
          <span className={m.online ? 'member-dot online' : 'member-dot'} aria-hidden="true" />
          <span className="member-name">
            {m.name}
            {m.self && <span className="muted"> (this device)</span>}
          </span>
          <span className="member-facts muted">
            {m.online ? 'online' : 'offline'} · {m.role} · joined {new Date(m.joinedAt).toLocaleDateString()} · <span className="mono">{m.id.slice(0, 8)}</span>
          </span>
          {!m.self && (
            <Button size="sm" variant="ghost" icon="trash" disabled={revoking.includes(m.id)} onClick={() => onRevoke(m)} aria-label={`Remove ${m.name}`}>
              Remove
            </Button>
          )}
        </li>
      ))}
    </ul>
  );
}

function RevokeDialog({ member, onClose }: { member: MemberRow; onClose: () => void }) {
  const revoke = useMembersStore((s) => s.revoke);
  return (
    <Dialog
      title={`Remove ${member.name}?`}
      onClose={onClose}
      actions={
        <>
          <Button variant="ghost" onClick={onClose}>
            Keep
          </Button>
          <Button
            variant="danger"
            data-autofocus
            onClick={() => {
              onClose();
              void revoke(member.id);
            }}
          >
            Remove from the network
          </Button>
        </>
      }
    >
      <p>
        {member.name} is cut off within seconds: no listing, no lookups, no downloads from this tracker or from any member. Transfers in progress stop. To let them back in, send a new invite.
      </p>
    </Dialog>
  );
}

function MemberInvite() {
  const id = useId();
  const invite = useMembersStore((s) => s.invite);
  const inviting = useMembersStore((s) => s.inviting);
  const inviteError = useMembersStore((s) => s.inviteError);
  const createInvite = useMembersStore((s) => s.createInvite);
  const [hours, setHours] = useState(24);
  const [uses, setUses] = useState('1');
  const usesNumber = Number(uses);
  const usesValid = Number.isInteger(usesNumber) && usesNumber >= 1 && usesNumber <= 10_000;
  return (
    <div className="member-invite">
      <div className="member-invite-form">
        <label htmlFor={`${id}-expiry`}>Valid for</label>
        <select id={`${id}-expiry`} className="input input-short" value={hours} onChange={(e) => setHours(Number(e.target.value))}>
          {EXPIRY_CHOICES.map((c) => (
            <option key={c.hours} value={c.hours}>
              {c.label}
            </option>
          ))}
        </select>
        <label htmlFor={`${id}-uses`}>Uses</label>
        <input id={`${id}-uses`} className="input input-short" type="number" min={1} max={10000} inputMode="numeric" value={uses} aria-invalid={!usesValid || undefined} onChange={(e) => setUses(e.target.value)} />
        <Button disabled={inviting || !usesValid} onClick={() => void createInvite(hours, usesNumber)}>
          Create member invite
        </Button>
      </div>
      {inviteError && (
        <p className="field-error" role="alert">
          {sentence(inviteError)}
        </p>
      )}
      {invite && (
        <div className="invite-body" role="group" aria-label="Member invite">
          <div className="invite-text">
            <p className="field-help">
              For {invite.uses === 1 ? 'one person' : `${invite.uses} people`}, until {new Date(invite.expiresAt).toLocaleString()}. It holds no key: the tracker hands that over when the invite is used.
            </p>
            <div className="member-invite-link">
              <input className="input mono-input" readOnly value={invite.link} aria-label="Member invite link" onFocus={(e) => e.target.select()} />
              <CopyChip text={invite.link} label="Copy member invite link" display="Copy" />
            </div>
          </div>
          <figure className="invite-qr">
            <img alt="Member invite QR code" width={144} height={144} src={`data:image/svg+xml;utf8,${encodeURIComponent(invite.qrSvg)}`} />
          </figure>
        </div>
      )}
    </div>
  );
}


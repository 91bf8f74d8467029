import { useEffect, useId, useState, type FormEvent } from 'react';
import { Button } from '../../components/Button';
import { useInviteStore } from '../../stores/invite-store';
import { useSettingsStore } from '../../stores/settings-store';
import { Field, FlashNote } from './fields';

/** Paste an invite, press Join: the host takes its tracker and key and reconnects. Checked here first. */
export function JoinNetwork({ onJoined }: { onJoined: () => void }) {
  const id = useId();
  const [text, setText] = useState('');
  const join = useInviteStore((s) => s.join);
  const joinNetwork = useInviteStore((s) => s.joinNetwork);
  const clearJoinError = useInviteStore((s) => s.clearJoinError);
  const openMode = useSettingsStore((s) => s.settings?.openMode ?? false);

  // The text goes with the view; so does an error about it.
  useEffect(() => () => useInviteStore.getState().clearJoinError(), []);

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (!(await joinNetwork(text))) return;
    // The invite holds the key: do not leave it on screen.
    setText('');
    onJoined();
  }

  return (
    <form className="subsection" aria-labelledby={`${id}-title`} noValidate onSubmit={(e) => void submit(e)}>
      <div className="subsection-head">
        <h3 id={`${id}-title`} className="subsection-title">
          Join network
        </h3>
      </div>
      <Field
        label="Invite"
        help={
          <>
            Paste the invite someone sent you: a p2p://HOST:PORT#KEY link, “HOST:PORT KEY”, or a member invite (p2p://HOST:PORT/join#…). Joining replaces your trackers and network key and
            reconnects; peers that use your current key will no longer reach you{openMode ? ', and open mode turns off' : ''}.
          </>
        }
        error={join.error ?? undefined}
      >
        {({ id: inputId, describedBy, invalid }) => (
          <div className="field-row join-row">
            <input
              id={inputId}
              className="input mono-input"
              type="text"
              autoComplete="off"
              autoCapitalize="off"
              spellCheck={false}
              placeholder="p2p://192.168.1.20:6969#…"
              value={text}
              aria-describedby={describedBy}
              aria-invalid={invalid}
              onChange={(e) => {
                setText(e.target.value);
                clearJoinError();
              }}
            />
            <Button type="submit" busy={join.busy}>
              Join
            </Button>
            <FlashNote at={join.joinedAt}>Joined</FlashNote>
          </div>
        )}
      </Field>
    </form>
  );
}

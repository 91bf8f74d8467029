import { useEffect, useRef } from 'react';
import { JoinNetwork } from './settings/JoinNetwork';

/**
 * The Settings "Join network" form, offered where a new member looks first:
 * the empty Network view. The invite field takes the focus when it opens.
 */
export function JoinNetworkOffer({ onDone }: { onDone: () => void }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => box.current?.querySelector('input')?.focus(), []);
  return (
    <div ref={box} id="join-network-offer" className="join-offer">
      <JoinNetwork onJoined={onDone} />
    </div>
  );
}

import type { Ref } from 'react';

/** An on/off switch (role=switch); name it with `labelledBy` pointing at visible text. */
export function Switch({
  checked,
  onChange,
  labelledBy,
  describedBy,
  busy = false,
  disabled = false,
  id,
  ref,
}: {
  checked: boolean;
  onChange: (next: boolean) => void;
  labelledBy: string;
  describedBy?: string;
  busy?: boolean;
  disabled?: boolean;
  id?: string;
  ref?: Ref<HTMLButtonElement>;
}) {
  return (
    <button
      ref={ref}
      id={id}
      type="button"
      role="switch"
      className={`switch${checked ? ' switch-on' : ''}${busy ? ' switch-busy' : ''}`}
      aria-checked={checked}
      aria-labelledby={labelledBy}
      aria-describedby={describedBy}
      aria-busy={busy || undefined}
      disabled={disabled || busy}
      onClick={() => onChange(!checked)}
    >
      <span className="switch-thumb" aria-hidden="true" />
    </button>
  );
}

import { useEffect, useState } from 'react';
import { Icon } from './Icon';

const COPIED_MS = 1500;

/** navigator.clipboard needs a secure context; a LAN page over plain http falls back to execCommand. */
async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall back below
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'offscreen';
  document.body.appendChild(area);
  area.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  area.remove();
  return ok;
}

/**
 * A monospace value with a copy button; says "Copied" for a moment after a click.
 * `label` names the button (default "Copy TEXT"); `display` is what shows, when that differs from what is copied.
 */
export function CopyChip({ text, label, display }: { text: string; label?: string; display?: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), COPIED_MS);
    return () => clearTimeout(timer);
  }, [copied]);
  return (
    <button
      type="button"
      className={copied ? 'chip chip-copied' : 'chip'}
      aria-label={label ?? `Copy ${text}`}
      title="Copy"
      onClick={() => void copyText(text).then(setCopied)}
    >
      <span className="mono">{display ?? text}</span>
      <Icon name={copied ? 'check' : 'copy'} size={13} />
      <span className="sr-only" aria-live="polite">
        {copied ? 'Copied' : ''}
      </span>
    </button>
  );
}

import { useToastStore } from '../stores/toast-store';
import { Icon, type IconName } from './Icon';

const ICONS: Record<string, IconName> = { info: 'check', success: 'check', warning: 'alert', error: 'alert' };

/** Bottom-right stack of transient messages; a polite live region. */
export function Toasts() {
  const toasts = useToastStore((s) => s.toasts);
  const dismiss = useToastStore((s) => s.dismiss);
  return (
    <div className="toasts" role="region" aria-label="Messages" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast toast-${t.level}`}>
          <Icon name={ICONS[t.level] ?? 'check'} className="toast-icon" />
          <div className="toast-text">
            <p className="toast-title">{t.title}</p>
            {t.body && <p className="toast-body">{t.body}</p>}
          </div>
          <button type="button" className="icon-btn" aria-label="Dismiss" onClick={() => dismiss(t.id)}>
            <Icon name="x" size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}

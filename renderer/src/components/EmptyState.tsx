import type { ReactNode } from 'react';
import { Icon, type IconName } from './Icon';

/** The calm centred message a view shows when it has nothing (or cannot get anything) to list. */
export function EmptyState({ icon, title, tone, children }: { icon: IconName; title: string; tone?: 'error'; children?: ReactNode }) {
  return (
    <div className={tone === 'error' ? 'empty empty-error' : 'empty'} role={tone === 'error' ? 'alert' : undefined}>
      <div className="empty-icon">
        <Icon name={icon} size={28} />
      </div>
      <h2>{title}</h2>
      {children}
    </div>
  );
}

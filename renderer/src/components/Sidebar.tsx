import { useAppStore, type View } from '../stores/app-store';
import { ACTIVE_STATES, useDownloadsStore } from '../stores/downloads-store';
import { useSharesStore } from '../stores/shares-store';
import { Icon, type IconName } from './Icon';
import { Spinner } from './Spinner';

const ITEMS: Array<{ view: View; label: string; icon: IconName }> = [
  { view: 'network', label: 'Network', icon: 'globe' },
  { view: 'downloads', label: 'Downloads', icon: 'download' },
  { view: 'shares', label: 'Shared folders', icon: 'folder' },
  { view: 'settings', label: 'Settings', icon: 'sliders' },
];

export function Sidebar() {
  const view = useAppStore((s) => s.view);
  const setView = useAppStore((s) => s.setView);
  const active = useDownloadsStore((s) => s.rows.reduce((n, r) => n + (ACTIVE_STATES.has(r.state) ? 1 : 0), 0));
  const hashing = useSharesStore((s) => s.folders.some((f) => f.hashingQueued > 0));

  return (
    <nav className="sidebar" aria-label="Main">
      <div className="brand">
        <span className="brand-mark">
          <Icon name="logo" size={20} />
        </span>
        <span className="brand-name">p2pshare</span>
      </div>
      <ul className="nav-list">
        {ITEMS.map((item) => (
          <li key={item.view}>
            <button
              type="button"
              className={view === item.view ? 'nav-item nav-item-current' : 'nav-item'}
              aria-current={view === item.view ? 'page' : undefined}
              aria-describedby={item.view === 'downloads' && active > 0 ? 'nav-downloads-count' : undefined}
              onClick={() => setView(item.view)}
            >
              <Icon name={item.icon} size={18} />
              <span className="nav-label">{item.label}</span>
              {item.view === 'downloads' && active > 0 && (
                <span className="badge" aria-hidden="true">
                  {active}
                </span>
              )}
              {item.view === 'shares' && hashing && <Spinner size={12} />}
            </button>
            {item.view === 'downloads' && active > 0 && (
              // The count is the button's description, not part of its name ("Downloads").
              <span id="nav-downloads-count" hidden>
                {active} active
              </span>
            )}
          </li>
        ))}
      </ul>
    </nav>
  );
}

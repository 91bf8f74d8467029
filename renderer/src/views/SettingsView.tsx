import { useSettingsStore } from '../stores/settings-store';
import { AppearanceSection } from './settings/AppearanceSection';
import { NetworkSection } from './settings/NetworkSection';
import { NotificationsSection } from './settings/NotificationsSection';
import { TransfersSection } from './settings/TransfersSection';

export function SettingsView() {
  const ready = useSettingsStore((s) => s.settings !== null);
  const capabilities = useSettingsStore((s) => s.capabilities);
  const version = useSettingsStore((s) => s.version);
  return (
    <section className="view view-settings" aria-labelledby="settings-title">
      <header className="view-header">
        <h1 id="settings-title">Settings</h1>
      </header>
      {ready && (
        <div className="view-body settings-body">
          <NetworkSection />
          <TransfersSection />
          <AppearanceSection />
          {capabilities?.mode === 'browser' && <NotificationsSection />}
          <p className="about">
            p2pshare {version}
            {capabilities && ` · ${capabilities.mode === 'desktop' ? 'desktop app' : 'web interface'}`}
          </p>
        </div>
      )}
    </section>
  );
}

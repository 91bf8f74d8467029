import { useEffect } from 'react';
import { Button } from './components/Button';
import { ConnectionBanner } from './components/ConnectionBanner';
import { EmptyState } from './components/EmptyState';
import { OpenModeBanner } from './components/OpenModeBanner';
import { Sidebar } from './components/Sidebar';
import { Spinner } from './components/Spinner';
import { StatusBar } from './components/StatusBar';
import { Toasts } from './components/Toasts';
import { sentence } from './format';
import { useAppStore, viewFromHash } from './stores/app-store';
import { useSettingsStore } from './stores/settings-store';
import { loadSnapshot } from './sync';
import { applyTheme } from './theme';
import { DownloadsView } from './views/DownloadsView';
import { NetworkView } from './views/NetworkView';
import { SettingsView } from './views/SettingsView';
import { SharesView } from './views/SharesView';

function CurrentView() {
  const view = useAppStore((s) => s.view);
  const phase = useAppStore((s) => s.phase);
  const loadError = useAppStore((s) => s.loadError);
  if (phase === 'loading') {
    return (
      <div className="loading" role="status">
        <Spinner size={20} /> Connecting to the host…
      </div>
    );
  }
  if (phase === 'failed') {
    return (
      <EmptyState icon="alert" title="Couldn’t load the app state" tone="error">
        <p>{sentence(loadError ?? 'The host did not answer.')}</p>
        <div className="empty-actions">
          <Button icon="retry" variant="primary" onClick={() => void loadSnapshot()}>
            Retry
          </Button>
        </div>
      </EmptyState>
    );
  }
  switch (view) {
    case 'downloads':
      return <DownloadsView />;
    case 'shares':
      return <SharesView />;
    case 'settings':
      return <SettingsView />;
    default:
      return <NetworkView />;
  }
}

export function App() {
  const theme = useSettingsStore((s) => s.settings?.theme);
  const view = useAppStore((s) => s.view);

  useEffect(() => {
    if (theme) applyTheme(theme);
  }, [theme]);

  useEffect(() => {
    const onHash = () => useAppStore.getState().setView(viewFromHash(location.hash));
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);

  useEffect(() => {
    const titles = { network: 'Network', downloads: 'Downloads', shares: 'Shared folders', settings: 'Settings' };
    document.title = `${titles[view]} · p2pshare`;
  }, [view]);

  return (
    <div className="app">
      <Sidebar />
      <main className="main" id="main">
        <OpenModeBanner />
        <ConnectionBanner />
        <CurrentView />
      </main>
      <StatusBar />
      <Toasts />
    </div>
  );
}

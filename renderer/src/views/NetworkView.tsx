import { useEffect, useRef, useState } from 'react';
import { Button } from '../components/Button';
import { EmptyState } from '../components/EmptyState';
import { Icon } from '../components/Icon';
import { Spinner } from '../components/Spinner';
import { formatCount, sentence } from '../format';
import { useAppStore } from '../stores/app-store';
import { useDownloadsStore } from '../stores/downloads-store';
import { useNetworkStore } from '../stores/network-store';
import { JoinNetworkOffer } from './JoinNetworkOffer';
import { NetworkTable } from './NetworkTable';
import { StaleListingNotice } from './StaleListingNotice';

/**
 * An edit after a quiet spell of this long is sent at once (a paste, a clear, one
 * keystroke); the rest of a burst of typing is batched into one query sent after this pause.
 */
const SEARCH_DEBOUNCE_MS = 150;
/** Errors that mean "no answer from the host", not "no tracker": the banner covers them. */
const HOST_DOWN_CODES = new Set(['disconnected', 'timeout', 'ipc_failed']);
/** What the listing's failure is called, by error code. */
const EMPTY_ERROR_TITLES: Record<string, string> = { tracker_unreachable: 'Can’t reach a tracker', wrong_key: 'Wrong network key', tracker_full: 'The tracker is full', not_member: 'Not a member of this network' };

function SearchBox() {
  const text = useNetworkStore((s) => s.input);
  const setText = useNetworkStore((s) => s.setInput);
  const setQuery = useNetworkStore((s) => s.setQuery);
  /** When the search text last changed (performance.now()). */
  const lastEdit = useRef(Number.NEGATIVE_INFINITY);

  useEffect(() => {
    const query = text.trim();
    if (query === useNetworkStore.getState().query) return;
    const now = performance.now();
    const quiet = now - lastEdit.current >= SEARCH_DEBOUNCE_MS;
    lastEdit.current = now;
    if (quiet) {
      setQuery(query);
      return;
    }
    const timer = setTimeout(() => setQuery(query), SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, setQuery]);

  return (
    <div className="search" role="search">
      <Icon name="search" className="search-icon" />
      <input
        type="text"
        className="input search-input"
        aria-label="Search files"
        placeholder="Search files"
        value={text}
        maxLength={256}
        spellCheck={false}
        autoComplete="off"
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Escape' && text) {
            e.preventDefault();
            setText('');
          }
        }}
      />
      {text && (
        <button type="button" className="search-clear" aria-label="Clear search" onClick={() => setText('')}>
          <Icon name="x" size={14} />
        </button>
      )}
    </div>
  );
}

function Summary() {
  const total = useNetworkStore((s) => s.total);
  const query = useNetworkStore((s) => s.query);
  const busy = useNetworkStore((s) => s.pending > 0);
  let text = '';
  if (total !== null) {
    const files = `${formatCount(total)} ${total === 1 ? 'file' : 'files'}`;
    text = query ? `${files} matching “${query}”` : `${files} on the network`;
  }
  return (
    <div className="toolbar-summary" aria-live="polite">
      {busy && <Spinner />}
      <span>{text || (busy ? 'Loading…' : '')}</span>
    </div>
  );
}

function StartError() {
  const error = useDownloadsStore((s) => s.startError);
  const clear = useDownloadsStore((s) => s.clearStartError);
  if (!error) return null;
  return (
    <div className="inline-alert inline-alert-error" role="alert">
      <Icon name="alert" />
      <p>
        Couldn’t download <strong>{error.name}</strong>: {sentence(error.message)}
      </p>
      <button type="button" className="icon-btn" aria-label="Dismiss" onClick={clear}>
        <Icon name="x" size={14} />
      </button>
    </div>
  );
}

export function NetworkView() {
  const total = useNetworkStore((s) => s.total);
  const query = useNetworkStore((s) => s.query);
  const error = useNetworkStore((s) => s.error);
  const retry = useNetworkStore((s) => s.retry);
  const setInput = useNetworkStore((s) => s.setInput);
  const setView = useAppStore((s) => s.setView);
  const [joining, setJoining] = useState(false);

  let body;
  if (error && total === null && HOST_DOWN_CODES.has(error.code)) {
    // The connection banner says what happened; the listing reloads by itself on reconnect.
    body = (
      <EmptyState icon="globe" title="Waiting for the host">
        <p>The listing loads again as soon as the connection is back.</p>
      </EmptyState>
    );
  } else if (error && total === null) {
    body = (
      <EmptyState icon="alert" title={EMPTY_ERROR_TITLES[error.code] ?? 'Couldn’t load the listing'} tone="error">
        <p>{sentence(error.message)}</p>
        <p>{error.code === 'wrong_key' ? 'Join again in Settings with a new invite from the network’s owner.' : 'Check that the tracker is running and that its address is right in Settings.'}</p>
        <div className="empty-actions">
          <Button icon="retry" variant="primary" onClick={retry}>
            Retry
          </Button>
          <Button icon="sliders" onClick={() => setView('settings')}>
            Open settings
          </Button>
        </div>
      </EmptyState>
    );
  } else if (total === 0 && query) {
    body = (
      <EmptyState icon="search" title={`No files match “${query}”`}>
        <p>Try fewer or different words. Search matches any part of a file’s name or path.</p>
        <div className="empty-actions">
          <Button onClick={() => setInput('')}>Show all files</Button>
        </div>
      </EmptyState>
    );
  } else if (total === 0) {
    body = (
      <EmptyState icon="globe" title="Nothing is shared on the network yet">
        <p>Files appear here as soon as a peer on the same network shares a folder.</p>
        <p>Share one of your own folders, or join another machine’s network with the invite it printed (or shows in Settings → Invite others).</p>
        <div className="empty-actions">
          <Button icon="folder" variant="primary" onClick={() => setView('shares')}>
            Share a folder
          </Button>
          <Button icon="globe" aria-expanded={joining} aria-controls="join-network-offer" onClick={() => setJoining((open) => !open)}>
            Join a network
          </Button>
          <Button icon="sliders" variant="ghost" onClick={() => setView('settings')}>
            Tracker settings
          </Button>
        </div>
        {joining && <JoinNetworkOffer onDone={() => setJoining(false)} />}
      </EmptyState>
    );
  } else {
    body = (
      <>
        {error && !HOST_DOWN_CODES.has(error.code) && (
          <div className="inline-alert inline-alert-error" role="alert">
            <Icon name="alert" />
            <p>{sentence(error.message)}</p>
            <Button size="sm" icon="retry" onClick={retry}>
              Retry
            </Button>
          </div>
        )}
        <NetworkTable />
      </>
    );
  }

  return (
    <section className="view view-network" aria-labelledby="network-title">
      <header className="view-header">
        <h1 id="network-title">Network</h1>
        <div className="toolbar">
          <SearchBox />
          <Summary />
        </div>
      </header>
      <StartError />
      {/* Over an error page the saved listing is not on screen: nothing to explain. */}
      <StaleListingNotice hidden={error !== null && total === null} />
      {body}
    </section>
  );
}

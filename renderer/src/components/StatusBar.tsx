import { formatCount, formatRate } from '../format';
import { useDownloadsStore } from '../stores/downloads-store';
import { useStatusStore } from '../stores/status-store';
import { Icon } from './Icon';

/** Bottom bar: network privacy, tracker connections, DHT nodes, peers, transfer rates, listening port. Not a live region: it changes every second. */
export function StatusBar() {
  const status = useStatusStore((s) => s.status);
  // The total is the sum of the rows, from the same update: the bar and the rows never disagree,
  // and a paused download leaves the total the moment its row says 0.
  const downloadRate = useDownloadsStore((s) => s.rows.reduce((sum, row) => sum + (row.state === 'downloading' ? row.downloadRate : 0), 0));
  if (!status) return <footer className="statusbar" aria-label="Status" />;
  const hosted = status.hostedTracker;
  // The hosted tracker shows up in the tracker list as 127.0.0.1:PORT; say that it is ours.
  const ownAddress = hosted.running ? `127.0.0.1:${hosted.port}` : null;
  return (
    <footer className="statusbar" aria-label="Status">
      <ul className="status-trackers" aria-label="Trackers">
        {status.trackers.length === 0 && <li className="status-item muted">No tracker configured</li>}
        {status.trackers.map((t) => (
          // Several trackers are normal: each one says its own state (the dot for the eye, the words for the title and screen readers).
          <li key={t.address} className="status-item" title={`${t.address}: ${t.connected ? 'connected' : 'not connected'}`}>
            <span className={t.connected ? 'dot dot-on' : 'dot'} aria-hidden="true" />
            <span className="mono">{t.address}</span>
            {t.address === ownAddress && <span className="muted">(hosted here)</span>}
            <span className="sr-only">{t.connected ? 'connected' : 'not connected'}</span>
          </li>
        ))}
      </ul>
      <div className="status-right">
        {status.secure ? (
          <span className="status-item status-secure" title="Connections are encrypted with the network key">
            <Icon name="lock" size={13} />
            Private network
          </span>
        ) : (
          <span className="status-item status-open" title="Connections are not encrypted, and anyone who can reach this machine can list and download your files">
            <Icon name="unlock" size={13} />
            Open mode
          </span>
        )}
        {status.dhtNodes !== null && (
          <span className="status-item" title="Nodes in the DHT routing table: peers are also found there, with or without a tracker">
            DHT: {formatCount(status.dhtNodes)} {status.dhtNodes === 1 ? 'node' : 'nodes'}
          </span>
        )}
        <span className="status-item">
          {formatCount(status.peersOnline)} {status.peersOnline === 1 ? 'peer' : 'peers'} online
        </span>
        <span className="status-item rate" title="Upload rate">
          <Icon name="up" size={13} />
          <span className="sr-only">Upload</span>
          {formatRate(status.uploadRate)}
        </span>
        <span className="status-item rate" title="Download rate">
          <Icon name="down" size={13} />
          <span className="sr-only">Download</span>
          {formatRate(downloadRate)}
        </span>
        <span className="status-item" title="Port other peers connect to">
          Port <span className="mono">{status.listenPort}</span>
        </span>
      </div>
    </footer>
  );
}

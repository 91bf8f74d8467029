import { useState, type ReactNode } from 'react';
import type { DownloadRow } from '../../../shared/ipc/contract';
import { Button } from '../components/Button';
import { EmptyState } from '../components/EmptyState';
import { Icon } from '../components/Icon';
import { ProgressBar } from '../components/ProgressBar';
import { formatBytes, formatCount, formatEta, formatPercent, formatRate, sentence, splitPath } from '../format';
import { STATE_LABELS, stateTone } from '../labels';
import { useAppStore } from '../stores/app-store';
import { ACTIVE_STATES, useDownloadsStore, type DownloadAction } from '../stores/downloads-store';
import { useSettingsStore } from '../stores/settings-store';
import { CancelDownloadDialog } from './CancelDownloadDialog';

const PATH_LABELS = { direct: 'direct', lan: 'LAN', reversed: 'reversed', punched: 'punched', relayed: 'relayed' } as const;

/** How the peers were reached, "direct, relayed": each path once, in the order first seen. */
function pathsOf(row: DownloadRow): string {
  return [...new Set((row.routes ?? []).map((r) => PATH_LABELS[r.path]))].join(', ');
}

function details(row: DownloadRow): ReactNode[] {
  const paths = pathsOf(row);
  const progress = `${formatBytes(row.bytesDone)} of ${formatBytes(row.size)}`;
  switch (row.state) {
    case 'downloading':
      return [
        progress,
        <span key="rate" className="rate">↓ {formatRate(row.downloadRate)}</span>,
        row.etaSeconds === null ? 'estimating…' : `${formatEta(row.etaSeconds)} left`,
        `${formatCount(row.peers)} ${row.peers === 1 ? 'peer' : 'peers'}${paths ? ` (${paths})` : ''}`,
      ];
    case 'queued':
      return [progress, 'waiting for a free slot'];
    case 'connecting':
      return [progress, 'looking for peers…'];
    case 'stalled':
      return [progress, 'stalled, waiting for peers'];
    case 'verifying':
      return [progress, 'checking the file…'];
    case 'paused':
      return [progress];
    case 'done':
      return [formatBytes(row.size), ...(paths ? [`via ${paths}`] : []), <span key="path" className="dl-path" title={row.path}>{row.path}</span>];
    case 'failed':
      // The reason is a sentence of its own, on its own line (see DownloadItem): as a meta part it
      // wrapped and left a dangling separator at the end of the line above.
      return [progress];
    default:
      return [progress];
  }
}

function Actions({ row, onCancel }: { row: DownloadRow; onCancel(): void }) {
  const busy = useDownloadsStore((s) => s.busy[row.hash]);
  const act = useDownloadsStore((s) => s.act);
  const openFiles = useSettingsStore((s) => s.capabilities?.openFiles ?? false);
  const button = (action: DownloadAction, icon: Parameters<typeof Button>[0]['icon'], label: string, variant: 'secondary' | 'ghost' = 'ghost', title?: string) => (
    <Button key={action} size="sm" variant={variant} icon={icon} busy={busy === action} disabled={busy !== undefined} title={title} onClick={() => (action === 'cancel' ? onCancel() : void act(action, row.hash))}>
      {label}
    </Button>
  );
  const out: ReactNode[] = [];
  if (ACTIVE_STATES.has(row.state)) out.push(button('pause', 'pause', 'Pause'), button('cancel', 'x', 'Cancel', 'ghost', 'Stop, and choose whether to keep the partial file'));
  else if (row.state === 'paused') out.push(button('resume', 'play', 'Resume', 'secondary'), button('cancel', 'x', 'Cancel', 'ghost', 'Stop, and choose whether to keep the partial file'));
  else if (row.state === 'failed') out.push(button('retry', 'retry', 'Retry', 'secondary'), button('remove', 'trash', 'Remove', 'ghost', 'Remove from the list'));
  else if (row.state === 'done') {
    if (openFiles) out.push(button('open', 'open', 'Open', 'secondary'), button('reveal', 'folder', 'Show in folder'));
    out.push(button('remove', 'trash', 'Remove', 'ghost', 'Remove from the list (the file stays)'));
  }
  return <div className="dl-actions">{out}</div>;
}

function DownloadItem({ row, onCancel }: { row: DownloadRow; onCancel(): void }) {
  const error = useDownloadsStore((s) => s.errors[row.hash]);
  const clearError = useDownloadsStore((s) => s.clearError);
  const { dir, base } = splitPath(row.name);
  const tone = stateTone(row.state);
  const pct = row.state === 'done' ? 100 : formatPercent(row.bytesDone, row.size);
  const info = details(row);
  return (
    <li className={`dl-item dl-${tone}`} aria-label={row.name}>
      <div className="dl-head">
        <Icon name="file" className="file-icon" />
        <span className="dl-name" title={row.name}>
          {dir && <span className="name-dir">{dir}</span>}
          <span className="name-base">{base}</span>
        </span>
        <span className="dl-percent num">{row.state === 'done' ? '' : `${Math.floor(pct)}%`}</span>
        <span className={`tag tag-${tone}`}>{STATE_LABELS[row.state]}</span>
      </div>
      <ProgressBar value={pct} label={`Progress of ${base}`} tone={tone} />
      <div className="dl-foot">
        <p className="dl-meta">
          {info.map((part, i) => (
            <span key={i} className="dl-meta-part">
              {part}
            </span>
          ))}
        </p>
        <Actions row={row} onCancel={onCancel} />
      </div>
      {row.state === 'failed' && <p className="dl-reason text-error">{row.error ? sentence(row.error.message) : 'The download stopped.'}</p>}
      {error && (
        <div className="field-error dl-error" role="alert">
          <span>{sentence(error)}</span>
          <button type="button" className="link-btn" onClick={() => clearError(row.hash)}>
            Dismiss
          </button>
        </div>
      )}
    </li>
  );
}

export function DownloadsView() {
  const rows = useDownloadsStore((s) => s.rows);
  const act = useDownloadsStore((s) => s.act);
  const setView = useAppStore((s) => s.setView);
  const [cancelling, setCancelling] = useState<string | null>(null);
  // A row that finished or failed meanwhile has nothing left to cancel: the dialog goes.
  const cancelRow = rows.find((r) => r.hash === cancelling && (ACTIVE_STATES.has(r.state) || r.state === 'paused'));
  const done = rows.filter((r) => r.state === 'done');
  const count = (test: (r: DownloadRow) => boolean) => rows.filter(test).length;
  const summary = (
    [
      [count((r) => ACTIVE_STATES.has(r.state)), 'active'],
      [count((r) => r.state === 'paused'), 'paused'],
      [done.length, 'finished'],
      [count((r) => r.state === 'failed'), 'failed'],
    ] as const
  )
    .filter(([n]) => n > 0)
    .map(([n, label]) => `${n} ${label}`);

  return (
    <section className="view view-downloads" aria-labelledby="downloads-title">
      <header className="view-header">
        <h1 id="downloads-title">Downloads</h1>
        <div className="toolbar">
          <div className="toolbar-summary">{summary.join(' · ')}</div>
          {done.length > 0 && (
            <Button size="sm" variant="ghost" icon="check" onClick={() => done.forEach((r) => void act('remove', r.hash))}>
              Clear finished
            </Button>
          )}
        </div>
      </header>
      {rows.length === 0 ? (
        <EmptyState icon="download" title="No downloads yet">
          <p>Find a file on the network and choose Download. Finished files land in your download folder.</p>
          <div className="empty-actions">
            <Button icon="globe" variant="primary" onClick={() => setView('network')}>
              Browse the network
            </Button>
          </div>
        </EmptyState>
      ) : (
        <ul className="dl-list" aria-label="Downloads">
          {rows.map((row) => (
            <DownloadItem key={row.hash} row={row} onCancel={() => setCancelling(row.hash)} />
          ))}
        </ul>
      )}
      {cancelRow && <CancelDownloadDialog row={cancelRow} onClose={() => setCancelling(null)} />}
    </section>
  );
}

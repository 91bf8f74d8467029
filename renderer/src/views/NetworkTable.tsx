import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import type { DownloadRow, ListingRow } from '../../../shared/ipc/contract';
import type { ListSortKey } from '../../../shared/protocol/messages';
import { canStartDownload } from '../../../shared/downloads';
import { Button } from '../components/Button';
import { Icon } from '../components/Icon';
import { VirtualList, type VirtualListHandle } from '../components/VirtualList';
import { formatBytes, formatCount, formatPercent, shortHash, splitPath } from '../format';
import { STATE_LABELS, stateTone } from '../labels';
import { useDownloadsStore } from '../stores/downloads-store';
import { rowAt, useNetworkStore } from '../stores/network-store';

export const ROW_HEIGHT = 40;

const COLUMNS: Array<{ key: ListSortKey; label: string; className: string; numeric?: boolean }> = [
  { key: 'name', label: 'Name', className: 'col-name' },
  { key: 'size', label: 'Size', className: 'col-size', numeric: true },
  { key: 'peers', label: 'Peers', className: 'col-peers', numeric: true },
  { key: 'hash', label: 'Hash', className: 'col-hash' },
];

function SortHeader({ column }: { column: (typeof COLUMNS)[number] }) {
  const sort = useNetworkStore((s) => s.sort);
  const descending = useNetworkStore((s) => s.descending);
  const setSort = useNetworkStore((s) => s.setSort);
  const active = sort === column.key;
  // Numeric columns are right-aligned: the arrow goes on the left so the labels line up with the numbers.
  const icon = <Icon name={active && descending ? 'chevronDown' : 'chevronUp'} size={14} className={active ? 'sort-icon' : 'sort-icon sort-icon-idle'} />;
  return (
    <div role="columnheader" className={`cell ${column.className}`} aria-sort={active ? (descending ? 'descending' : 'ascending') : 'none'}>
      <button type="button" className={active ? 'sort-btn sort-active' : 'sort-btn'} onClick={() => setSort(column.key)}>
        {column.numeric && icon}
        {column.label}
        {!column.numeric && icon}
      </button>
    </div>
  );
}

function ActionCell({ row, download, tabbable, onStart }: { row: ListingRow; download: DownloadRow | undefined; tabbable: boolean; onStart: () => void }) {
  const starting = useDownloadsStore((s) => s.busy[row.hash] === 'start');
  if (row.local) {
    return download?.state === 'done' ? <span className="tag tag-done">Downloaded</span> : <span className="tag">In library</span>;
  }
  if (download && !canStartDownload(download.state)) {
    const pct = formatPercent(download.bytesDone, download.size);
    const label = download.state === 'done' ? 'Downloaded' : STATE_LABELS[download.state];
    return (
      <span className={`tag tag-${stateTone(download.state)}`}>
        {label}
        {download.state === 'downloading' && ` ${Math.floor(pct)}%`}
      </span>
    );
  }
  return (
    <Button
      size="sm"
      icon="download"
      variant="ghost"
      className="btn-download"
      busy={starting}
      tabIndex={tabbable ? 0 : -1}
      onClick={(e) => {
        e.stopPropagation();
        onStart();
      }}
    >
      Download
    </Button>
  );
}

/** The listing as an ARIA grid: sortable headers, one focusable row at a time, arrows to move, Enter to download. */
export function NetworkTable() {
  const total = useNetworkStore((s) => s.total) ?? 0;
  const pages = useNetworkStore((s) => s.pages);
  const generation = useNetworkStore((s) => s.generation);
  const busy = useNetworkStore((s) => s.pending > 0);
  const ensureRange = useNetworkStore((s) => s.ensureRange);
  const downloads = useDownloadsStore((s) => s.rows);
  const start = useDownloadsStore((s) => s.start);
  const byHash = useMemo(() => new Map(downloads.map((d) => [d.hash, d])), [downloads]);

  const list = useRef<VirtualListHandle>(null);
  const grid = useRef<HTMLDivElement>(null);
  const [active, setActive] = useState(0);
  const [range, setRange] = useState({ first: 0, last: 0 });
  const focusPending = useRef(false);

  useEffect(() => setActive(0), [generation]);

  const onRangeChange = useCallback(
    (first: number, last: number) => {
      setRange({ first, last });
      ensureRange(first, last);
    },
    [ensureRange],
  );
  // Pages arrive after the range was reported (and total changes): ask again for what is still missing.
  useEffect(() => {
    if (range.last > range.first) ensureRange(range.first, range.last);
  }, [total, generation, pages, range, ensureRange]);

  // After keyboard moves, focus follows once the row is rendered.
  useEffect(() => {
    if (!focusPending.current) return;
    const el = grid.current?.querySelector<HTMLElement>(`[data-index="${active}"]`);
    if (el) {
      focusPending.current = false;
      el.focus({ preventScroll: true });
    }
  });

  const startRow = useCallback(
    (row: ListingRow | undefined) => {
      if (!row || row.local) return;
      if (!canStartDownload(byHash.get(row.hash)?.state)) return;
      void start({ hash: row.hash, name: row.name, size: row.size });
    },
    [byHash, start],
  );

  function moveTo(index: number) {
    if (total === 0) return;
    const next = Math.min(total - 1, Math.max(0, index));
    setActive(next);
    list.current?.scrollToIndex(next);
    focusPending.current = true;
  }

  function onKeyDown(e: KeyboardEvent<HTMLDivElement>) {
    const page = list.current?.pageSize() ?? 10;
    const onRow = (e.target as HTMLElement).getAttribute('role') === 'row';
    switch (e.key) {
      case 'ArrowDown':
        moveTo(active + 1);
        break;
      case 'ArrowUp':
        moveTo(active - 1);
        break;
      case 'PageDown':
        moveTo(active + page);
        break;
      case 'PageUp':
        moveTo(active - page);
        break;
      case 'Home':
        moveTo(0);
        break;
      case 'End':
        moveTo(total - 1);
        break;
      case 'Enter':
        if (!onRow) return;
        startRow(rowAt(pages, active));
        break;
      default:
        return;
    }
    e.preventDefault();
  }

  // The one row in the tab order: the active one, or the first on screen if it scrolled away.
  const tabRow = active >= range.first && active < range.last ? active : range.first;

  const renderRow = (index: number) => {
    const row = rowAt(pages, index);
    const common = {
      role: 'row',
      'aria-rowindex': index + 2,
      'data-index': index,
      tabIndex: index === tabRow ? 0 : -1,
      onFocus: () => setActive(index),
      style: { height: ROW_HEIGHT },
    } as const;
    if (!row) {
      return (
        <div key={index} {...common} className="grid-row grid-row-loading" aria-busy="true">
          <div role="gridcell" className="cell col-name">
            <span className="skeleton skeleton-wide" />
            <span className="sr-only">Loading…</span>
          </div>
          <div role="gridcell" className="cell col-size"><span className="skeleton" /></div>
          <div role="gridcell" className="cell col-peers"><span className="skeleton skeleton-narrow" /></div>
          <div role="gridcell" className="cell col-hash"><span className="skeleton" /></div>
          <div role="gridcell" className="cell col-action" />
        </div>
      );
    }
    const { dir, base } = splitPath(row.name);
    const download = byHash.get(row.hash);
    const startable = !row.local && canStartDownload(download?.state);
    return (
      <div
        key={index}
        {...common}
        className={`grid-row${index === active ? ' grid-row-active' : ''}${startable ? ' grid-row-startable' : ''}`}
        onClick={() => startRow(row)}
      >
        <div role="gridcell" className="cell col-name" title={row.name}>
          <Icon name="file" className="file-icon" />
          <span className="name-text">
            {dir && <span className="name-dir">{dir}</span>}
            <span className="name-base">{base}</span>
          </span>
        </div>
        <div role="gridcell" className="cell col-size num" title={`${formatCount(row.size)} bytes`}>
          {formatBytes(row.size)}
        </div>
        <div role="gridcell" className={`cell col-peers num${row.peers === 0 ? ' muted' : ''}`}>
          {formatCount(row.peers)}
        </div>
        <div role="gridcell" className="cell col-hash mono" title={row.hash}>
          {shortHash(row.hash)}
        </div>
        <div role="gridcell" className="cell col-action">
          <ActionCell row={row} download={download} tabbable={index === tabRow} onStart={() => startRow(row)} />
        </div>
      </div>
    );
  };

  return (
    <div ref={grid} className="grid" role="grid" aria-label="Files on the network" aria-rowcount={total + 1} aria-colcount={5} aria-busy={busy || undefined}>
      <div role="rowgroup" className="grid-head">
        <div role="row" aria-rowindex={1} className="grid-row grid-row-head">
          {COLUMNS.map((c) => (
            <SortHeader key={c.key} column={c} />
          ))}
          <div role="columnheader" className="cell col-action">
            <span className="sr-only">Action</span>
          </div>
        </div>
      </div>
      <VirtualList
        ref={list}
        role="rowgroup"
        className="grid-body"
        count={total}
        rowHeight={ROW_HEIGHT}
        renderRow={renderRow}
        onRangeChange={onRangeChange}
        resetKey={generation}
        onKeyDown={onKeyDown}
      />
    </div>
  );
}

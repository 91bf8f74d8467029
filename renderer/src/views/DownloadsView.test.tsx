// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { downloadRow, hashOf } from '../test-support/fake-host';
import { flush, renderWithHost, teardown } from '../test-support/setup';
import { DownloadsView } from './DownloadsView';

afterEach(teardown);

const MiB = 1024 * 1024;
const item = (name: string) => screen.getByRole('listitem', { name });

describe('DownloadsView', () => {
  it('shows progress, bytes, speed, ETA, peers and the state', async () => {
    await renderWithHost(<DownloadsView />, { downloads: [downloadRow({ name: 'movies/clip.mp4', size: 100 * MiB, bytesDone: 25 * MiB, downloadRate: 2 * MiB, etaSeconds: 38, peers: 3 })] });
    const row = item('movies/clip.mp4');
    const bar = within(row).getByRole('progressbar');
    expect(bar.getAttribute('aria-valuenow')).toBe('25');
    expect(bar.getAttribute('aria-label')).toBe('Progress of clip.mp4');
    expect(row.textContent).toContain('25.0 MiB of 100 MiB');
    expect(row.textContent).toContain('2.00 MiB/s');
    expect(row.textContent).toContain('38 s left');
    expect(row.textContent).toContain('3 peers');
    expect(within(row).getByText('Downloading')).toBeTruthy();
  });

  it('says how its peers were reached, while downloading and once done', async () => {
    const routes = [
      { peer: '1a2b3c4d', path: 'punched' as const, bytes: 10 * MiB },
      { peer: '5e6f7a8b', path: 'relayed' as const, bytes: 5 * MiB },
      { peer: '9c0d1e2f', path: 'punched' as const, bytes: 1 * MiB },
    ];
    await renderWithHost(<DownloadsView />, {
      downloads: [downloadRow({ hash: hashOf(1), name: 'a.bin', peers: 3, routes }), downloadRow({ hash: hashOf(2), name: 'b.bin', state: 'done', routes: [{ peer: 'aaaabbbb', path: 'lan', bytes: MiB }] })],
    });
    expect(item('a.bin').textContent).toContain('3 peers (punched, relayed)');
    expect(item('b.bin').textContent).toContain('via LAN');
  });

  it('Pause, Resume and Cancel call the host for that row', async () => {
    const a = downloadRow({ hash: hashOf(1), name: 'a.bin' });
    const b = downloadRow({ hash: hashOf(2), name: 'b.bin', state: 'paused' });
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [a, b] });
    fireEvent.click(within(item('a.bin')).getByRole('button', { name: 'Pause' }));
    await flush();
    expect(host.callsTo('downloads:pause')).toEqual([{ hash: a.hash }]);
    expect(within(item('b.bin')).queryByRole('button', { name: 'Pause' })).toBeNull();
    fireEvent.click(within(item('b.bin')).getByRole('button', { name: 'Resume' }));
    await flush();
    expect(host.callsTo('downloads:resume')).toEqual([{ hash: b.hash }]);
    fireEvent.click(within(item('b.bin')).getByRole('button', { name: 'Cancel' }));
    await flush();
    expect(host.callsTo('downloads:cancel')).toEqual([]); // asks first
    fireEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Cancel download' }));
    await flush();
    expect(host.callsTo('downloads:cancel')).toEqual([{ hash: b.hash, deleteData: false }]);
    expect(screen.queryByRole('listitem', { name: 'b.bin' })).toBeNull();
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('Cancel asks first: Escape keeps the download, the checkbox deletes its data', async () => {
    const a = downloadRow({ hash: hashOf(1), name: 'a.bin', bytesDone: 3 * MiB });
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [a] });
    const cancelButton = within(item('a.bin')).getByRole('button', { name: 'Cancel' });
    cancelButton.focus();
    fireEvent.click(cancelButton);
    const dialog = screen.getByRole('dialog', { name: 'Cancel the download of a.bin?' });
    expect(dialog.getAttribute('aria-modal')).toBe('true');
    expect(document.activeElement).toBe(within(dialog).getByRole('button', { name: 'Cancel download' }));
    const box = within(dialog).getByRole('checkbox', { name: /Also delete the partial data \(3\.00 MiB verified\)/ });
    expect((box as HTMLInputElement).checked).toBe(false);
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(document.activeElement).toBe(cancelButton);
    expect(host.callsTo('downloads:cancel')).toEqual([]);

    fireEvent.click(cancelButton);
    fireEvent.click(screen.getByRole('checkbox', { name: /Also delete the partial data/ }));
    fireEvent.click(screen.getByRole('button', { name: 'Cancel download' }));
    await flush();
    expect(host.callsTo('downloads:cancel')).toEqual([{ hash: a.hash, deleteData: true }]);
  });

  it('Cancel offers no delete choice when nothing is verified yet', async () => {
    const a = downloadRow({ hash: hashOf(1), name: 'a.bin', state: 'connecting', bytesDone: 0 });
    await renderWithHost(<DownloadsView />, { downloads: [a] });
    fireEvent.click(within(item('a.bin')).getByRole('button', { name: 'Cancel' }));
    expect(within(screen.getByRole('dialog')).queryByRole('checkbox')).toBeNull();
  });

  it('a failed download shows its reason, and Retry queues it again', async () => {
    const failed = downloadRow({ state: 'failed', name: 'x.iso', error: { code: 'no_peers', message: 'nobody has this file right now' } });
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [failed] });
    const row = item('x.iso');
    expect(within(row).getByText('Failed')).toBeTruthy();
    expect(row.textContent).toContain('Nobody has this file right now.');
    expect(within(row).queryByRole('button', { name: 'Pause' })).toBeNull();
    fireEvent.click(within(row).getByRole('button', { name: 'Retry' }));
    await flush();
    expect(host.callsTo('downloads:retry')).toEqual([{ hash: failed.hash }]);
    expect(within(item('x.iso')).getByText('Queued')).toBeTruthy();
    expect(within(item('x.iso')).getByRole('button', { name: 'Pause' })).toBeTruthy();
  });

  it('a failed row puts its reason on a line of its own, with no separator left dangling before it', async () => {
    const long = 'the disk is full: free some space in the download folder and choose Retry; the verified pieces are kept';
    await renderWithHost(<DownloadsView />, { downloads: [downloadRow({ state: 'failed', name: 'x.iso', size: 40 * MiB, bytesDone: 20 * MiB, error: { code: 'disk_full', message: long } })] });
    const row = item('x.iso');
    // Meta parts are joined by a "·" drawn after every part but the last: the reason must not be one of them,
    // or a long reason wraps and leaves "20.0 MiB of 40.0 MiB ·" at the end of the line.
    const parts = [...row.querySelectorAll('.dl-meta-part')].map((p) => p.textContent);
    expect(parts).toEqual(['20.0 MiB of 40.0 MiB']);
    const reason = within(row).getByText(/^The disk is full/);
    expect(reason.closest('.dl-meta')).toBeNull();
  });

  it('Remove takes a failed download off the list', async () => {
    const failed = downloadRow({ state: 'failed', name: 'x.iso' });
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [failed] });
    fireEvent.click(within(item('x.iso')).getByRole('button', { name: 'Remove' }));
    await flush();
    expect(host.callsTo('downloads:remove')).toEqual([{ hash: failed.hash }]);
    expect(screen.getByRole('heading', { name: 'No downloads yet' })).toBeTruthy();
  });

  it('a finished download offers Open and Show in folder on the desktop', async () => {
    const done = downloadRow({ state: 'done', name: 'song.flac', bytesDone: 100 * MiB });
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [done] });
    const row = item('song.flac');
    expect(within(row).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    fireEvent.click(within(row).getByRole('button', { name: 'Open' }));
    await flush();
    fireEvent.click(within(row).getByRole('button', { name: 'Show in folder' }));
    await flush();
    expect(host.callsTo('downloads:open')).toEqual([{ hash: done.hash }]);
    expect(host.callsTo('downloads:reveal')).toEqual([{ hash: done.hash }]);
    expect(within(row).queryByRole('button', { name: 'Pause' })).toBeNull();
  });

  it('no Open / Show in folder in the browser', async () => {
    await renderWithHost(<DownloadsView />, { mode: 'browser', downloads: [downloadRow({ state: 'done', name: 'song.flac' })] });
    expect(screen.queryByRole('button', { name: 'Open' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Show in folder' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Remove' })).toBeTruthy();
  });

  it('a refused action shows the host’s message in the row', async () => {
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [downloadRow({ name: 'a.bin' })] });
    host.fail('downloads:pause', 'io_error', 'Pause or cancel the download first.');
    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    await flush();
    expect(within(item('a.bin')).getByRole('alert').textContent).toContain('Pause or cancel the download first.');
  });

  it('progress events update the row live', async () => {
    const row = downloadRow({ name: 'a.bin', size: 100, bytesDone: 10 });
    const { host } = await renderWithHost(<DownloadsView />, { downloads: [row] });
    act(() => host.emit('downloads:progress', [{ ...row, bytesDone: 80, state: 'verifying' }]));
    expect(within(item('a.bin')).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('80');
    expect(within(item('a.bin')).getByText('Verifying')).toBeTruthy();
  });

  it('has a friendly empty state', async () => {
    await renderWithHost(<DownloadsView />);
    expect(screen.getByRole('heading', { name: 'No downloads yet' })).toBeTruthy();
  });
});

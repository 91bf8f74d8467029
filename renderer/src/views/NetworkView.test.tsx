// @vitest-environment jsdom
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { downloadRow, hashOf, listingRows } from '../test-support/fake-host';
import { flush, renderWithHost, teardown } from '../test-support/setup';
import { NetworkView } from './NetworkView';

afterEach(() => {
  teardown();
  vi.useRealTimers();
});

function bodyRows(): HTMLElement[] {
  return screen.getAllByRole('row').filter((r) => r.getAttribute('aria-rowindex') !== '1');
}

function rowFor(name: string): HTMLElement {
  return screen.getByText(name, { exact: false }).closest<HTMLElement>('[role="row"]')!;
}

describe('NetworkView', () => {
  it('renders rows with human sizes, peers and a short hash (full one in the tooltip)', async () => {
    await renderWithHost(<NetworkView />, {
      listing: [{ name: 'movies/clip.mp4', size: 734_003_200, hash: hashOf(0xabc), peers: 3, local: false }],
    });
    expect(screen.getByText('1 file on the network')).toBeTruthy();
    const row = rowFor('clip.mp4');
    expect(within(row).getByText('700 MiB')).toBeTruthy();
    expect(within(row).getByText('3')).toBeTruthy();
    const hash = within(row).getByText(hashOf(0xabc).slice(0, 12));
    expect(hash.getAttribute('title')).toBe(hashOf(0xabc));
    expect(within(row).getByText('movies/')).toBeTruthy();
    expect(within(row).getByRole('button', { name: 'Download' })).toBeTruthy();
  });

  it('search-as-you-type: the first keystroke queries at once, the rest of the burst as one query after a short pause', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(50) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const box = screen.getByRole('textbox', { name: 'Search files' });
    const queries = () => host.callsTo('network:list').map((a) => a.query);
    fireEvent.change(box, { target: { value: 'f' } });
    fireEvent.change(box, { target: { value: 'file-00001' } });
    fireEvent.change(box, { target: { value: 'file-000012' } });
    await flush();
    expect(queries()).toEqual(['', 'f']);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    expect(queries()).toEqual(['', 'f']);
    await act(async () => {
      await vi.advanceTimersByTimeAsync(100);
    });
    await flush();
    expect(queries()).toEqual(['', 'f', 'file-000012']);
    expect(bodyRows()).toHaveLength(1);
    expect(screen.getByText('1 file matching “file-000012”')).toBeTruthy();
  });

  it('an edit after a pause (a paste, clearing the box) is sent without waiting', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(50) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    const box = screen.getByRole('textbox', { name: 'Search files' });
    const queries = () => host.callsTo('network:list').map((a) => a.query);
    fireEvent.change(box, { target: { value: 'file-000012' } });
    await flush();
    expect(queries()).toEqual(['', 'file-000012']);
    expect(screen.getByText('1 file matching “file-000012”')).toBeTruthy();
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    fireEvent.click(screen.getByRole('button', { name: 'Clear search' }));
    await flush();
    expect(queries()).toEqual(['', 'file-000012', '']);
    expect(screen.getByText('50 files on the network')).toBeTruthy();
    // Only spaces added: the query is the same, nothing is sent.
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    fireEvent.change(box, { target: { value: '  ' } });
    await act(async () => {
      await vi.advanceTimersByTimeAsync(1000);
    });
    expect(queries()).toEqual(['', 'file-000012', '']);
  });

  it('a column header sorts by it, and again flips the direction (aria-sort follows)', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(5) });
    const header = () => screen.getByRole('columnheader', { name: /Size/ });
    expect(screen.getByRole('columnheader', { name: /Name/ }).getAttribute('aria-sort')).toBe('ascending');
    expect(header().getAttribute('aria-sort')).toBe('none');
    fireEvent.click(within(header()).getByRole('button', { name: 'Size' }));
    await flush();
    expect(host.callsTo('network:list').at(-1)).toMatchObject({ sort: 'size', descending: false });
    expect(header().getAttribute('aria-sort')).toBe('ascending');
    fireEvent.click(within(header()).getByRole('button', { name: 'Size' }));
    await flush();
    expect(host.callsTo('network:list').at(-1)).toMatchObject({ sort: 'size', descending: true });
    expect(header().getAttribute('aria-sort')).toBe('descending');
    expect(within(bodyRows()[0]!).getByText('5.00 KiB')).toBeTruthy();
  });

  it('clicking a row, or its Download button, starts that download once', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(3) });
    fireEvent.click(rowFor('file-000000.bin'));
    await flush();
    expect(host.callsTo('downloads:start')).toEqual([{ hash: hashOf(1), name: 'folder/file-000000.bin', size: 1024 }]);
    // The row now shows the download's state instead of the button.
    expect(within(rowFor('file-000000.bin')).getByText('Queued')).toBeTruthy();

    fireEvent.click(within(rowFor('file-000001.bin')).getByRole('button', { name: 'Download' }));
    await flush();
    expect(host.callsTo('downloads:start').map((a) => a.name)).toEqual(['folder/file-000000.bin', 'folder/file-000001.bin']);
  });

  it('shows "In library" for local rows, "Downloaded" when it came from here, and the state of running downloads', async () => {
    await renderWithHost(<NetworkView />, {
      listing: listingRows(3, (i) => ({ local: i < 2 })),
      downloads: [downloadRow({ hash: hashOf(2), state: 'done' }), downloadRow({ hash: hashOf(3), state: 'downloading', bytesDone: 50, size: 100 })],
    });
    expect(within(rowFor('file-000000.bin')).getByText('In library')).toBeTruthy();
    expect(within(rowFor('file-000001.bin')).getByText('Downloaded')).toBeTruthy();
    expect(within(rowFor('file-000002.bin')).getByText('Downloading 50%')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Download' })).toBeNull();
  });

  it('shows why a download could not start', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(1) });
    host.fail('downloads:start', 'io_error', 'no download folder: share a folder or set one');
    fireEvent.click(screen.getByRole('button', { name: 'Download' }));
    await flush();
    expect(screen.getByRole('alert').textContent).toContain('No download folder: share a folder or set one.');
  });

  it('arrow keys move between rows and Enter downloads the focused one', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(10) });
    const first = bodyRows()[0]!;
    expect(first.tabIndex).toBe(0);
    expect(bodyRows()[1]!.tabIndex).toBe(-1);
    act(() => first.focus());
    fireEvent.keyDown(first, { key: 'ArrowDown' });
    fireEvent.keyDown(document.activeElement!, { key: 'ArrowDown' });
    await flush();
    expect(document.activeElement?.getAttribute('aria-rowindex')).toBe('4');
    fireEvent.keyDown(document.activeElement!, { key: 'End' });
    await flush();
    expect(document.activeElement?.getAttribute('aria-rowindex')).toBe('11');
    fireEvent.keyDown(document.activeElement!, { key: 'Enter' });
    await flush();
    expect(host.callsTo('downloads:start').map((a) => a.name)).toEqual(['folder/file-000009.bin']);
  });

  it('keeps 100,000 rows virtual: a window in the DOM, pages fetched as it scrolls', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(100_000) });
    expect(screen.getByText('100,000 files on the network')).toBeTruthy();
    expect(screen.getByRole('grid').getAttribute('aria-rowcount')).toBe('100001');
    expect(bodyRows().length).toBeLessThan(60);
    expect(host.callsTo('network:list').map((a) => a.offset)).toEqual([0]);
    const body = document.querySelector<HTMLElement>('.grid-body')!;
    Object.defineProperty(body, 'scrollTop', { configurable: true, writable: true, value: 40 * 70_000 });
    fireEvent.scroll(body);
    await flush();
    expect(host.callsTo('network:list').map((a) => a.offset)).toEqual([0, 69_800, 70_000]);
    expect(bodyRows().length).toBeLessThan(60);
    expect(screen.getByText('file-070000.bin')).toBeTruthy();
  });

  it('network:changed refetches what is on screen', async () => {
    const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(2) });
    host.listing.push(...listingRows(3).slice(2));
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    act(() => host.emit('network:changed', { at: Date.now() }));
    await act(async () => {
      await vi.advanceTimersByTimeAsync(300);
    });
    await flush();
    expect(screen.getByText('3 files on the network')).toBeTruthy();
    expect(bodyRows()).toHaveLength(3);
  });

  it('explains an empty network', async () => {
    await renderWithHost(<NetworkView />);
    expect(screen.getByRole('heading', { name: 'Nothing is shared on the network yet' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Share a folder' })).toBeTruthy();
  });

  it('offers to join a network with an invite when the network is empty', async () => {
    const { host } = await renderWithHost(<NetworkView />);
    const offer = screen.getByRole('button', { name: 'Join a network' });
    expect(offer.getAttribute('aria-expanded')).toBe('false');
    fireEvent.click(offer);
    const field = screen.getByRole('textbox', { name: 'Invite' });
    expect(document.activeElement).toBe(field);
    const invite = `p2p://192.168.1.20:6969#${'k'.repeat(43)}`;
    fireEvent.change(field, { target: { value: invite } });
    fireEvent.click(screen.getByRole('button', { name: 'Join' }));
    await flush();
    expect(host.callsTo('network:join')).toEqual([{ invite }]);
    expect(screen.queryByRole('textbox', { name: 'Invite' })).toBeNull();
  });

  it('explains an empty search and clears it', async () => {
    await renderWithHost(<NetworkView />, { listing: listingRows(3) });
    fireEvent.change(screen.getByRole('textbox', { name: 'Search files' }), { target: { value: 'holiday' } });
    await act(() => new Promise((r) => setTimeout(r, 200)));
    await flush();
    expect(screen.getByRole('heading', { name: 'No files match “holiday”' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'Show all files' }));
    await act(() => new Promise((r) => setTimeout(r, 200)));
    await flush();
    expect((screen.getByRole('textbox', { name: 'Search files' }) as HTMLInputElement).value).toBe('');
    expect(bodyRows()).toHaveLength(3);
  });

  it('shows a tracker error with a working Retry', async () => {
    const { host } = await renderWithHost(<div />, { listing: listingRows(4) });
    host.fail('network:list', 'tracker_unreachable', 'no tracker is reachable (192.168.1.20:6969)');
    render(<NetworkView />);
    await flush();
    expect(screen.getByRole('heading', { name: 'Can’t reach a tracker' })).toBeTruthy();
    expect(screen.getByText('No tracker is reachable (192.168.1.20:6969)')).toBeTruthy();
    host.succeed('network:list');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await flush();
    expect(screen.getByText('4 files on the network')).toBeTruthy();
  });

  describe('when no tracker answers', () => {
    const NOW = Date.UTC(2025, 0, 15, 12, 0, 0);
    const banner = 'No tracker is answering. Showing the listing saved 5 min ago — downloads can still start from it.';

    it('says the listing is the saved one, as information (not an alert), and the table stays usable', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      vi.setSystemTime(NOW);
      const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(3), stale: { savedAt: NOW - 5 * 60_000 } });
      expect(screen.getByRole('status').textContent).toBe(banner);
      expect(screen.queryByRole('alert')).toBeNull();
      expect(screen.getByText('3 files on the network')).toBeTruthy();
      expect(bodyRows()).toHaveLength(3);

      fireEvent.click(within(rowFor('file-000001.bin')).getByRole('button', { name: 'Download' }));
      await flush();
      expect(host.callsTo('downloads:start').map((a) => a.name)).toEqual(['folder/file-000001.bin']);
      expect(screen.getByRole('status').textContent).toBe(banner);
    });

    it('the age moves on every minute', async () => {
      vi.useFakeTimers({ toFake: ['Date', 'setInterval', 'clearInterval'] });
      vi.setSystemTime(NOW);
      await renderWithHost(<NetworkView />, { listing: listingRows(2), stale: { savedAt: NOW - 5 * 60_000 } });
      expect(screen.getByRole('status').textContent).toContain('saved 5 min ago');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(60_000);
      });
      expect(screen.getByRole('status').textContent).toContain('saved 6 min ago');
      await act(async () => {
        await vi.advanceTimersByTimeAsync(55 * 60_000);
      });
      expect(screen.getByRole('status').textContent).toContain('saved 1 h ago');
    });

    it('goes away once a tracker answers again', async () => {
      const { host } = await renderWithHost(<NetworkView />, { listing: listingRows(2), stale: { savedAt: Date.now() - 30_000 } });
      expect(screen.getByRole('status').textContent).toContain('saved just now');
      host.stale = undefined;
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
      act(() => host.emit('network:changed', { at: Date.now() }));
      await act(async () => {
        await vi.advanceTimersByTimeAsync(300);
      });
      await flush();
      expect(screen.getByRole('status').textContent).toBe('');
      expect(bodyRows()).toHaveLength(2);
    });

    it('shows nothing for a listing that came from a tracker', async () => {
      await renderWithHost(<NetworkView />, { listing: listingRows(2) });
      expect(screen.getByRole('status').textContent).toBe('');
    });
  });
});

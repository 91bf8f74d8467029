// @vitest-environment jsdom
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ListingRow } from '../../../shared/ipc/contract';
import { listingRows } from '../test-support/fake-host';
import { connect, flush, teardown } from '../test-support/setup';
import { PAGE_SIZE, missingRequests, rowAt, useNetworkStore, type Pages } from './network-store';

afterEach(() => {
  teardown();
  vi.useRealTimers();
});

const rows = (from: number, n: number): ListingRow[] => listingRows(from + n).slice(from);

describe('page arithmetic', () => {
  it('finds rows in grid pages and in continuation pages after a short answer', () => {
    // The host answered offset 0 with 150 rows (byte budget), then 150..199 as a continuation.
    const pages: Pages = { 0: rows(0, 150), 150: rows(150, 50), 200: rows(200, 200) };
    expect(rowAt(pages, 149)?.name).toBe(rows(149, 1)[0]!.name);
    expect(rowAt(pages, 150)?.name).toBe(rows(150, 1)[0]!.name);
    expect(rowAt(pages, 399)?.name).toBe(rows(399, 1)[0]!.name);
    expect(rowAt(pages, 400)).toBeUndefined();
  });

  it('asks only for what is missing, continuing short pages within their grid cell', () => {
    expect(missingRequests({}, 0, 30, null)).toEqual([{ offset: 0, limit: PAGE_SIZE }]);
    expect(missingRequests({ 0: rows(0, 150) }, 0, 30, 1000)).toEqual([{ offset: 150, limit: 50 }]);
    expect(missingRequests({ 0: rows(0, 200) }, 180, 230, 1000)).toEqual([{ offset: 200, limit: 200 }]);
    expect(missingRequests({ 0: rows(0, 200) }, 0, 30, 1000)).toEqual([]);
    // Nothing past the end.
    expect(missingRequests({}, 990, 1100, 1000)).toEqual([{ offset: 800, limit: 200 }]);
  });
});

describe('useNetworkStore', () => {
  it('loads the first page, then pages as the viewport asks for them', async () => {
    const host = await connect({ listing: listingRows(1000) });
    useNetworkStore.getState().ensureRange(0, 30);
    await flush();
    expect(useNetworkStore.getState().total).toBe(1000);
    expect(host.callsTo('network:list')).toEqual([{ query: '', offset: 0, limit: 200, sort: 'name', descending: false }]);

    useNetworkStore.getState().ensureRange(590, 630);
    await flush();
    expect(host.callsTo('network:list').map((a) => a.offset)).toEqual([0, 400, 600]);
    expect(rowAt(useNetworkStore.getState().pages, 620)?.name).toBe('folder/file-000620.bin');
  });

  it('a new query or sort starts over and drops answers for the old one', async () => {
    const host = await connect({ listing: listingRows(500) });
    let release!: () => void;
    const slow = host.handlers['network:list'];
    host.handlers['network:list'] = async (args) => {
      if (args.query === '') await new Promise<void>((r) => (release = r));
      return slow(args);
    };
    useNetworkStore.getState().ensureRange(0, 30);
    await flush();
    useNetworkStore.getState().setQuery('file-00012');
    await flush();
    expect(useNetworkStore.getState().total).toBe(10);
    release();
    await flush();
    expect(useNetworkStore.getState().total).toBe(10);
    expect(useNetworkStore.getState().pages[0]).toHaveLength(10);

    useNetworkStore.getState().setSort('size');
    useNetworkStore.getState().setSort('size');
    await flush();
    const last = host.callsTo('network:list').at(-1)!;
    expect(last).toMatchObject({ query: 'file-00012', sort: 'size', descending: true });
    expect(useNetworkStore.getState().pages[0]![0]!.name).toBe('folder/file-000129.bin');
  });

  it('network:changed refetches the pages on screen once per burst, and forgets the others', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const host = await connect({ listing: listingRows(1000) });
    const store = useNetworkStore.getState();
    store.ensureRange(0, 30);
    await flush();
    store.ensureRange(400, 430);
    await flush();
    expect(Object.keys(useNetworkStore.getState().pages)).toEqual(['0', '400']);
    host.listing[400] = { ...host.listing[400]!, peers: 99 };
    const before = host.callsTo('network:list').length;
    host.emit('network:changed', { at: 1 });
    host.emit('network:changed', { at: 2 });
    host.emit('network:changed', { at: 3 });
    await vi.advanceTimersByTimeAsync(300);
    await flush();
    const refetched = host.callsTo('network:list').slice(before);
    expect(refetched.map((a) => a.offset)).toEqual([400]);
    expect(Object.keys(useNetworkStore.getState().pages)).toEqual(['400']);
    expect(rowAt(useNetworkStore.getState().pages, 400)?.peers).toBe(99);
    expect(useNetworkStore.getState().refreshing).toBe(false);
  });

  it('keeps the error for the view and retries on demand', async () => {
    const host = await connect({ listing: listingRows(10) });
    host.fail('network:list', 'tracker_unreachable', 'no tracker is reachable (192.168.1.20:6969)');
    useNetworkStore.getState().ensureRange(0, 30);
    await flush();
    expect(useNetworkStore.getState().error).toEqual({ code: 'tracker_unreachable', message: 'no tracker is reachable (192.168.1.20:6969)' });
    host.succeed('network:list');
    useNetworkStore.getState().retry();
    await flush();
    expect(useNetworkStore.getState().error).toBeNull();
    expect(useNetworkStore.getState().total).toBe(10);
  });

  it('keeps `stale` from the last page: set from a saved listing, cleared by a tracker’s answer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const host = await connect({ listing: listingRows(10), stale: { savedAt: 1_700_000_000_000 } });
    expect(useNetworkStore.getState().stale).toBeNull();
    useNetworkStore.getState().ensureRange(0, 30);
    await flush();
    expect(useNetworkStore.getState().stale).toEqual({ savedAt: 1_700_000_000_000 });
    expect(useNetworkStore.getState().total).toBe(10);

    // A new query keeps it until its own answer arrives.
    useNetworkStore.getState().setQuery('file-000001');
    expect(useNetworkStore.getState().stale).toEqual({ savedAt: 1_700_000_000_000 });
    await flush();
    expect(useNetworkStore.getState().stale).toEqual({ savedAt: 1_700_000_000_000 });

    host.stale = undefined;
    host.emit('network:changed', { at: 1 });
    await vi.advanceTimersByTimeAsync(300);
    await flush();
    expect(useNetworkStore.getState().stale).toBeNull();

    // A failed request does not change what the pages on screen are.
    host.stale = { savedAt: 1_700_000_100_000 };
    host.fail('network:list', 'tracker_unreachable', 'no tracker is reachable');
    useNetworkStore.getState().retry();
    await flush();
    expect(useNetworkStore.getState().stale).toBeNull();
  });
});

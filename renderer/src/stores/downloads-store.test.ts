// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { downloadRow, hashOf } from '../test-support/fake-host';
import { connect, flush, teardown } from '../test-support/setup';
import { useDownloadsStore } from './downloads-store';

afterEach(teardown);

const a = downloadRow({ hash: hashOf(1), name: 'a.bin' });
const b = downloadRow({ hash: hashOf(2), name: 'b.bin', state: 'paused' });

describe('useDownloadsStore', () => {
  it('starts from the snapshot and merges progress batches by hash, keeping order', async () => {
    const host = await connect({ downloads: [a, b] });
    expect(useDownloadsStore.getState().rows.map((r) => r.name)).toEqual(['a.bin', 'b.bin']);
    host.emit('downloads:progress', [{ ...b, state: 'downloading', bytesDone: 7 }]);
    host.emit('downloads:progress', [downloadRow({ hash: hashOf(3), name: 'c.bin', state: 'queued' })]);
    const rows = useDownloadsStore.getState().rows;
    expect(rows.map((r) => r.name)).toEqual(['a.bin', 'b.bin', 'c.bin']);
    expect(rows[1]).toMatchObject({ state: 'downloading', bytesDone: 7 });
    expect(rows[0]).toBe(useDownloadsStore.getState().rows[0]);
  });

  it('a downloads:removed event drops that row at once, without reading the whole list again', async () => {
    const host = await connect({ downloads: [a, b] });
    host.downloads = [b];
    const before = host.callsTo('app:snapshot').length;
    host.emit('downloads:removed', { hash: a.hash });
    host.emit('downloads:removed', { hash: hashOf(9) }); // a row this window never had: nothing changes
    await flush();
    expect(useDownloadsStore.getState().rows.map((r) => r.name)).toEqual(['b.bin']);
    expect(host.callsTo('app:snapshot').length - before).toBe(0);
  });

  it('start adds the returned row; a refusal is kept for the network view', async () => {
    const host = await connect();
    expect(await useDownloadsStore.getState().start({ hash: hashOf(5), name: 'x.iso', size: 10 })).toBe(true);
    expect(useDownloadsStore.getState().rows.map((r) => r.name)).toEqual(['x.iso']);
    host.fail('downloads:start', 'destination_exists', 'You already have y.iso.');
    expect(await useDownloadsStore.getState().start({ hash: hashOf(6), name: 'y.iso', size: 10 })).toBe(false);
    expect(useDownloadsStore.getState().startError).toEqual({ hash: hashOf(6), name: 'y.iso', message: 'You already have y.iso.' });
  });

  it('cancel drops the row at once; a failed action leaves an error on its row', async () => {
    const host = await connect({ downloads: [a, b] });
    await useDownloadsStore.getState().cancel(a.hash, false);
    expect(host.callsTo('downloads:cancel')).toEqual([{ hash: a.hash, deleteData: false }]);
    expect(useDownloadsStore.getState().rows.map((r) => r.name)).toEqual(['b.bin']);
    host.fail('downloads:resume', 'io_error', 'Disk is full.');
    expect(await useDownloadsStore.getState().act('resume', b.hash)).toBe(false);
    expect(useDownloadsStore.getState().errors[b.hash]).toBe('Disk is full.');
    expect(useDownloadsStore.getState().busy).toEqual({});
  });

  it('never lists cancelled rows', async () => {
    const host = await connect({ downloads: [a] });
    host.emit('downloads:progress', [{ ...a, state: 'cancelled' }]);
    expect(useDownloadsStore.getState().rows).toEqual([]);
  });
});

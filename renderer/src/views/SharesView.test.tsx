// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { flush, renderWithHost, teardown } from '../test-support/setup';
import { SharesView } from './SharesView';

afterEach(teardown);

describe('SharesView', () => {
  it('lists folders with file count, size and hashing progress', async () => {
    await renderWithHost(<SharesView />, {
      folders: [
        { path: '/srv/music', files: 1200, bytes: 5 * 1024 ** 3, hashingQueued: 0, ready: true },
        { path: '/srv/video', files: 40, bytes: 1024, hashingQueued: 7, ready: true },
      ],
    });
    const music = screen.getByRole('listitem', { name: '/srv/music' });
    expect(music.textContent).toContain('1,200 files');
    expect(music.textContent).toContain('5.00 GiB');
    expect(within(screen.getByRole('listitem', { name: '/srv/video' })).getByRole('status').textContent).toContain('Hashing 7 files…');
  });

  it('browser mode: a typed path, with the host’s refusal shown under the field', async () => {
    const { host } = await renderWithHost(<SharesView />, { mode: 'browser' });
    expect(screen.queryByRole('button', { name: 'Add folder' })).toBeTruthy();
    const field = screen.getByRole('textbox', { name: 'Folder path' });
    host.fail('shares:add', 'folder_unreadable', 'Cannot read /nope: no such folder.');
    fireEvent.change(field, { target: { value: '/nope' } });
    fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await flush();
    expect(host.callsTo('shares:add')).toEqual([{ path: '/nope' }]);
    expect(screen.getByRole('alert').textContent).toBe('Cannot read /nope: no such folder.');
    expect(field.getAttribute('aria-invalid')).toBe('true');

    host.succeed('shares:add');
    fireEvent.change(field, { target: { value: '/srv/books' } });
    expect(screen.queryByRole('alert')).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await flush();
    expect(screen.getByRole('listitem', { name: '/srv/books' })).toBeTruthy();
    expect((field as HTMLInputElement).value).toBe('');
  });

  it('desktop mode: Add folder opens the picker, then shares the pick', async () => {
    const { host } = await renderWithHost(<SharesView />, { mode: 'desktop' });
    expect(screen.queryByRole('textbox', { name: 'Folder path' })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await flush();
    expect(host.callsTo('shares:pick')).toHaveLength(1);
    expect(host.callsTo('shares:add')).toEqual([{ path: '/home/me/Picked' }]);
    expect(screen.getByRole('listitem', { name: '/home/me/Picked' })).toBeTruthy();
  });

  it('a cancelled picker adds nothing', async () => {
    const { host } = await renderWithHost(<SharesView />, { mode: 'desktop' });
    host.handlers['shares:pick'] = () => null;
    fireEvent.click(screen.getByRole('button', { name: 'Add folder' }));
    await flush();
    expect(host.callsTo('shares:add')).toEqual([]);
  });

  it('Remove asks first, then stops sharing', async () => {
    const { host } = await renderWithHost(<SharesView />, { folders: [{ path: '/srv/music', files: 1, bytes: 1, hashingQueued: 0, ready: true }] });
    const item = screen.getByRole('listitem', { name: '/srv/music' });
    fireEvent.click(within(item).getByRole('button', { name: 'Remove' }));
    expect(host.callsTo('shares:remove')).toEqual([]);
    const confirm = within(item).getByRole('group', { name: 'Stop sharing /srv/music?' });
    fireEvent.click(within(confirm).getByRole('button', { name: 'Keep' }));
    expect(within(item).queryByRole('group')).toBeNull();
    fireEvent.click(within(item).getByRole('button', { name: 'Remove' }));
    fireEvent.click(within(within(item).getByRole('group')).getByRole('button', { name: 'Remove' }));
    await flush();
    expect(host.callsTo('shares:remove')).toEqual([{ path: '/srv/music' }]);
    expect(screen.queryByRole('listitem', { name: '/srv/music' })).toBeNull();
  });

  it('shares:changed events update the list', async () => {
    const { host } = await renderWithHost(<SharesView />);
    act(() => host.emit('shares:changed', [{ path: '/srv/new', files: 2, bytes: 10, hashingQueued: 1, ready: false }]));
    expect(screen.getByRole('listitem', { name: '/srv/new' }).textContent).toContain('Hashing 1 file…');
  });
});

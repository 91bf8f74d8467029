// @vitest-environment jsdom
import { act, fireEvent, render, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { EventChannel, EventPayload, RequestChannel } from '../../shared/ipc/contract';
import type { SocketRequest } from '../../shared/ipc/socket-protocol';
import { App } from './App';
import { setApiForTests } from './api';
import { createSocketApi } from './socket-api';
import { startSync } from './sync';
import { FakeHost, downloadRow, hashOf } from './test-support/fake-host';
import { flush, renderWithHost, resetStores, teardown } from './test-support/setup';

const cleanups: Array<() => void> = [];
afterEach(() => {
  teardown();
  for (const fn of cleanups.splice(0)) fn();
  vi.unstubAllGlobals();
  history.replaceState(null, '', '#/network');
});

const nav = () => screen.getByRole('navigation', { name: 'Main' });

describe('App shell', () => {
  it('has landmarks and a sidebar whose current item is marked', async () => {
    await renderWithHost(<App />);
    expect(screen.getByRole('main')).toBeTruthy();
    expect(screen.getByRole('contentinfo', { name: 'Status' })).toBeTruthy();
    const network = within(nav()).getByRole('button', { name: 'Network' });
    expect(network.getAttribute('aria-current')).toBe('page');
    fireEvent.click(within(nav()).getByRole('button', { name: 'Shared folders' }));
    expect(within(nav()).getByRole('button', { name: 'Shared folders' }).getAttribute('aria-current')).toBe('page');
    expect(network.getAttribute('aria-current')).toBeNull();
    expect(screen.getByRole('heading', { level: 1, name: 'Shared folders' })).toBeTruthy();
    expect(location.hash).toBe('#/shares');
    fireEvent.click(within(nav()).getByRole('button', { name: 'Settings' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
  });

  it('counts active downloads in the sidebar badge', async () => {
    const { host } = await renderWithHost(<App />, {
      downloads: [downloadRow({ hash: hashOf(1) }), downloadRow({ hash: hashOf(2), state: 'queued' }), downloadRow({ hash: hashOf(3), state: 'done' })],
    });
    const downloads = within(nav()).getByRole('button', { name: 'Downloads' });
    expect(downloads.textContent).toContain('2');
    act(() => host.emit('downloads:progress', [downloadRow({ hash: hashOf(1), state: 'done' })]));
    expect(downloads.textContent).toContain('1');
  });

  it('the status bar shows trackers, peers, rates and the port', async () => {
    const { host } = await renderWithHost(<App />);
    const bar = screen.getByRole('contentinfo', { name: 'Status' });
    expect(bar.textContent).toContain('192.168.1.20:6969');
    expect(bar.textContent).toContain('connected');
    expect(bar.textContent).toContain('4 peers online');
    expect(bar.textContent).toContain('5000');
    act(() =>
      host.emit('status:changed', {
        ...host.status,
        trackers: [{ address: '192.168.1.20:6969', connected: false }],
        uploadRate: 1536,
        downloadRate: 3 * 1024 * 1024,
      }),
    );
    // The download total is the sum of the rows' rates (the same figures the Downloads view shows).
    act(() =>
      host.emit('downloads:progress', [
        downloadRow({ hash: hashOf(1), state: 'downloading', downloadRate: 2 * 1024 * 1024 }),
        downloadRow({ hash: hashOf(2), state: 'downloading', downloadRate: 1024 * 1024 }),
      ]),
    );
    expect(bar.textContent).toContain('not connected');
    expect(bar.textContent).toContain('1.50 KiB/s');
    expect(bar.textContent).toContain('3.00 MiB/s');
  });

  it('open mode: a warning across the app with a way to Settings, and the status bar says so', async () => {
    const { host } = await renderWithHost(<App />, { settings: { openMode: true } });
    const banner = () => screen.queryAllByRole('alert').find((el) => el.textContent?.includes('Open mode:'));
    expect(banner()!.textContent).toBe('Open mode: connections are not encrypted and anyone who can reach this machine can list and download your files.Settings');
    expect(screen.getByRole('main').firstElementChild).toBe(banner());
    const bar = screen.getByRole('contentinfo', { name: 'Status' });
    expect(within(bar).getByText('Open mode')).toBeTruthy();
    expect(bar.textContent).not.toContain('Private network');
    fireEvent.click(within(banner()!).getByRole('button', { name: 'Settings' }));
    expect(screen.getByRole('heading', { level: 1, name: 'Settings' })).toBeTruthy();
    const toggle = screen.getByRole('switch', { name: 'Open mode' });
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    await vi.waitFor(() => expect(document.activeElement).toBe(toggle));
    // Already there: the banner stays, its button goes.
    expect(within(banner()!).queryByRole('button')).toBeNull();
    // Private again: the banner goes, the status bar says so.
    act(() => host.emit('status:changed', { ...host.status, secure: true }));
    expect(banner()).toBeUndefined();
    expect(within(bar).getByText('Private network')).toBeTruthy();
  });

  it('a private network: no banner, and a lock in the status bar; the banner comes with status.secure false', async () => {
    const { host } = await renderWithHost(<App />);
    expect(screen.queryByText(/connections are not encrypted/)).toBeNull();
    const bar = screen.getByRole('contentinfo', { name: 'Status' });
    expect(within(bar).getByText('Private network')).toBeTruthy();
    act(() => host.emit('status:changed', { ...host.status, secure: false }));
    expect(screen.getByRole('alert').textContent).toContain('Open mode: connections are not encrypted');
    expect(within(bar).getByText('Open mode')).toBeTruthy();
  });

  it('a finished download shows a toast, and a browser notification when allowed', async () => {
    const shown: Array<{ title: string; body?: string }> = [];
    vi.stubGlobal(
      'Notification',
      Object.assign(
        function Notification(title: string, options?: { body?: string }) {
          shown.push({ title, body: options?.body });
        },
        { permission: 'granted' },
      ),
    );
    const { host } = await renderWithHost(<App />, { mode: 'browser' });
    act(() => host.emit('downloads:finished', { hash: hashOf(1), name: 'movies/clip.mp4', path: '/x/movies/clip.mp4' }));
    const toasts = screen.getByRole('region', { name: 'Messages' });
    expect(toasts.textContent).toContain('Download finished');
    expect(toasts.textContent).toContain('movies/clip.mp4');
    expect(shown).toEqual([{ title: 'Download finished', body: 'movies/clip.mp4' }]);
    act(() => host.emit('app:notice', { level: 'warning', message: 'Could not host the tracker: port 6969 is in use' }));
    expect(toasts.textContent).toContain('Could not host the tracker');
    fireEvent.click(within(toasts).getAllByRole('button', { name: 'Dismiss' })[0]!);
    expect(toasts.textContent).not.toContain('Download finished');
  });

  it('says so when the first snapshot fails, and Retry loads it', async () => {
    resetStores();
    const host = new FakeHost();
    host.fail('app:snapshot', 'internal', 'the engine is not running');
    setApiForTests(host);
    cleanups.push(startSync());
    render(<App />);
    await flush();
    expect(screen.getByRole('heading', { name: 'Couldn’t load the app state' })).toBeTruthy();
    expect(screen.getByText('The engine is not running.')).toBeTruthy();
    host.succeed('app:snapshot');
    fireEvent.click(screen.getByRole('button', { name: 'Retry' }));
    await flush();
    expect(screen.getByRole('heading', { level: 1, name: 'Network' })).toBeTruthy();
  });
});

/** A loopback WebSocket server speaking the socket protocol in front of a FakeHost: browser mode end to end. */
async function socketHost(host: FakeHost) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const sockets = new Set<ServerSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    const forward = <E extends EventChannel>(event: E) => host.on(event, (payload: EventPayload<E>) => ws.send(JSON.stringify({ t: 'evt', event, payload })));
    const offs = (['downloads:progress', 'network:changed', 'status:changed'] as const).map((e) => forward(e));
    ws.on('close', () => {
      sockets.delete(ws);
      offs.forEach((off) => off());
    });
    ws.on('message', async (data) => {
      const req = JSON.parse(String(data)) as SocketRequest;
      const result = await host.invoke(req.channel as RequestChannel, req.args as never);
      ws.send(JSON.stringify({ t: 'res', id: req.id, result }));
    });
  });
  cleanups.push(() => wss.close());
  return { port: (wss.address() as { port: number }).port, sockets };
}

describe('browser mode over a WebSocket', () => {
  it('shows a banner while disconnected and re-reads the snapshot on reconnect', async () => {
    resetStores();
    const host = new FakeHost({ mode: 'browser', downloads: [downloadRow({ name: 'a.bin' })] });
    const { port, sockets } = await socketHost(host);
    const api = createSocketApi({ url: `ws://127.0.0.1:${port}/api`, backoffInitialMs: 1000, backoffMaxMs: 1000 });
    cleanups.push(() => api.close());
    setApiForTests(api);
    cleanups.push(startSync());
    render(<App />);
    await vi.waitFor(() => expect(screen.getByRole('heading', { level: 1, name: 'Network' })).toBeTruthy());
    expect(screen.queryByText(/Disconnected from host/)).toBeNull();

    // The host restarts: the page keeps its state, shows the banner, and reconnects by itself.
    host.downloads.push(downloadRow({ hash: hashOf(77), name: 'b.bin', state: 'queued' }));
    const before = host.callsTo('app:snapshot').length;
    for (const ws of sockets) ws.terminate();
    const banner = () => screen.getAllByRole('alert').find((el) => el.textContent?.includes('Disconnected from host.'));
    await vi.waitFor(() => expect(banner()).toBeTruthy(), { interval: 10, timeout: 5000 });
    expect(within(banner()!).getByRole('button', { name: 'Reconnect now' })).toBeTruthy();
    await vi.waitFor(() => expect(screen.queryByText(/Disconnected from host/)).toBeNull(), { timeout: 5000 });
    await vi.waitFor(() => expect(host.callsTo('app:snapshot').length).toBe(before + 1), { timeout: 5000 });
    fireEvent.click(within(nav()).getByRole('button', { name: 'Downloads' }));
    await vi.waitFor(() => expect(screen.getByRole('listitem', { name: 'b.bin' })).toBeTruthy());
  }, 20_000);
});

// @vitest-environment jsdom
import { act, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { FAKE_DHT_NODES, downloadRow, hashOf } from '../test-support/fake-host';
import { renderWithHost, teardown } from '../test-support/setup';
import { StatusBar } from './StatusBar';

afterEach(teardown);

const bar = () => screen.getByRole('contentinfo', { name: 'Status' });

describe('StatusBar', () => {
  it('shows the DHT node count while the DHT is on, and nothing about it when off', async () => {
    const { host } = await renderWithHost(<StatusBar />);
    expect(FAKE_DHT_NODES).toBe(120);
    expect(within(bar()).getByText('DHT: 120 nodes')).toBeTruthy();
    act(() => host.emit('status:changed', { ...host.status, dhtNodes: 1 }));
    expect(within(bar()).getByText('DHT: 1 node')).toBeTruthy();
    act(() => host.emit('status:changed', { ...host.status, dhtNodes: 0 }));
    expect(within(bar()).getByText('DHT: 0 nodes')).toBeTruthy();
    act(() => host.emit('status:changed', { ...host.status, dhtNodes: null }));
    expect(bar().textContent).not.toContain('DHT');
  });

  it('says nothing about the DHT when it starts off', async () => {
    await renderWithHost(<StatusBar />, { settings: { dht: false } });
    expect(bar().textContent).not.toContain('DHT');
    expect(bar().textContent).toContain('4 peers online');
  });

  it('with several trackers, each one has a dot, its address and its own state', async () => {
    const trackers = [
      { address: 'a.lan:6969', connected: true },
      { address: 'b.lan:7000', connected: false },
      { address: '10.0.0.9:6969', connected: true },
    ];
    const { host } = await renderWithHost(<StatusBar />, { settings: { trackers: trackers.map((t) => t.address) }, status: { trackers } });
    const items = within(screen.getByRole('list', { name: 'Trackers' })).getAllByRole('listitem');
    expect(items.map((li) => li.textContent)).toEqual(['a.lan:6969connected', 'b.lan:7000not connected', '10.0.0.9:6969connected']);
    expect(items.map((li) => li.getAttribute('title'))).toEqual(['a.lan:6969: connected', 'b.lan:7000: not connected', '10.0.0.9:6969: connected']);
    expect(items.map((li) => li.querySelector('.dot')!.classList.contains('dot-on'))).toEqual([true, false, true]);
    // The state words are for screen readers; the dot says it to the eye.
    expect(within(items[1]!).getByText('not connected').className).toBe('sr-only');

    act(() => host.emit('status:changed', { ...host.status, trackers: trackers.map((t) => ({ ...t, connected: !t.connected })) }));
    const after = within(screen.getByRole('list', { name: 'Trackers' })).getAllByRole('listitem');
    expect(after.map((li) => li.getAttribute('title'))).toEqual(['a.lan:6969: not connected', 'b.lan:7000: connected', '10.0.0.9:6969: not connected']);
  });

  it('the download total is the sum of the rows, and a paused row leaves it at once', async () => {
    const MiB = 1024 * 1024;
    const a = downloadRow({ hash: hashOf(1), name: 'a.bin', state: 'downloading', downloadRate: 2.5 * MiB });
    const b = downloadRow({ hash: hashOf(2), name: 'b.bin', state: 'downloading', downloadRate: 1.5 * MiB });
    // The host's own figure lags (sampled once a second, another window): the bar must not show it.
    const { host } = await renderWithHost(<StatusBar />, { downloads: [a, b], status: { downloadRate: 3.2 * MiB } });
    const rate = () => within(bar()).getByTitle('Download rate').textContent;
    expect(rate()).toBe('Download4.00 MiB/s');
    act(() => host.emit('downloads:progress', [{ ...a, state: 'paused', downloadRate: 0 }]));
    expect(rate()).toBe('Download1.50 MiB/s');
    act(() => host.emit('downloads:progress', [{ ...b, state: 'paused', downloadRate: 0 }]));
    expect(rate()).toBe('Download0 B/s');
  });
});

// @vitest-environment jsdom
import { act, fireEvent, within } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import { SettingsView } from '../SettingsView';
import { flush, renderWithHost, teardown } from '../../test-support/setup';

afterEach(() => teardown());

const alice = { id: 'a1'.repeat(16), name: 'alice', role: 'member' as const, joinedAt: '2026-12-01T10:00:00.000Z', online: true, self: false };
const bob = { id: 'b2'.repeat(16), name: 'bob', role: 'member' as const, joinedAt: '2026-12-02T10:00:00.000Z', online: false, self: false };

describe('Settings → Members', () => {
  const panel = () => document.querySelector<HTMLElement>('[aria-label="Members"]');

  it('shows only while this app hosts a private network\'s tracker', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    expect(panel()).toBeNull();
    act(() => host.pushStatus({ hostedTracker: { running: true, port: 6969, addresses: ['192.168.1.5:6969'], peers: 0 } }));
    await flush();
    expect(panel()).not.toBeNull();
    expect(panel()!.textContent).toContain('Anyone with the network key is a member');
  });

  it('creates a member invite with the chosen expiry and uses, lists members, and removes one after asking', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    act(() => host.pushStatus({ hostedTracker: { running: true, port: 6969, addresses: ['192.168.1.5:6969'], peers: 0 } }));
    await flush();
    fireEvent.change(within(panel()!).getByLabelText('Valid for'), { target: { value: String(24 * 7) } });
    fireEvent.change(within(panel()!).getByLabelText('Uses'), { target: { value: '3' } });
    fireEvent.click(within(panel()!).getByRole('button', { name: 'Create member invite' }));
    await flush();
    expect(host.callsTo('members:invite').at(-1)).toEqual({ expiresHours: 168, uses: 3 });
    expect(within(panel()!).getByRole('img', { name: 'Member invite QR code' })).toBeTruthy();
    expect(panel()!.textContent).toContain('For 3 people');

    host.members = [alice, bob];
    fireEvent.click(within(panel()!).getByRole('button', { name: 'Create member invite' }));
    await flush();
    const list = within(panel()!).getByRole('list', { name: 'Members of this network' });
    expect(within(list).getAllByRole('listitem').map((li) => li.querySelector('.member-name')!.textContent)).toEqual(['alice', 'bob']);
    expect(list.textContent).toContain('online');
    fireEvent.click(within(list).getByRole('button', { name: 'Remove bob' }));
    await flush();
    const dialog = document.querySelector<HTMLElement>('[role="dialog"]')!;
    expect(dialog.textContent).toContain('Remove bob?');
    fireEvent.click(within(dialog).getByRole('button', { name: 'Remove from the network' }));
    await flush();
    expect(host.callsTo('members:revoke').at(-1)).toEqual({ id: bob.id });
    expect(within(panel()!).getByRole('list', { name: 'Members of this network' }).textContent).not.toContain('bob');
  });

  it('a bad number of uses disables the button', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    act(() => host.pushStatus({ hostedTracker: { running: true, port: 6969, addresses: ['192.168.1.5:6969'], peers: 0 } }));
    await flush();
    fireEvent.change(within(panel()!).getByLabelText('Uses'), { target: { value: '0' } });
    expect(within(panel()!).getByRole('button', { name: 'Create member invite' }).hasAttribute('disabled')).toBe(true);
  });
});

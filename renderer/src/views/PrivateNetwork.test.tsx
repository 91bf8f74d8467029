// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { inviteLink } from '../../../shared/ipc/invite';
import { FAKE_KEY, fakeInvite } from '../test-support/fake-host';
import { flush, renderWithHost, teardown } from '../test-support/setup';
import { SettingsView } from './SettingsView';

const cleanups: Array<() => void> = [];
afterEach(() => {
  teardown();
  for (const fn of cleanups.splice(0)) fn();
  vi.unstubAllGlobals();
});

const OTHER_KEY = 'Zz9_Zz9-Zz9_Zz9-Zz9_Zz9-Zz9_Zz9-Zz9_Zz9-Zz9';
const OTHER_LINK = inviteLink({ tracker: '10.1.2.3:7000', key: OTHER_KEY });
const RISK = 'Anyone who can reach this machine will be able to list and download your shared files.';

const network = () => screen.getByRole('region', { name: 'Network' });
const inviteRegion = () => screen.getByRole('region', { name: 'Invite' });
const inviteBox = () => screen.getByRole('textbox', { name: 'Invite' }) as HTMLInputElement;
const trackers = () => screen.getByRole('textbox', { name: 'Trackers' }) as HTMLTextAreaElement;
const openModeSwitch = () => screen.getByRole('switch', { name: 'Open mode' });

function join(text: string) {
  fireEvent.change(inviteBox(), { target: { value: text } });
  fireEvent.click(within(network()).getByRole('button', { name: 'Join' }));
}

describe('Join network', () => {
  it('joins with a pasted link: the trackers field shows the new tracker and it says "Joined"', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    // An unsaved edit of the trackers would otherwise hide the ones the join set.
    fireEvent.change(trackers(), { target: { value: 'draft.lan:1' } });
    join(`  ${OTHER_LINK}\n`);
    await flush();
    expect(host.callsTo('network:join')).toEqual([{ invite: OTHER_LINK }]);
    expect(trackers().value).toBe('10.1.2.3:7000');
    expect(within(network()).getByText('Joined')).toBeTruthy();
    // The key is not left on screen.
    expect(inviteBox().value).toBe('');
    expect(inviteBox().getAttribute('aria-invalid')).toBeNull();
  });

  it('accepts "HOST:PORT KEY" as well', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    join(`10.1.2.3:7000 ${OTHER_KEY}`);
    await flush();
    expect(host.callsTo('network:join')).toEqual([{ invite: `10.1.2.3:7000 ${OTHER_KEY}` }]);
    expect(trackers().value).toBe('10.1.2.3:7000');
  });

  it('a malformed invite gets an inline error and never reaches the host', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    join('p2p://10.1.2.3:7000#short');
    await flush();
    expect(host.callsTo('network:join')).toEqual([]);
    expect(inviteBox().getAttribute('aria-invalid')).toBe('true');
    const errorId = inviteBox().getAttribute('aria-describedby')!.split(' ').find((id) => id.endsWith('-error'))!;
    expect(document.getElementById(errorId)!.textContent).toBe('The key in this invite is not a valid network key (43 letters, digits, "-" or "_").');
    expect(within(network()).getByRole('alert').textContent).toContain('not a valid network key');
    // Editing clears it.
    fireEvent.change(inviteBox(), { target: { value: 'p2p://10.1.2.3:7000#' } });
    expect(inviteBox().getAttribute('aria-invalid')).toBeNull();
    join('');
    await flush();
    expect(within(network()).getByRole('alert').textContent).toContain('Paste an invite link');
    expect(host.callsTo('network:join')).toEqual([]);
  });

  it('the host’s refusal shows under the field and keeps the text to fix', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    host.fail('network:join', 'io_error', 'Cannot save the network key: disk full.');
    join(OTHER_LINK);
    await flush();
    expect(host.callsTo('network:join')).toEqual([{ invite: OTHER_LINK }]);
    expect(within(network()).getByRole('alert').textContent).toBe('Cannot save the network key: disk full.');
    expect(inviteBox().value).toBe(OTHER_LINK);
    expect(trackers().value).toBe('192.168.1.20:6969');
    expect(within(network()).queryByText('Joined')).toBeNull();
  });
});

describe('Invite panel', () => {
  it('shows tracker, a copyable link and the QR code, with the key hidden until "Show key"', async () => {
    const writeText = vi.fn(async () => {});
    vi.stubGlobal('isSecureContext', true);
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    cleanups.push(() => Reflect.deleteProperty(navigator, 'clipboard'));
    const { host } = await renderWithHost(<SettingsView />);
    expect(host.callsTo('network:invite').length).toBeGreaterThan(0);
    const expected = fakeInvite('192.168.1.20:6969');
    const panel = inviteRegion();
    expect(within(panel).getByText('192.168.1.20:6969')).toBeTruthy();
    // Nowhere on screen: not as text, not in the link chip.
    expect(panel.textContent).not.toContain(FAKE_KEY);
    expect(within(panel).getByText('hidden')).toBeTruthy();

    const qr = within(panel).getByRole('img', { name: 'Invite QR code' }) as HTMLImageElement;
    expect(qr.getAttribute('src')).toBe(`data:image/svg+xml;utf8,${encodeURIComponent(expected.qrSvg)}`);

    const chip = within(panel).getByRole('button', { name: 'Copy invite link' });
    expect(chip.textContent).toContain('p2p://192.168.1.20:6969#');
    fireEvent.click(chip);
    await flush();
    expect(writeText).toHaveBeenCalledWith(expected.link);

    fireEvent.click(within(panel).getByRole('button', { name: 'Show key' }));
    expect(within(panel).getByText(FAKE_KEY)).toBeTruthy();
    expect(chip.textContent).toContain(expected.link);
    fireEvent.click(within(panel).getByRole('button', { name: 'Hide key' }));
    expect(panel.textContent).not.toContain(FAKE_KEY);
    expect(within(panel).getByRole('button', { name: 'Show key' })).toBeTruthy();
  });

  it('follows hosting: turning the tracker on gives an invite that names every address of this machine', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    const before = host.callsTo('network:invite').length;
    fireEvent.click(screen.getByRole('switch', { name: 'Host tracker' }));
    await flush();
    expect(host.callsTo('network:invite').length).toBeGreaterThan(before);
    // Each address the tracker may be reached at: the joiner tries them all at once.
    expect(within(inviteRegion()).getByText('Tracker addresses')).toBeTruthy();
    expect(within(inviteRegion()).getByText('192.168.1.5:6969, 10.0.0.7:6969')).toBeTruthy();
    expect(within(inviteRegion()).getByRole('button', { name: 'Copy invite link' })).toBeTruthy();
    // A changed tracker port reaches the panel through settings:changed.
    host.handlers['network:invite'] = () => fakeInvite('192.168.1.5:7070');
    act(() => host.emit('settings:changed', { ...host.settings, hostTrackerPort: 7070 }));
    await flush();
    expect(within(inviteRegion()).getByText('192.168.1.5:7070')).toBeTruthy();
  });

  it('says why there is no invite when the host cannot make one', async () => {
    const { host } = await renderWithHost(<SettingsView />, { settings: { trackers: [] } });
    expect(screen.queryByRole('region', { name: 'Invite' })).toBeNull();
    host.fail('network:invite', 'tracker_unreachable', 'Host a tracker or set one in Settings first: an invite names the tracker to join.');
    fireEvent.click(screen.getByRole('switch', { name: 'Host tracker' }));
    await flush();
    expect(within(inviteRegion()).getByRole('alert').textContent).toContain('Host a tracker or set one in Settings first');
    expect(within(inviteRegion()).queryByRole('img')).toBeNull();
  });

  it('is not there in open mode', async () => {
    const { host } = await renderWithHost(<SettingsView />, { settings: { openMode: true } });
    expect(screen.queryByRole('region', { name: 'Invite' })).toBeNull();
    expect(host.callsTo('network:invite')).toEqual([]);
  });
});

describe('Open mode', () => {
  it('asks before turning on; "Keep private" changes nothing', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    expect(openModeSwitch().getAttribute('aria-checked')).toBe('false');
    expect(openModeSwitch().getAttribute('aria-describedby')).toBeTruthy();
    fireEvent.click(openModeSwitch());
    expect(screen.getByText(RISK)).toBeTruthy();
    expect(document.activeElement).toBe(screen.getByRole('button', { name: 'Keep private' }));
    fireEvent.click(screen.getByRole('button', { name: 'Keep private' }));
    await flush();
    expect(screen.queryByText(RISK)).toBeNull();
    expect(document.activeElement).toBe(openModeSwitch());
    expect(host.callsTo('settings:update')).toEqual([]);
    expect(openModeSwitch().getAttribute('aria-checked')).toBe('false');
    // Escape is "Keep private" too.
    fireEvent.click(openModeSwitch());
    fireEvent.keyDown(screen.getByRole('button', { name: 'Turn on open mode' }), { key: 'Escape' });
    expect(screen.queryByText(RISK)).toBeNull();
    expect(host.callsTo('settings:update')).toEqual([]);
  });

  it('"Turn on open mode" saves openMode: true; turning it off needs no confirmation', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    expect(screen.getByRole('region', { name: 'Invite' })).toBeTruthy();
    fireEvent.click(openModeSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Turn on open mode' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ openMode: true }]);
    expect(openModeSwitch().getAttribute('aria-checked')).toBe('true');
    expect(document.activeElement).toBe(openModeSwitch());
    // The host pushed a status with secure: false: no invite without a key.
    expect(screen.queryByRole('region', { name: 'Invite' })).toBeNull();
    fireEvent.click(openModeSwitch());
    await flush();
    expect(screen.queryByText(RISK)).toBeNull();
    expect(host.callsTo('settings:update')).toEqual([{ openMode: true }, { openMode: false }]);
    expect(openModeSwitch().getAttribute('aria-checked')).toBe('false');
    expect(screen.getByRole('region', { name: 'Invite' })).toBeTruthy();
  });

  it('a refused change shows why and leaves the switch as it was', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    host.fail('settings:update', 'io_error', 'Cannot restart the network: port 5000 is in use.');
    fireEvent.click(openModeSwitch());
    fireEvent.click(screen.getByRole('button', { name: 'Turn on open mode' }));
    await flush();
    expect(openModeSwitch().getAttribute('aria-checked')).toBe('false');
    expect(within(network()).getByRole('alert').textContent).toBe('Cannot restart the network: port 5000 is in use.');
  });
});

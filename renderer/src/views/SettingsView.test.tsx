// @vitest-environment jsdom
import { act, fireEvent, screen, within } from '@testing-library/react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { flush, renderWithHost, teardown } from '../test-support/setup';
import { SettingsView } from './SettingsView';

afterEach(() => {
  teardown();
  vi.unstubAllGlobals();
});

const section = (name: string) => screen.getByRole('region', { name });
const input = (name: string) => screen.getByRole(name === 'Trackers' || name === 'Download folder' ? 'textbox' : 'spinbutton', { name }) as HTMLInputElement;

/** Each tracker row's text, in order. */
const trackerStates = () =>
  within(screen.getByRole('list', { name: 'Tracker connections' }))
    .getAllByRole('listitem')
    .map((li) => li.textContent);

describe('SettingsView', () => {
  it('shows the saved settings under accessible labels', async () => {
    await renderWithHost(<SettingsView />, { settings: { trackers: ['a.lan:6969', 'b.lan:7000'], uploadLimitKiB: 512 } });
    expect(input('Trackers').value).toBe('a.lan:6969\nb.lan:7000');
    expect(input('Listening port').value).toBe('5000');
    expect(input('Download folder').value).toBe('/home/me/Downloads');
    expect(input('Upload limit (KiB/s)').value).toBe('512');
    expect(input('Download limit (KiB/s)').value).toBe('0');
    expect((screen.getByRole('radio', { name: 'System' }) as HTMLInputElement).checked).toBe(true);
    expect(screen.getByRole('switch', { name: 'Host tracker' }).getAttribute('aria-checked')).toBe('false');
  });

  it('saves only the section’s changed fields and says "Saved"', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    fireEvent.change(input('Trackers'), { target: { value: '10.0.0.2:6969, 10.0.0.3:6969\n10.0.0.2:6969' } });
    fireEvent.change(input('Listening port'), { target: { value: '5050' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ trackers: ['10.0.0.2:6969', '10.0.0.3:6969'], listenPort: 5050 }]);
    expect(within(section('Network')).getByText('Saved')).toBeTruthy();
    expect(input('Trackers').value).toBe('10.0.0.2:6969\n10.0.0.3:6969');
  });

  it('a refused update shows the message under the field and puts the saved value back', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    host.fail('settings:update', 'invalid_argument', 'Cannot download into /nope: not a folder.', 'downloadDir');
    fireEvent.change(input('Download folder'), { target: { value: '/nope' } });
    fireEvent.change(input('Upload limit (KiB/s)'), { target: { value: '100' } });
    fireEvent.click(within(section('Transfers')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ downloadDir: '/nope', uploadLimitKiB: 100 }]);
    const folder = input('Download folder');
    expect(folder.value).toBe('/home/me/Downloads');
    expect(folder.getAttribute('aria-invalid')).toBe('true');
    const errorId = folder.getAttribute('aria-describedby')!.split(' ').find((id) => id.endsWith('-error'))!;
    expect(document.getElementById(errorId)!.textContent).toBe('Cannot download into /nope: not a folder.');
    // The other field keeps its edit, still unsaved.
    expect(input('Upload limit (KiB/s)').value).toBe('100');
    expect(within(section('Transfers')).queryByText('Saved')).toBeNull();
  });

  it('checks values before asking the host, and treats a bad one like a refusal', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    fireEvent.change(input('Listening port'), { target: { value: '70000' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([]);
    expect(within(section('Network')).getByRole('alert').textContent).toBe('The listening port must be between 0 and 65535.');
    expect(input('Listening port').value).toBe('5000');
    fireEvent.change(input('Trackers'), { target: { value: 'a.lan:1, x' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([]);
    expect(within(section('Network')).getByRole('alert').textContent).toContain('"x" is not a tracker address; use HOST:PORT');
  });

  it('a tracker address with spaces goes to the host whole, and its refusal reverts the field', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    host.fail('settings:update', 'invalid_argument', '"this is not an address" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.', 'trackers');
    fireEvent.change(input('Trackers'), { target: { value: 'this is not an address' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ trackers: ['this is not an address'] }]);
    expect(within(section('Network')).getByRole('alert').textContent).toContain('HOST:PORT');
    expect(input('Trackers').value).toBe('192.168.1.20:6969');
  });

  it('a refusal goes under the field the host names, whatever its message says', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    const errorUnder = (name: string) => {
      const id = input(name).getAttribute('aria-describedby')?.split(' ').find((i) => i.endsWith('-error'));
      return id ? document.getElementById(id)?.textContent : undefined;
    };
    // Nothing in these messages names a field: only `field` says where they belong.
    host.fail('settings:update', 'port_in_use', 'That one is taken.', 'hostTrackerPort');
    fireEvent.change(input('Listening port'), { target: { value: '5050' } });
    fireEvent.change(input('Tracker port'), { target: { value: '7070' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ listenPort: 5050, hostTrackerPort: 7070 }]);
    expect(errorUnder('Tracker port')).toBe('That one is taken.');
    expect(input('Tracker port').getAttribute('aria-invalid')).toBe('true');
    expect(errorUnder('Listening port')).toBeUndefined();

    host.fail('settings:update', 'io_error', 'Not now.', 'listenPort');
    fireEvent.change(input('Trackers'), { target: { value: '10.0.0.9:6969' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(errorUnder('Listening port')).toBe('Not now.');
    expect(errorUnder('Trackers')).toBeUndefined();
  });

  it('the real host’s refusal of a tracker address comes with its field, and lands there', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    fireEvent.change(input('Trackers'), { target: { value: 'tracker one:6969' } });
    fireEvent.change(input('Listening port'), { target: { value: '5050' } });
    fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ trackers: ['tracker one:6969'], listenPort: 5050 }]);
    expect(input('Trackers').getAttribute('aria-invalid')).toBe('true');
    expect(input('Listening port').getAttribute('aria-invalid')).not.toBe('true');
  });

  it('the Host tracker switch starts the tracker and shows the addresses to hand out', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    const toggle = screen.getByRole('switch', { name: 'Host tracker' });
    fireEvent.click(toggle);
    await flush();
    expect(host.callsTo('tracker:setHosting')).toEqual([{ enabled: true }]);
    expect(toggle.getAttribute('aria-checked')).toBe('true');
    expect(screen.getByRole('button', { name: 'Copy 192.168.1.5:6969' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Copy 10.0.0.7:6969' })).toBeTruthy();
    expect(screen.getByText(/2 peers connected/)).toBeTruthy();
    fireEvent.click(toggle);
    await flush();
    expect(host.callsTo('tracker:setHosting').at(-1)).toEqual({ enabled: false });
    expect(toggle.getAttribute('aria-checked')).toBe('false');
    expect(screen.queryByRole('list', { name: 'Addresses of this tracker' })).toBeNull();
    expect(screen.queryByRole('button', { name: /^Copy \d/ })).toBeNull();
  });

  it('a tracker that cannot start leaves the switch off and says why', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    host.fail('tracker:setHosting', 'port_in_use', 'The tracker cannot listen on port 6969: it is already in use.');
    fireEvent.click(screen.getByRole('switch', { name: 'Host tracker' }));
    await flush();
    expect(screen.getByRole('switch', { name: 'Host tracker' }).getAttribute('aria-checked')).toBe('false');
    expect(screen.getByText('The tracker cannot listen on port 6969: it is already in use.')).toBeTruthy();
  });

  it('hosting saved as on that failed at start shows the switch off, with the reason', async () => {
    const error = 'The tracker cannot listen on port 6969: it is already in use.';
    await renderWithHost(<SettingsView />, {
      settings: { hostTracker: true },
      status: { hostedTracker: { running: false, port: 6969, addresses: [], peers: 0, error } },
    });
    expect(screen.getByRole('switch', { name: 'Host tracker' }).getAttribute('aria-checked')).toBe('false');
    expect(screen.getByText(error).getAttribute('role')).toBe('alert');
  });

  it('hosting on a machine with no reachable address is an error, not a hint', async () => {
    await renderWithHost(<SettingsView />, {
      settings: { hostTracker: true },
      status: { hostedTracker: { running: true, port: 6969, addresses: [], peers: 0 } },
    });
    expect(screen.getByText(/This machine has no address others can reach/).getAttribute('role')).toBe('alert');
  });

  it('theme radios apply and save at once', async () => {
    const { host } = await renderWithHost(<SettingsView />);
    fireEvent.click(screen.getByRole('radio', { name: 'Dark' }));
    expect(document.documentElement.dataset.theme).toBe('dark');
    await flush();
    expect(host.callsTo('settings:update')).toEqual([{ theme: 'dark' }]);
    expect((screen.getByRole('radio', { name: 'Dark' }) as HTMLInputElement).checked).toBe(true);
  });

  it('notifications: browser mode only, permission asked on a click', async () => {
    const requestPermission = vi.fn(async () => 'granted' as const);
    vi.stubGlobal('Notification', Object.assign(function Notification() {}, { permission: 'default', requestPermission }));
    await renderWithHost(<SettingsView />, { mode: 'browser' });
    expect(requestPermission).not.toHaveBeenCalled();
    await act(async () => fireEvent.click(within(section('Notifications')).getByRole('button', { name: 'Allow notifications' })));
    expect(requestPermission).toHaveBeenCalledTimes(1);
    expect(within(section('Notifications')).getByText(/will notify you/)).toBeTruthy();
  });

  it('no notifications section in the desktop app', async () => {
    await renderWithHost(<SettingsView />, { mode: 'desktop' });
    expect(screen.queryByRole('region', { name: 'Notifications' })).toBeNull();
  });

  describe('Network: port mapping (UPnP)', () => {
    const upnp = () => within(section('Network')).getByRole('switch', { name: 'Port mapping (UPnP)' });
    const state = () => within(section('Network')).queryByTestId('port-mapping-state')?.textContent ?? null;

    it('says where the router forwards the port, or that none does', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      expect(upnp().getAttribute('aria-checked')).toBe('true');
      expect(state()).toBe('Reachable from outside at 203.0.113.2:5000: the router forwards it to this machine.');
      act(() => host.pushStatus({ mappedAddress: null }));
      await flush();
      expect(state()).toMatch(/^No router forwards the peer port/);
    });

    it('turning it off calls settings:update { upnp: false } at once and hides the state', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      fireEvent.click(upnp());
      await flush();
      expect(host.callsTo('settings:update')).toEqual([{ upnp: false }]);
      expect(upnp().getAttribute('aria-checked')).toBe('false');
      expect(state()).toBeNull();
      expect(document.activeElement).toBe(upnp());
    });
  });

  describe('Network: reachability, hole punching and relays', () => {
    const reach = () => within(section('Network')).getByTestId('reachability').textContent;

    it('says how this machine is reached, as the host reports it', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      expect(reach()).toBe('Reachable through the router (UPnP port mapping).');
      act(() => host.pushStatus({ mappedAddress: null, reachability: 'unreachable' }));
      await flush();
      expect(reach()).toBe('Not reachable from other networks: using hole punching and relays.');
      act(() => host.pushStatus({ reachability: 'direct' }));
      await flush();
      expect(reach()).toMatch(/^Reachable directly/);
    });

    it('each switch is on by default and calls settings:update at once', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      for (const [name, field] of [['Hole punching', 'punch'], ['Relays', 'relay'], ['Find peers on this network', 'lan']] as const) {
        const sw = within(section('Network')).getByRole('switch', { name });
        expect(sw.getAttribute('aria-checked')).toBe('true');
        fireEvent.click(sw);
        await flush();
        expect(host.callsTo('settings:update').at(-1)).toEqual({ [field]: false });
        expect(within(section('Network')).getByRole('switch', { name }).getAttribute('aria-checked')).toBe('false');
      }
    });

    it('relaying for others is off until asked for, and says how many connections it carries', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      const sw = () => within(section('Network')).getByRole('switch', { name: 'Relay for others' });
      expect(sw().getAttribute('aria-checked')).toBe('false');
      expect(sw().getAttribute('aria-describedby')).toBeTruthy();
      fireEvent.click(sw());
      await flush();
      expect(host.callsTo('settings:update').at(-1)).toEqual({ relayForOthers: true });
      expect(sw().getAttribute('aria-checked')).toBe('true');
      act(() => host.pushStatus({ relayingFor: 2 }));
      await flush();
      const help = document.getElementById(sw().getAttribute('aria-describedby')!)!;
      expect(help.textContent).toMatch(/Relaying now: 2 connections\.$/);
    });
  });

  describe('Network: members found on this network', () => {
    const members = () => within(section('Network')).getByTestId('lan-members');
    const alice = { peerId: 'a1'.repeat(16), name: 'alice-laptop', address: '192.168.1.30:5000', tracker: '192.168.1.30:6969' };
    const bob = { peerId: 'b2'.repeat(16), name: 'bob-desktop', address: '192.168.1.31:5000', tracker: null };

    it('lists each member with its address, and offers to join the tracker one hosts', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      expect(members().textContent).toBe('No other member found on this network yet.');
      act(() => host.pushStatus({ lanMembers: [alice, bob] }));
      await flush();
      expect(members().textContent).toContain('Found on this network:');
      expect(within(members()).getByText('alice-laptop')).toBeTruthy();
      expect(within(members()).getByText('192.168.1.31:5000')).toBeTruthy();
      // Only the member hosting a tracker gets a join button.
      expect(within(members()).getAllByRole('button').map((b) => b.textContent)).toEqual(['Join its tracker (192.168.1.30:6969)']);
      fireEvent.click(within(members()).getByRole('button', { name: 'Join its tracker (192.168.1.30:6969)' }));
      await flush();
      expect(host.callsTo('settings:update').at(-1)).toEqual({ trackers: ['192.168.1.20:6969', '192.168.1.30:6969'] });
      // Joined: the button gives way to a note.
      expect(within(members()).queryAllByRole('button')).toEqual([]);
      expect(members().textContent).toContain('its tracker 192.168.1.30:6969 is in your list');
    });

    it('shows nothing about members while LAN discovery is off', async () => {
      await renderWithHost(<SettingsView />, { settings: { lan: false } });
      expect(within(section('Network')).queryByTestId('lan-members')).toBeNull();
    });
  });

  describe('Network: DHT and trackers', () => {
    const dht = () => within(section('Network')).getByRole('switch', { name: 'DHT' });
    const help = 'Find peers without a tracker, on the public BitTorrent DHT (under a name derived from the network key, so nothing readable is published).';

    it('the DHT switch says what it does and shows the live node count while on', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      expect(dht().getAttribute('aria-checked')).toBe('true');
      expect(document.getElementById(dht().getAttribute('aria-describedby')!)!.textContent).toBe(help);
      expect(within(section('Network')).getByText('120 nodes in the DHT routing table')).toBeTruthy();
      act(() => host.pushStatus({ dhtNodes: 1 }));
      await flush();
      expect(within(section('Network')).getByText('1 node in the DHT routing table')).toBeTruthy();
      act(() => host.pushStatus({ dhtNodes: 0 }));
      await flush();
      expect(within(section('Network')).getByText('No DHT nodes yet: looking for some…')).toBeTruthy();
    });

    it('turning the DHT off calls settings:update { dht: false } at once, without Save', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      fireEvent.click(dht());
      await flush();
      expect(host.callsTo('settings:update')).toEqual([{ dht: false }]);
      expect(dht().getAttribute('aria-checked')).toBe('false');
      expect(within(section('Network')).queryByText(/in the DHT routing table/)).toBeNull();
      // The Network section's Save is for its text fields only.
      expect((within(section('Network')).getByRole('button', { name: 'Save' }) as HTMLButtonElement).disabled).toBe(true);
      expect(document.activeElement).toBe(dht());

      fireEvent.click(dht());
      await flush();
      expect(host.callsTo('settings:update')).toEqual([{ dht: false }, { dht: true }]);
      expect(dht().getAttribute('aria-checked')).toBe('true');
      expect(within(section('Network')).getByText('120 nodes in the DHT routing table')).toBeTruthy();
    });

    it('a refused DHT change leaves the switch as it was and says why', async () => {
      const { host } = await renderWithHost(<SettingsView />, { settings: { dht: false } });
      expect(dht().getAttribute('aria-checked')).toBe('false');
      expect(within(section('Network')).queryByText(/DHT routing table/)).toBeNull();
      host.fail('settings:update', 'port_in_use', 'The DHT cannot listen: no free UDP port.');
      fireEvent.click(dht());
      await flush();
      expect(host.callsTo('settings:update')).toEqual([{ dht: true }]);
      expect(dht().getAttribute('aria-checked')).toBe('false');
      expect(within(section('Network')).getByRole('alert').textContent).toBe('The DHT cannot listen: no free UDP port.');
    });

    it('lists each saved tracker under the field with its live state', async () => {
      const { host } = await renderWithHost(<SettingsView />, {
        settings: { trackers: ['a.lan:6969', 'b.lan:7000', 'c.lan:6969'] },
        status: {
          trackers: [
            { address: 'a.lan:6969', connected: true },
            { address: 'b.lan:7000', connected: false },
          ],
        },
      });
      // c.lan has no connection yet: not connected.
      expect(trackerStates()).toEqual(['a.lan:6969connected', 'b.lan:7000not connected', 'c.lan:6969not connected']);
      act(() =>
        host.pushStatus({
          trackers: [
            { address: 'a.lan:6969', connected: false },
            { address: 'b.lan:7000', connected: true },
            { address: 'c.lan:6969', connected: true },
          ],
        }),
      );
      await flush();
      expect(trackerStates()).toEqual(['a.lan:6969not connected', 'b.lan:7000connected', 'c.lan:6969connected']);
    });

    it('a connected tracker says which address it lists this peer at', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      act(() => host.pushStatus({ trackers: [{ address: '192.168.1.20:6969', connected: true, seenAs: '203.0.113.2:5000' }] }));
      await flush();
      expect(trackerStates()).toEqual(['192.168.1.20:6969connectedlists you at 203.0.113.2:5000']);
      // Its dial-back of that address: got through, or didn't.
      act(() => host.pushStatus({ trackers: [{ address: '192.168.1.20:6969', connected: true, seenAs: '203.0.113.2:5000', reachable: true }] }));
      await flush();
      expect(trackerStates()).toEqual(['192.168.1.20:6969connectedlists you at 203.0.113.2:5000, and reached you there']);
      act(() => host.pushStatus({ trackers: [{ address: '192.168.1.20:6969', connected: true, seenAs: '203.0.113.2:5000', reachable: false }] }));
      await flush();
      expect(trackerStates()).toEqual(['192.168.1.20:6969connectedlists you at 203.0.113.2:5000, but could not reach you there']);
      // Not connected: no stale address.
      act(() => host.pushStatus({ trackers: [{ address: '192.168.1.20:6969', connected: false, seenAs: '203.0.113.2:5000' }] }));
      await flush();
      expect(trackerStates()).toEqual(['192.168.1.20:6969not connected']);
    });

    it('the tracker list follows the saved trackers, not the unsaved edit', async () => {
      const { host } = await renderWithHost(<SettingsView />);
      expect(trackerStates()).toEqual(['192.168.1.20:6969connected']);
      fireEvent.change(input('Trackers'), { target: { value: '192.168.1.20:6969\n10.0.0.2:6969' } });
      expect(trackerStates()).toEqual(['192.168.1.20:6969connected']);
      fireEvent.click(within(section('Network')).getByRole('button', { name: 'Save' }));
      await flush();
      expect(host.callsTo('settings:update')).toEqual([{ trackers: ['192.168.1.20:6969', '10.0.0.2:6969'] }]);
      expect(trackerStates()).toEqual(['192.168.1.20:6969connected', '10.0.0.2:6969not connected']);
    });
  });
});

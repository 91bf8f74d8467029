import { describe, expect, it } from 'vitest';
import { EVENT_CHANNELS, REQUEST_CHANNELS, validateArgs } from '../shared/ipc/contract.js';
import { inviteLink, parseInvite } from '../shared/ipc/invite.js';

describe('IPC contract', () => {
  it('a settings patch carries only the fields that were sent (no defaults slipped in)', () => {
    const checked = validateArgs('settings:update', { theme: 'dark' });
    expect(checked).toEqual({ ok: true, value: { theme: 'dark' } });
  });

  it('refuses unknown fields, wrong types and unknown channels', () => {
    expect(validateArgs('settings:update', { theme: 'dark', evil: 1 }).ok).toBe(false);
    expect(validateArgs('settings:update', { listenPort: '80' }).ok).toBe(false);
    expect(validateArgs('downloads:start', { hash: 'a'.repeat(64), name: '../x', size: 1 }).ok).toBe(false);
    expect(validateArgs('nope:nope' as never, {}).ok).toBe(false);
  });

  it('declares channel names once, in domain:verb form', () => {
    for (const name of [...REQUEST_CHANNELS, ...EVENT_CHANNELS]) expect(name).toMatch(/^[a-z]+:[a-zA-Z]+$/);
    expect(new Set(REQUEST_CHANNELS).size).toBe(REQUEST_CHANNELS.length);
  });
});

describe('invites', () => {
  const key = 'k'.repeat(43);
  it('round-trips the link and accepts "HOST:PORT KEY"', () => {
    const link = inviteLink({ tracker: '192.168.1.20:6969', key });
    expect(link).toBe(`p2p://192.168.1.20:6969#${key}`);
    expect(parseInvite(link)).toEqual({ tracker: '192.168.1.20:6969', trackers: ['192.168.1.20:6969'], key });
    expect(parseInvite(`  [fe80::1]:7000 ${key} `)).toEqual({ tracker: '[fe80::1]:7000', trackers: ['[fe80::1]:7000'], key });
    // One tracker at several addresses (LAN, IPv6, the router's public one): all kept, in order, once each.
    const several = inviteLink({ tracker: '192.168.1.20:6969', trackers: ['192.168.1.20:6969', '[2001:db8::20]:6969', '203.0.113.2:6969', '192.168.1.20:6969'], key });
    expect(several).toBe(`p2p://192.168.1.20:6969,[2001:db8::20]:6969,203.0.113.2:6969,192.168.1.20:6969#${key}`);
    expect(parseInvite(several)).toEqual({ tracker: '192.168.1.20:6969', trackers: ['192.168.1.20:6969', '[2001:db8::20]:6969', '203.0.113.2:6969'], key });
    expect(parseInvite(`p2p://${Array.from({ length: 9 }, (_, i) => `10.0.0.${i + 1}:6969`).join(',')}#${key}`)).toMatchObject({ error: expect.stringMatching(/at most 8/) });
    expect(parseInvite(`p2p://10.0.0.1:6969,bad:0#${key}`)).toMatchObject({ error: expect.stringMatching(/"bad:0" is not a HOST:PORT/) });
  });

  it('explains what is wrong with a bad invite', () => {
    expect(parseInvite('hello')).toHaveProperty('error');
    expect(parseInvite(`p2p://host:99999#${key}`)).toMatchObject({ error: expect.stringMatching(/HOST:PORT/) });
    expect(parseInvite('p2p://host:6969#short')).toMatchObject({ error: expect.stringMatching(/not a valid network key/) });
  });
});

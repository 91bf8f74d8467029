/**
 * What a refused request looks like at the boundary: a stable code and the
 * field it is about, so the UI can place it without reading the message.
 * The host is not started: every refusal here comes before the engine is used.
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { hintFor } from '../electron/cli/error-hints.js';
import { AppHost } from '../electron/host/app-host.js';
import { browserIntegration } from '../electron/host/desktop-integration.js';
import { Fixtures, testSettings } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function unstartedHost(): Promise<AppHost> {
  const dir = await fx.tempDir();
  const settings = testSettings(dir);
  return new AppHost({ dataDir: dir, integration: browserIntegration, version: 'test', defaults: { settings, folders: [] }, networkKey: null });
}

describe('request errors', () => {
  it('a bad tracker address in settings is invalid_argument about "trackers"', async () => {
    const host = await unstartedHost();
    const refused = await host.invoke('settings:update', { trackers: ['10.0.0.1:6969', 'not an address'] });
    expect(refused).toEqual({ ok: false, error: { code: 'invalid_argument', field: 'trackers', message: '"not an address" is not a tracker address; use HOST:PORT, for example 192.168.1.20:6969.' } });
  });

  it('a download folder that does not exist is invalid_argument about "downloadDir"', async () => {
    const host = await unstartedHost();
    const missing = path.join(await fx.tempDir(), 'gone');
    const refused = await host.invoke('settings:update', { theme: 'dark', downloadDir: missing });
    expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_argument', field: 'downloadDir', message: expect.stringContaining('that folder does not exist') } });
  });

  it('arguments the contract refuses name the first bad one; a refusal about no field carries none', async () => {
    const host = await unstartedHost();
    expect(await host.invoke('settings:update', { theme: 'dark', listenPort: 70000 })).toMatchObject({ ok: false, error: { code: 'bad_request', field: 'listenPort' } });
    const unknown = await host.invoke('app:snapshot', { sneaky: true });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(unknown.ok === false && unknown.error).not.toHaveProperty('field');
  });

  it('a folder path that is not absolute, and an invite that does not parse, name their form fields', async () => {
    const host = await unstartedHost();
    expect(await host.invoke('shares:add', { path: 'relative/folder' })).toMatchObject({ ok: false, error: { code: 'invalid_argument', field: 'path' } });
    expect(await host.invoke('network:join', { invite: 'hello' })).toMatchObject({ ok: false, error: { code: 'invalid_argument', field: 'invite', message: expect.stringContaining('Paste an invite link') } });
  });
});

describe('CLI hints', () => {
  it('the CLI maps a code (or the argument it is about) to its own advice; the engine names no flag', () => {
    expect(hintFor({ code: 'no_such_file' })).toMatch(/try -list/);
    expect(hintFor({ code: 'wrong_key' })).toMatch(/-key \/ -keyfile/);
    expect(hintFor({ code: 'invalid_argument', field: 'key' })).toMatch(/p2ptracker -genkey/);
    expect(hintFor({ code: 'invalid_argument', field: 'trackers' })).toBeUndefined();
    expect(hintFor({ code: 'io_error' })).toBeUndefined();
  });
});

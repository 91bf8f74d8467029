import { readFileSync, existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { registerIpc } from '../electron/main/ipc.js';
import { appProtocolHandler } from '../electron/main/protocol.js';
import { isTrustedSender, lockDownContents, lockDownSession } from '../electron/main/security.js';
import { APP_URL, CONTENT_SECURITY_POLICY, createMainWindow } from '../electron/main/window.js';
import type { BrowserWindowConstructorOptions } from 'electron';
import { AppHost } from '../electron/host/app-host.js';
import { browserIntegration } from '../electron/host/desktop-integration.js';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from '../shared/ipc/contract.js';
import { Fixtures, testSettings } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function realHost(): Promise<AppHost> {
  const folder = await fx.tempDir();
  const host = new AppHost({
    dataDir: await fx.tempDir(),
    integration: browserIntegration,
    version: 'test',
    bindHost: '127.0.0.1',
    defaults: {
      settings: testSettings(folder),
      folders: [folder],
    },
  });
  await host.start();
  fx.defer(() => host.stop());
  return host;
}

describe('Electron window', () => {
  it('runs the renderer isolated, sandboxed, without Node, from the app scheme', () => {
    class FakeWindow {
      constructor(readonly options: BrowserWindowConstructorOptions) {}
    }
    const { options } = createMainWindow(FakeWindow, '/x/preload.cjs');
    expect(options.webPreferences).toMatchObject({
      preload: '/x/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
    expect(APP_URL.startsWith('app://')).toBe(true);
  });

  it('has a strict Content-Security-Policy, sent with every file of the app scheme', async () => {
    expect(CONTENT_SECURITY_POLICY).toMatch(/default-src 'self'/);
    expect(CONTENT_SECURITY_POLICY).toMatch(/object-src 'none'/);
    expect(CONTENT_SECURITY_POLICY).not.toMatch(/unsafe-inline|unsafe-eval|\*/);
    const root = await fx.tempDir();
    await mkdir(path.join(root, 'assets'));
    await writeFile(path.join(root, 'index.html'), '<!doctype html>');
    await writeFile(path.join(root, 'assets', 'app.js'), 'console.log(1)');
    const handle = appProtocolHandler(root);
    const page = await handle({ url: 'app://p2p/index.html' });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toBe(CONTENT_SECURITY_POLICY);
    expect((await handle({ url: 'app://p2p/assets/app.js' })).headers.get('content-type')).toMatch(/javascript/);
    expect((await handle({ url: 'app://p2p/..%2f..%2fetc%2fpasswd' })).status).toBe(404);
    expect((await handle({ url: 'app://p2p/missing.js' })).status).toBe(404);
    expect((await handle({ url: 'app://p2p/%E0%A4%A' })).status).toBe(404); // malformed percent-encoding
  });

  it('refuses navigation away from the app, new windows, webviews and permissions', () => {
    const listeners = new Map<string, (event: { preventDefault(): void }, url: string) => void>();
    let openHandler: ((details: { url: string }) => { action: string }) | undefined;
    lockDownContents({
      on: ((name: string, fn: (event: { preventDefault(): void }, url: string) => void) => listeners.set(name, fn)) as never,
      setWindowOpenHandler: ((fn: typeof openHandler) => (openHandler = fn)) as never,
    });
    const attempt = (name: string, url: string) => {
      let prevented = false;
      listeners.get(name)!({ preventDefault: () => (prevented = true) }, url);
      return prevented;
    };
    expect(attempt('will-navigate', 'https://evil.example/')).toBe(true);
    expect(attempt('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(attempt('will-navigate', 'app://p2p/index.html')).toBe(false);
    expect(attempt('will-redirect', 'http://127.0.0.1:1/')).toBe(true);
    expect(attempt('will-attach-webview', 'app://p2p/')).toBe(true);
    expect(openHandler!({ url: 'https://example.com' })).toEqual({ action: 'deny' });

    let requestHandler: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let checkHandler: (() => boolean) | undefined;
    lockDownSession({ setPermissionRequestHandler: ((fn: never) => (requestHandler = fn)) as never, setPermissionCheckHandler: ((fn: never) => (checkHandler = fn)) as never });
    let granted: boolean | undefined;
    requestHandler!({}, 'media', (ok) => (granted = ok));
    expect(granted).toBe(false);
    expect(checkHandler!()).toBe(false);
  });

  it('trusts only frames of the app origin', () => {
    expect(isTrustedSender({ url: 'app://p2p/index.html' })).toBe(true);
    expect(isTrustedSender({ url: 'https://p2p/index.html' })).toBe(false);
    expect(isTrustedSender({ url: 'app://evil/index.html' })).toBe(false);
    expect(isTrustedSender(null)).toBe(false);
  });
});

describe('Electron IPC', () => {
  it('wires every request channel of the contract, checks the sender and validates arguments', async () => {
    const handlers = new Map<string, (event: { senderFrame: { url: string } | null }, args: unknown) => Promise<unknown>>();
    const host = await realHost();
    registerIpc({ handle: ((channel: string, fn: never) => handlers.set(channel, fn)) as never }, host);
    expect([...handlers.keys()].sort()).toEqual([...REQUEST_CHANNELS].sort());
    const trusted = { senderFrame: { url: 'app://p2p/index.html' } };
    expect(await handlers.get('app:snapshot')!(trusted, {})).toMatchObject({ ok: true, value: { capabilities: { mode: 'browser' } } });
    expect(await handlers.get('app:snapshot')!({ senderFrame: { url: 'https://evil.example' } }, {})).toEqual({
      ok: false,
      error: { code: 'forbidden', message: 'request from an untrusted frame' },
    });
    expect(await handlers.get('downloads:pause')!(trusted, { hash: '../../etc' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await handlers.get('settings:update')!(trusted, { listenPort: 70000 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await handlers.get('shares:add')!(trusted, { path: 42 })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    expect(await handlers.get('settings:update')!(trusted, { theme: 'neon' })).toMatchObject({ ok: false, error: { code: 'bad_request' } });
  });
});

describe('Electron preload', () => {
  const bundle = path.resolve(import.meta.dirname, '../dist/preload/index.cjs');

  it('exposes exactly the contract as window.p2p, never ipcRenderer', async () => {
    expect(existsSync(bundle), 'dist/preload/index.cjs is missing: run `npm run build` (npm test does)').toBe(true);
    const exposed: Record<string, unknown> = {};
    const invoked: Array<[string, unknown]> = [];
    const subscribed: string[] = [];
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (key: string, value: unknown) => (exposed[key] = value) },
      ipcRenderer: {
        invoke: async (channel: string, args: unknown) => (invoked.push([channel, args]), { ok: true, value: null }),
        on: (channel: string) => subscribed.push(channel),
        removeListener: () => {},
      },
    };
    const module = { exports: {} };
    vm.runInNewContext(readFileSync(bundle, 'utf8'), { require: (id: string) => (id === 'electron' ? fakeElectron : undefined), module, exports: module.exports, console, TextEncoder, TextDecoder, URL });
    expect(Object.keys(exposed)).toEqual(['p2p']);
    const api = exposed.p2p as { invoke(c: string, a: unknown): Promise<unknown>; on(e: string, fn: () => void): () => void };
    expect(Object.keys(api).sort()).toEqual(['invoke', 'on']);
    for (const channel of REQUEST_CHANNELS) await api.invoke(channel, {});
    expect(invoked.map(([c]) => c)).toEqual(REQUEST_CHANNELS);
    expect(await api.invoke('fs:readFile', {})).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    for (const event of EVENT_CHANNELS) expect(typeof api.on(event, () => {})).toBe('function');
    expect(subscribed).toEqual(EVENT_CHANNELS);
    expect(() => api.on('ipc:raw', () => {})).toThrow(/unknown event/);
  });
});

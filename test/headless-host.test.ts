import http from 'node:http';
import net from 'node:net';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { AppHost } from '../electron/host/app-host.js';
import { browserIntegration } from '../electron/host/desktop-integration.js';
import { UiServer } from '../electron/host/ui-server.js';
import type { Settings } from '../shared/ipc/contract.js';
import { Fixtures, eventually, sha256, sha256File, testSettings, writeRandomFile } from './support/fixtures.js';

const fx = new Fixtures();
afterEach(() => fx.cleanup());

async function startHost(trackerPort: number, opts: { dataDir?: string; folder?: string } = {}) {
  const folder = opts.folder ?? (await fx.tempDir());
  const dataDir = opts.dataDir ?? (await fx.tempDir());
  const staticDir = await fx.tempDir();
  await writeFile(path.join(staticDir, 'index.html'), '<!doctype html><title>p2p</title>');
  const settings = testSettings(folder, [`127.0.0.1:${trackerPort}`]);
  // Open mode: these tests pair the host with open-mode engines; test/security.test.ts covers keys.
  const host = new AppHost({ dataDir, integration: browserIntegration, version: 'test', defaults: { settings, folders: [folder] }, bindHost: '127.0.0.1', networkKey: null });
  await host.start();
  const ui = new UiServer({ host, staticDir, port: 0 });
  await ui.start();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await ui.stop();
    await host.stop();
  };
  fx.defer(stop);
  return { host, ui, folder, dataDir, stop };
}

function get(port: number, pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path: pathAndQuery, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

class SocketClient {
  private nextId = 1;
  readonly events: Array<{ event: string; payload: unknown }> = [];
  private readonly waiting = new Map<number, (r: unknown) => void>();
  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; id: number; result: unknown; event: string; payload: unknown };
      if (m.t === 'res') this.waiting.get(m.id)?.(m.result);
      else this.events.push({ event: m.event, payload: m.payload });
    });
  }
  static open(port: number, cookie: string, origin = `http://127.0.0.1:${port}`): Promise<SocketClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers: { cookie, origin } });
      ws.once('open', () => resolve(new SocketClient(ws)));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }
  call<T = unknown>(channel: string, args: unknown = {}): Promise<{ ok: boolean; value?: T; error?: { code: string; message: string } }> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (r: unknown) => void);
      this.ws.send(JSON.stringify({ t: 'req', id, channel, args }));
    });
  }
}

async function login(port: number, token: string): Promise<string> {
  const res = await get(port, `/?token=${token}`);
  expect(res.status).toBe(303);
  expect(res.headers.location).toBe('/');
  const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  expect(res.headers['set-cookie']?.[0]).toMatch(/HttpOnly; SameSite=Strict/);
  return cookie;
}

describe('headless host: access control', () => {
  it('requires the token on every request, checks Host and Origin, and trades the token for a cookie', async () => {
    const tracker = await fx.tracker();
    const { ui } = await startHost(tracker.port);
    expect((await get(ui.port, '/')).status).toBe(403);
    expect((await get(ui.port, '/?token=wrong')).status).toBe(403);
    expect((await get(ui.port, `/?token=${ui.token}`, { host: `evil.example:${ui.port}` })).status).toBe(403); // DNS rebinding
    const cookie = await login(ui.port, ui.token);
    const page = await get(ui.port, '/', { cookie });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/);
    expect((await get(ui.port, '/../../etc/passwd', { cookie })).status).toBe(404);
    expect((await get(ui.port, '/%E0%A4%A', { cookie })).status).toBe(404); // malformed percent-encoding answers, not hangs
    await expect(SocketClient.open(ui.port, 'p2p_ui=nope')).rejects.toThrow(/403/);
    await expect(SocketClient.open(ui.port, cookie, 'http://evil.example')).rejects.toThrow(/403/);
    const client = await SocketClient.open(ui.port, cookie);
    const snap = await client.call<{ capabilities: { mode: string } }>('app:snapshot');
    expect(snap.ok).toBe(true);
    expect(snap.value!.capabilities.mode).toBe('browser');
    client.ws.close();
  });

  it('rejects invalid arguments with a typed error and closes on a malformed frame', async () => {
    const tracker = await fx.tracker();
    const { ui } = await startHost(tracker.port);
    const client = await SocketClient.open(ui.port, await login(ui.port, ui.token));
    const bad = await client.call('downloads:pause', { hash: 'not-a-hash' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const extra = await client.call('app:snapshot', { sneaky: true });
    expect(extra).toMatchObject({ ok: false, error: { code: 'bad_request' } });
    const closed = new Promise<number>((r) => client.ws.once('close', (code) => r(code)));
    client.ws.send('{"t":"req","id":1,"channel":"fs:readFile","args":{}}');
    expect(await closed).toBe(1008);
  });
});

describe('headless host: the app over the socket', () => {
  it('downloads a listed file with batched progress, and says so when the file is already present', async () => {
    const tracker = await fx.tracker();
    const seedFolder = await fx.tempDir();
    const data = await writeRandomFile(path.join(seedFolder, 'album/track one.flac'), 6 * 1024 * 1024);
    await fx.peer(tracker.port, { folder: seedFolder, uploadLimit: 3 * 1024 * 1024 });
    const { ui, folder } = await startHost(tracker.port);
    const client = await SocketClient.open(ui.port, await login(ui.port, ui.token));
    const page = await eventually(async () => {
      const r = await client.call<{ total: number; items: Array<{ name: string; hash: string; size: number; local: boolean }> }>('network:list', {
        query: '',
        offset: 0,
        limit: 50,
        sort: 'name',
        descending: false,
      });
      return r.ok && r.value!.total === 1 ? r.value! : undefined;
    }, 10_000, 'listing');
    const item = page.items[0]!;
    expect(item.local).toBe(false);
    const startedAt = Date.now();
    const started = await client.call('downloads:start', { hash: item.hash, name: item.name, size: item.size });
    expect(started.ok).toBe(true);
    await eventually(() => client.events.some((e) => e.event === 'downloads:finished'), 15_000, 'finished event');
    const seconds = (Date.now() - startedAt) / 1000;
    const progressCount = client.events.filter((e) => e.event === 'downloads:progress').length;
    expect(seconds).toBeGreaterThan(1); // rate-limited seeder: long enough to measure batching
    expect(progressCount).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2); // batched to ~10 per second
    expect(await sha256File(path.join(folder, 'album', 'track one.flac'))).toBe(sha256(data));
    const states = () =>
      client.events.filter((e) => e.event === 'downloads:progress').flatMap((e) => (e.payload as Array<{ state: string }>).map((r) => r.state));
    await eventually(() => states().at(-1) === 'done', 2000, 'a done progress row');
    expect(states()).toContain('downloading');
    const again = await client.call('downloads:start', { hash: item.hash, name: item.name, size: item.size });
    expect(again).toMatchObject({ ok: true });
    const relisted = await client.call<{ items: Array<{ local: boolean }> }>('network:list', { query: '', offset: 0, limit: 50, sort: 'name', descending: false });
    expect(relisted.value!.items[0]!.local).toBe(true);
  });

  it('a port in use is an inline error that changes nothing; settings survive a restart', async () => {
    const tracker = await fx.tracker();
    const busy = net.createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    fx.defer(() => new Promise((r) => busy.close(r)));
    const busyPort = (busy.address() as net.AddressInfo).port;
    const first = await startHost(tracker.port);
    const client = await SocketClient.open(first.ui.port, await login(first.ui.port, first.ui.token));
    const before = (await client.call<{ settings: Settings }>('app:snapshot')).value!.settings;
    const refused = await client.call('settings:update', { listenPort: busyPort });
    expect(refused).toMatchObject({ ok: false, error: { code: 'port_in_use', field: 'listenPort' } });
    expect((await client.call<{ settings: Settings }>('app:snapshot')).value!.settings).toEqual(before);
    const badTracker = await client.call('settings:update', { trackers: ['not an address'] });
    expect(badTracker).toMatchObject({ ok: false, error: { code: 'invalid_argument', field: 'trackers' } });
    const saved = await client.call<Settings>('settings:update', { theme: 'dark', uploadLimitKiB: 512 });
    expect(saved).toMatchObject({ ok: true, value: { theme: 'dark', uploadLimitKiB: 512 } });
    const extra = await fx.tempDir();
    await mkdir(path.join(extra, 'sub'), { recursive: true });
    expect(await client.call('shares:add', { path: extra })).toMatchObject({ ok: true });
    expect(await client.call('shares:add', { path: '/definitely/not/here' })).toMatchObject({ ok: false, error: { code: 'folder_unreadable', field: 'path' } });
    client.ws.close();
    await first.stop();

    const second = await startHost(tracker.port, { dataDir: first.dataDir, folder: first.folder });
    const snap = second.host.snapshot();
    expect(snap.settings.theme).toBe('dark');
    expect(snap.settings.uploadLimitKiB).toBe(512);
    expect(snap.folders.map((f) => f.path).sort()).toEqual([first.folder, extra].sort());
  });

  it('hosts a tracker on request and another peer can join it', async () => {
    const tracker = await fx.tracker();
    const { ui, folder } = await startHost(tracker.port);
    await writeRandomFile(path.join(folder, 'from-host.txt'), 100);
    const client = await SocketClient.open(ui.port, await login(ui.port, ui.token));
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const hosting = await client.call<{ running: boolean; port: number; addresses: string[] }>('tracker:setHosting', { enabled: true, port });
    expect(hosting).toMatchObject({ ok: true, value: { running: true, port } });
    const other = await fx.peer(port);
    await eventually(async () => (await other.engine.list()).items.some((i) => i.name === 'from-host.txt'), 10_000, 'host file via hosted tracker');
    const off = await client.call('tracker:setHosting', { enabled: false });
    expect(off).toMatchObject({ ok: true, value: { running: false } });
  });
});

// @vitest-environment jsdom
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket as ServerSocket } from 'ws';
import type { SocketRequest } from '../../shared/ipc/socket-protocol';
import { socketUrl } from './api';
import { createSocketApi, type ConnectionState, type SocketApi } from './socket-api';

/** The transport against a real WebSocket server on 127.0.0.1 (jsdom's WebSocket is a real client). */

const open: Array<{ close(): void }> = [];
afterEach(async () => {
  for (const thing of open.splice(0)) thing.close();
});

async function server(onRequest: (req: SocketRequest, ws: ServerSocket) => void) {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', resolve));
  const sockets = new Set<ServerSocket>();
  wss.on('connection', (ws) => {
    sockets.add(ws);
    ws.on('close', () => sockets.delete(ws));
    ws.on('message', (data) => onRequest(JSON.parse(String(data)) as SocketRequest, ws));
  });
  open.push({ close: () => wss.close() });
  const { port } = wss.address() as { port: number };
  return { wss, port, sockets };
}

function client(port: number): SocketApi {
  const api = createSocketApi({ url: `ws://127.0.0.1:${port}/api`, backoffInitialMs: 20, backoffMaxMs: 40 });
  open.push(api);
  return api;
}

function until(api: SocketApi, predicate: (s: ConnectionState) => boolean): Promise<ConnectionState> {
  return new Promise((resolve) => {
    if (predicate(api.connection())) return resolve(api.connection());
    const off = api.onConnection((s) => {
      if (predicate(s)) {
        off();
        resolve(s);
      }
    });
  });
}

describe('socket transport', () => {
  it('builds the URL from the page location', () => {
    expect(socketUrl({ protocol: 'http:', host: '192.168.1.5:8080' })).toBe('ws://192.168.1.5:8080/api');
    expect(socketUrl({ protocol: 'https:', host: 'nas.local' })).toBe('wss://nas.local/api');
  });

  it('answers requests made before the socket opened, in envelopes, and delivers events', async () => {
    const { port } = await server((req, ws) => {
      if (req.channel === 'downloads:pause') ws.send(JSON.stringify({ t: 'res', id: req.id, result: { ok: false, error: { code: 'not_found', message: 'No such download.' } } }));
      else ws.send(JSON.stringify({ t: 'res', id: req.id, result: { ok: true, value: { echo: req.args } } }));
      ws.send(JSON.stringify({ t: 'evt', event: 'network:changed', payload: { at: 42 } }));
    });
    const api = client(port);
    const events: unknown[] = [];
    api.on('network:changed', (p) => events.push(p));
    const first = await api.invoke('shares:remove', { path: '/x' });
    expect(first).toEqual({ ok: true, value: { echo: { path: '/x' } } });
    expect(await api.invoke('downloads:pause', { hash: 'a'.repeat(64) })).toEqual({ ok: false, error: { code: 'not_found', message: 'No such download.' } });
    expect(events).toEqual([{ at: 42 }, { at: 42 }]);
  });

  it('passes a refusal on as the host sent it, field included', async () => {
    const refusal = { code: 'invalid_argument', message: '"x" is not a tracker address; use HOST:PORT.', field: 'trackers' };
    const { port } = await server((req, ws) => ws.send(JSON.stringify({ t: 'res', id: req.id, result: { ok: false, error: refusal } })));
    expect(await client(port).invoke('settings:update', { trackers: ['x'] })).toEqual({ ok: false, error: refusal });
  });

  it('fails requests in flight when the socket drops, then reconnects with backoff', async () => {
    const { port, sockets } = await server((req, ws) => {
      if (req.channel === 'app:snapshot') ws.close(); // the host goes away mid-request
      else ws.send(JSON.stringify({ t: 'res', id: req.id, result: { ok: true, value: null } }));
    });
    const api = client(port);
    const states: string[] = [];
    api.onConnection((s) => states.push(s.status));
    await until(api, (s) => s.status === 'open');
    const lost = await api.invoke('app:snapshot', {});
    expect(lost).toMatchObject({ ok: false, error: { code: 'disconnected' } });
    const back = await until(api, (s) => s.status === 'open' && s.opens === 2);
    expect(back.failures).toBe(0);
    expect(states).toContain('closed');
    expect(await api.invoke('shares:remove', { path: '/y' })).toEqual({ ok: true, value: null });
    expect(sockets.size).toBe(1);
  });

  it('ignores garbage and unknown frames from the host', async () => {
    const { port } = await server((req, ws) => {
      ws.send('not json');
      ws.send(JSON.stringify({ t: 'res', id: 9999, result: { ok: true, value: 1 } }));
      ws.send(JSON.stringify({ t: 'res', id: req.id, result: 'nonsense' }));
    });
    const api = client(port);
    expect(await api.invoke('app:snapshot', {})).toMatchObject({ ok: false, error: { code: 'bad_response' } });
  });
});

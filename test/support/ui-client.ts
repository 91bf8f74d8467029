import http from 'node:http';
import WebSocket from 'ws';

/** Drives a headless host through its web UI's socket API, as the browser does (token → cookie → /api). */
export class UiClient {
  private nextId = 1;
  private readonly waiting = new Map<number, (r: UiResult) => void>();

  private constructor(private readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { t: string; id: number; result: UiResult };
      if (m.t === 'res') this.waiting.get(m.id)?.(m.result);
    });
  }

  /** `url` is the printed `web UI: http://127.0.0.1:PORT/?token=…` address. */
  static async connect(url: string): Promise<UiClient> {
    const { port, search } = new URL(url);
    const cookie = await new Promise<string>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: `/${search}`, headers: { host: `127.0.0.1:${port}` } }, (res) => {
          res.resume();
          const set = res.headers['set-cookie']?.[0];
          if (!set) reject(new Error(`no cookie for the token (status ${res.statusCode})`));
          else resolve(set.split(';')[0]!);
        })
        .on('error', reject);
    });
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api`, { headers: { cookie, origin: `http://127.0.0.1:${port}` } });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new UiClient(ws);
  }

  call<T>(channel: string, args: unknown = {}): Promise<UiResult<T>> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve as (r: UiResult) => void);
      this.ws.send(JSON.stringify({ t: 'req', id, channel, args }));
    });
  }

  close(): void {
    this.ws.close();
  }
}

export type UiResult<T = unknown> = { ok: true; value: T } | { ok: false; error: { code: string; message: string } };

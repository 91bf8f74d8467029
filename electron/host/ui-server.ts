import { randomBytes, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { isRequestChannel } from '../../shared/ipc/contract.js';
import { SOCKET_MAX_PAYLOAD, SOCKET_PATH, type SocketServerMessage } from '../../shared/ipc/socket-protocol.js';
import { closeServer, listen, type Logger, silentLogger } from '../engine/api.js';
import type { AppHost } from './app-host.js';
import { CONTENT_SECURITY_POLICY, readStaticFile } from './static-files.js';

const COOKIE = 'p2p_ui';
const MAX_SOCKETS = 32;
/** Requests one browser socket may have running at once. */
const MAX_INFLIGHT_PER_SOCKET = 64;

export interface UiServerOptions {
  host: AppHost;
  /** Folder with the built renderer (index.html and assets). */
  staticDir: string;
  port: number;
  /** Bind address; 127.0.0.1 unless the person asks otherwise. */
  bindHost?: string;
  logger?: Logger;
  /** Fixed token (tests); random otherwise. */
  token?: string;
}

/**
 * Serves the renderer to a browser and carries the IPC contract over a
 * WebSocket: the transmission-daemon-style headless mode. Every HTTP request
 * and the socket need the token (first as `?token=`, then as an HttpOnly
 * cookie), and Host and Origin must name this server, which defeats DNS
 * rebinding and cross-site pages.
 */
export class UiServer {
  readonly token: string;
  port = 0;
  private readonly server: http.Server;
  private readonly wss: WebSocketServer;
  private readonly logger: Logger;
  private readonly sockets = new Set<WebSocket>();

  constructor(private readonly options: UiServerOptions) {
    this.token = options.token ?? randomBytes(24).toString('base64url');
    this.logger = options.logger ?? silentLogger;
    this.server = http.createServer((req, res) => void this.onRequest(req, res));
    this.wss = new WebSocketServer({ noServer: true, maxPayload: SOCKET_MAX_PAYLOAD });
    this.server.on('upgrade', (req, socket, head) => {
      const refusal = this.refusal(req) ?? (new URL(req.url ?? '/', 'http://x').pathname === SOCKET_PATH ? undefined : 'not found');
      if (refusal || this.sockets.size >= MAX_SOCKETS) {
        this.logger.warn(`refused UI socket from ${req.socket.remoteAddress ?? '?'}: ${refusal ?? 'too many sockets'}`);
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
    });
  }

  /** The address to open, token included. */
  get url(): string {
    return `http://${this.displayHost}:${this.port}/?token=${this.token}`;
  }

  private get displayHost(): string {
    const h = this.options.bindHost ?? '127.0.0.1';
    return h === '0.0.0.0' || h === '::' ? '127.0.0.1' : h.includes(':') ? `[${h}]` : h;
  }

  /** Listens on `port` (default: the one given); a refusal (port in use) leaves it ready to try another. */
  async start(port = this.options.port): Promise<number> {
    this.port = await listen(this.server, port, this.options.bindHost ?? '127.0.0.1', 'The web UI');
    return this.port;
  }

  async stop(): Promise<void> {
    for (const ws of this.sockets) ws.terminate();
    this.wss.close();
    this.server.closeAllConnections();
    await closeServer(this.server);
  }

  // ---- checks ----

  private allowedHosts(): Set<string> {
    const port = this.port;
    const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
    const bind = this.options.bindHost;
    if (bind && bind !== '0.0.0.0' && bind !== '::') names.add(bind.includes(':') ? `[${bind}]` : bind);
    return new Set([...names].map((n) => `${n}:${port}`));
  }

  /** Why this request is refused, or undefined when it may proceed. Never logs the token. */
  private refusal(req: http.IncomingMessage, allowQueryToken = false): string | undefined {
    const host = (req.headers.host ?? '').toLowerCase();
    if (!this.allowedHosts().has(host)) return `unexpected Host header "${host.slice(0, 64)}"`;
    const origin = req.headers.origin;
    if (origin !== undefined && !this.allowedHosts().has(origin.replace(/^https?:\/\//, '').toLowerCase())) {
      return `cross-origin request from "${origin.slice(0, 64)}"`;
    }
    if (this.hasCookieToken(req)) return undefined;
    if (allowQueryToken && this.queryToken(req) !== undefined && this.sameToken(this.queryToken(req)!)) return undefined;
    return 'missing or wrong token';
  }

  private queryToken(req: http.IncomingMessage): string | undefined {
    return new URL(req.url ?? '/', 'http://x').searchParams.get('token') ?? undefined;
  }

  private hasCookieToken(req: http.IncomingMessage): boolean {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...rest] = part.trim().split('=');
      if (name === COOKIE && this.sameToken(rest.join('='))) return true;
    }
    return false;
  }

  private sameToken(candidate: string): boolean {
    const a = Buffer.from(candidate);
    const b = Buffer.from(this.token);
    return a.length === b.length && timingSafeEqual(a, b);
  }

  // ---- HTTP ----

  private async onRequest(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.reply(res, 405, 'method not allowed');
    const refusal = this.refusal(req, true);
    if (refusal) {
      this.logger.warn(`refused UI request for ${url.pathname.slice(0, 64)} from ${req.socket.remoteAddress ?? '?'}: ${refusal}`);
      return this.reply(res, 403, 'Forbidden: open the address printed by p2pclient, token included.');
    }
    if (url.searchParams.has('token')) {
      // Trade the token in the address for a cookie, and drop it from the address bar and history.
      res.setHeader('Set-Cookie', `${COOKIE}=${this.token}; HttpOnly; SameSite=Strict; Path=/`);
      res.setHeader('Location', url.pathname);
      return this.reply(res, 303, '');
    }
    const found = await readStaticFile(this.options.staticDir, url.pathname);
    if (!found) return this.reply(res, 404, 'not found');
    const body = found.body;
    res.setHeader('Content-Type', found.contentType);
    res.setHeader('Cache-Control', 'no-store');
    this.securityHeaders(res);
    res.writeHead(200);
    res.end(req.method === 'HEAD' ? undefined : body);
  }

  private securityHeaders(res: http.ServerResponse): void {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
  }

  private reply(res: http.ServerResponse, status: number, text: string): void {
    this.securityHeaders(res);
    res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    res.end(text);
  }

  // ---- socket ----

  private onSocket(ws: WebSocket): void {
    this.sockets.add(ws);
    let inflight = 0;
    const send = (message: SocketServerMessage) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
    };
    const unsubscribe = this.options.host.subscribe((event, payload) => send({ t: 'evt', event, payload }));
    ws.on('close', () => {
      unsubscribe();
      this.sockets.delete(ws);
    });
    ws.on('error', () => ws.terminate());
    ws.on('message', (data, isBinary) => {
      let message: unknown;
      try {
        message = isBinary ? undefined : JSON.parse(String(data));
      } catch {
        message = undefined;
      }
      const m = message as { t?: unknown; id?: unknown; channel?: unknown; args?: unknown } | undefined;
      if (!m || m.t !== 'req' || typeof m.id !== 'number' || !Number.isInteger(m.id) || !isRequestChannel(m.channel)) {
        ws.close(1008, 'bad request frame');
        return;
      }
      if (inflight >= MAX_INFLIGHT_PER_SOCKET) {
        send({ t: 'res', id: m.id, result: { ok: false, error: { code: 'busy', message: 'too many requests at once' } } });
        return;
      }
      inflight++;
      void this.options.host.invoke(m.channel, m.args).then((result) => {
        inflight--;
        send({ t: 'res', id: m.id as number, result });
      });
    });
  }
}

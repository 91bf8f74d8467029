import net from 'node:net';
import { FrameDecoder, encodeControl } from '../../electron/engine/wire/frame-codec.js';
import type { WireMessage } from '../../shared/protocol/messages.js';

/** A hand-driven socket for sending exactly the bytes a test wants and reading replies. */
export class RawClient {
  readonly messages: Array<Record<string, unknown>> = [];
  readonly pieces: Array<{ id: number; data: Buffer }> = [];
  closed = false;
  private readonly decoder = new FrameDecoder();
  private decodeFailed = false;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      if (this.decodeFailed) return;
      try {
        for (const f of this.decoder.push(chunk)) {
          if (f.kind === 0) this.messages.push(f.message as Record<string, unknown>);
          else this.pieces.push({ id: f.id, data: f.data });
        }
      } catch {
        this.decodeFailed = true;
      }
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  send(message: WireMessage | Record<string, unknown>): void {
    this.socket.write(encodeControl(message as WireMessage));
  }

  sendRaw(bytes: Buffer | string): void {
    this.socket.write(bytes);
  }

  hello(peerId = 'ab'.repeat(16), listenPort = 0): void {
    this.send({ type: 'hello', protocol: 'p2pshare', versions: [1], peerId, listenPort });
  }

  async waitFor(predicate: (m: Record<string, unknown>) => boolean, timeoutMs = 3000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.messages.find(predicate);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no matching message; got ${JSON.stringify(this.messages).slice(0, 400)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async waitClosed(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      if (Date.now() > deadline) throw new Error('connection stayed open');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  destroy(): void {
    this.socket.destroy();
  }
}

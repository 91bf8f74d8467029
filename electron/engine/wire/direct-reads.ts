import type net from 'node:net';
import { FrameDecoder, type Frame } from './frame-codec.js';

/** What one read produced: the frames it completed, or the protocol error it revealed. */
export type ReadOutcome = { bytes: number; frames: Frame[] } | { bytes: number; error: unknown };

/**
 * Reads of a socket we open go straight into the frame decoder's buffers (the
 * `onread` option of net.connect and tls.connect) instead of a fresh chunk per
 * read that is then copied: a piece body lands in its own pooled buffer, written
 * there by the kernel, or by TLS as it decrypts. At hundreds of MB/s the chunk
 * per read cost a copy, page faults and garbage-collector work in profiles.
 *
 * The socket exists before its FramedConnection does, so outcomes wait here
 * until the connection attaches. Socket reads never run before a nextTick callback,
 * so nothing can overtake the outcomes handed over then.
 */
export class DirectReads {
  readonly decoder = new FrameDecoder();
  private consumer: ((outcome: ReadOutcome) => void) | undefined;
  private waiting: ReadOutcome[] = [];
  private failed = false;
  /** After a protocol error the socket is being closed; what still arrives is read here and dropped. */
  private discard: Buffer | undefined;

  /** Pass as `onread` when creating the socket. */
  readonly onread: net.OnReadOpts = {
    buffer: () => (this.failed ? (this.discard ??= Buffer.allocUnsafe(16 * 1024)) : this.decoder.readTarget()),
    callback: (bytes: number) => {
      if (this.failed) return false;
      let outcome: ReadOutcome;
      try {
        outcome = { bytes, frames: this.decoder.filled(bytes) };
      } catch (error) {
        this.failed = true;
        outcome = { bytes, error };
      }
      if (!this.consumer) {
        this.waiting.push(outcome);
        return !this.failed;
      }
      try {
        this.consumer(outcome);
      } catch (err) {
        // Node will not ask for the next buffer after a throw, so the next read would land in
        // the last one, which now belongs to whoever took the frame: stop the socket first.
        this.failed = true;
        this.socket?.destroy();
        throw err;
      }
      return !this.failed;
    },
  };

  /** The socket these reads belong to, so a failure can stop it (set by the transport). */
  socket: net.Socket | undefined;

  /** No more decoding (the connection closed): what still arrives is read into a scratch and dropped. */
  stop(): void {
    this.failed = true;
  }

  /**
   * The connection takes over. What arrived before it is handed over on the next tick,
   * once the code that built the connection has added its listeners.
   */
  attach(consumer: (outcome: ReadOutcome) => void): void {
    process.nextTick(() => {
      for (const outcome of this.waiting) consumer(outcome);
      this.waiting = [];
      this.consumer = consumer;
    });
  }
}

import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { ZodType } from 'zod';
import { MAX_FRAME_BYTES, MAX_REQUEST_ID, MAX_TEXT_LENGTH } from '../../../shared/protocol/limits.js';
import type { WireMessage } from '../../../shared/protocol/messages.js';
import { EngineError, ProtocolError, errorMessage } from '../errors.js';
import { pieceBuffers } from '../core/buffer-pool.js';
import type { DirectReads, ReadOutcome } from './direct-reads.js';
import { FRAME_CONTROL, FrameDecoder, encodeControl, encodePieceHeader, type ReceivedPiece } from './frame-codec.js';

/** Message types that answer a request carrying the same `id`. */
const REPLY_TYPES = new Set(['welcome', 'ok', 'pong', 'listing', 'peers', 'peer-list', 'meta', 'hashes', 'admin-result', 'error']);
/** Calls awaiting a reply on one connection; beyond this `call` refuses. */
const MAX_PENDING_CALLS = 4096;
/**
 * A frame that has started must finish within this long: a slow-loris drip is
 * cut off even though bytes keep coming. Generous enough for a 1 MiB piece
 * over a ~10 KiB/s link.
 */
export const FRAME_DEADLINE_MS = 120_000;

export interface ConnectionOptions {
  /** Close after this long with no bytes in either direction. 0 disables. */
  idleTimeoutMs: number;
  /** Default time a `call` waits for its reply. */
  callTimeoutMs: number;
  /** Overrides MAX_FRAME_BYTES (tests); applies to sockets read through 'data' events. */
  maxFrameBytes?: number;
  /** The serving side of a connection: a piece frame from the remote is a protocol error. */
  serving?: boolean;
  /** Overrides FRAME_DEADLINE_MS (tests). */
  frameDeadlineMs?: number;
}

interface PendingCall {
  resolve(value: unknown): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

type Incoming = { type: string; id?: number };
type Outgoing = WireMessage;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface FramedConnectionEvents<In> {
  message: [In];
  close: [Error | undefined];
}

/**
 * One framed, validated, request/response connection over a byte stream.
 * It owns the socket: any protocol violation closes it with a reason, and the
 * error never escapes as an exception. The stream is any Duplex socket, so a
 * TLS socket slots in without changes here.
 */
export class FramedConnection<In extends Incoming = Incoming> extends EventEmitter<FramedConnectionEvents<In>> {
  readonly remoteAddress: string;
  readonly remotePort: number;
  closed = false;
  closeReason: Error | undefined;
  bytesIn = 0;
  bytesOut = 0;
  /** Frames read from the remote, counting one that was rejected as malformed. */
  framesIn = 0;

  private readonly decoder: FrameDecoder;
  private readonly reads: DirectReads | undefined;
  private readonly pending = new Map<number, PendingCall>();
  private readonly pendingPieces = new Map<number, PendingCall>();
  private nextId = 1;
  private schema: ZodType<unknown>;
  private frameTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly socket: Socket,
    schema: ZodType<In>,
    private readonly options: ConnectionOptions,
    /** Given for sockets opened with `onread` (see DirectReads); otherwise bytes come as 'data' events. */
    reads?: DirectReads,
  ) {
    super();
    this.schema = schema;
    this.remoteAddress = normalizeAddress(socket.remoteAddress ?? '');
    this.remotePort = socket.remotePort ?? 0;
    socket.setNoDelay(true);
    if (options.idleTimeoutMs > 0) {
      socket.setTimeout(options.idleTimeoutMs, () => this.close(new EngineError('timeout', 'connection idle too long')));
    }
    if (reads) {
      this.reads = reads;
      this.decoder = reads.decoder;
      reads.attach((outcome) => this.onRead(outcome));
    } else {
      this.decoder = new FrameDecoder(options.maxFrameBytes ?? MAX_FRAME_BYTES, !options.serving);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
    }
    socket.on('error', (err) => this.close(err));
    socket.on('close', () => this.close(this.closeReason ?? new EngineError('connection_closed', 'connection closed by the remote')));
    socket.on('end', () => socket.end());
  }

  /** Switch the schema for incoming messages (after the handshake). */
  setSchema<Next extends Incoming>(schema: ZodType<Next>): FramedConnection<Next> {
    this.schema = schema;
    return this as unknown as FramedConnection<Next>;
  }

  setIdleTimeout(ms: number): void {
    this.socket.setTimeout(ms);
  }

  send(message: Outgoing): boolean {
    if (this.closed) return false;
    const frame = encodeControl(message);
    this.bytesOut += frame.length;
    return this.socket.write(frame);
  }

  /**
   * Sends piece data for request `id`; returns false when the socket wants a drain.
   * `onWritten` runs once the socket no longer needs `data` (so its buffer can be reused).
   */
  sendPiece(id: number, data: Buffer, onWritten?: () => void): boolean {
    if (this.closed) return false;
    const header = encodePieceHeader(id, data.length);
    this.bytesOut += header.length + data.length;
    this.socket.cork();
    this.socket.write(header);
    const ok = this.socket.write(data, onWritten && ((err) => !err && onWritten()));
    this.socket.uncork();
    return ok;
  }

  /** Bytes written to the socket that it has not sent yet. */
  get unsentBytes(): number {
    return this.socket.writableLength;
  }

  /** Resolves when the socket's write buffer has drained (or the connection closed). */
  drained(): Promise<void> {
    if (this.closed || !this.socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.socket.off('drain', done);
        this.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.on('close', done);
    });
  }

  /** Sends a request and resolves with the reply of the same id; an `error` reply rejects. */
  call<R>(message: DistributiveOmit<Outgoing, 'id'>, timeoutMs = this.options.callTimeoutMs): Promise<R> {
    return this.register<R>(this.pending, message, timeoutMs).reply;
  }

  /** Like `call`, for requests answered by a piece data frame; the id lets the caller cancel it. */
  callPiece(message: DistributiveOmit<Outgoing, 'id'>, timeoutMs = this.options.callTimeoutMs): { id: number; reply: Promise<ReceivedPiece> } {
    return this.register<ReceivedPiece>(this.pendingPieces, message, timeoutMs);
  }

  /**
   * Gives up on a piece request: its promise rejects with `cancelled`, the remote is
   * told to drop it if it has not started, and a piece that still arrives is ignored.
   */
  cancelPiece(id: number): void {
    const call = this.pendingPieces.get(id);
    if (!call) return;
    this.pendingPieces.delete(id);
    clearTimeout(call.timer);
    call.reject(new EngineError('cancelled', 'request cancelled'));
    this.send({ type: 'cancel', id });
  }

  get pendingCalls(): number {
    return this.pending.size + this.pendingPieces.size;
  }

  close(reason?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.reads?.stop(); // bytes still arriving before the socket is gone are not decoded
    clearTimeout(this.frameTimer);
    const failure = reason ?? new EngineError('connection_closed', 'connection closed');
    for (const table of [this.pending, this.pendingPieces]) {
      for (const call of table.values()) {
        clearTimeout(call.timer);
        call.reject(failure);
      }
      table.clear();
    }
    if (reason instanceof ProtocolError) {
      // Tell the remote why before hanging up; best effort.
      try {
        this.socket.end(encodeControl({ type: 'error', code: reason.code, message: reason.message.slice(0, MAX_TEXT_LENGTH) }));
      } catch {
        this.socket.destroy();
      }
      setTimeout(() => this.socket.destroy(), 1000).unref();
    } else {
      this.socket.destroy();
    }
    this.emit('close', reason);
  }

  private register<R>(table: Map<number, PendingCall>, message: DistributiveOmit<Outgoing, 'id'>, timeoutMs: number): { id: number; reply: Promise<R> } {
    if (this.closed) return { id: 0, reply: Promise.reject(this.closeReason ?? new EngineError('connection_closed', 'connection closed')) };
    if (this.pendingCalls >= MAX_PENDING_CALLS) return { id: 0, reply: Promise.reject(new EngineError('too_many', 'too many requests in flight')) };
    const id = this.nextId;
    this.nextId = this.nextId >= MAX_REQUEST_ID ? 1 : this.nextId + 1;
    const reply = new Promise<R>((resolve, reject) => {
      const timer = setTimeout(() => {
        table.delete(id);
        reject(new EngineError('timeout', `no reply to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      table.set(id, { resolve: resolve as (v: unknown) => void, reject, timer });
      this.send({ ...message, id } as Outgoing);
    });
    return { id, reply };
  }

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    let outcome: ReadOutcome;
    try {
      outcome = { bytes: chunk.length, frames: this.decoder.push(chunk) };
    } catch (error) {
      outcome = { bytes: chunk.length, error };
    }
    this.onRead(outcome);
  }

  private onRead(outcome: ReadOutcome): void {
    if (this.closed) return;
    this.bytesIn += outcome.bytes;
    if ('error' in outcome) {
      this.framesIn++;
      const err = outcome.error;
      this.close(err instanceof ProtocolError ? err : new ProtocolError('bad_frame', errorMessage(err)));
      return;
    }
    const frames = outcome.frames;
    this.framesIn += frames.length;
    // Progress resets the deadline; a partial frame with no progress runs it down.
    if (frames.length > 0 && this.frameTimer) {
      clearTimeout(this.frameTimer);
      this.frameTimer = undefined;
    }
    if (this.decoder.pendingBytes > 0 && !this.frameTimer) {
      this.frameTimer = setTimeout(() => this.close(new ProtocolError('timeout', 'frame not completed in time')), this.options.frameDeadlineMs ?? FRAME_DEADLINE_MS);
      this.frameTimer.unref();
    }
    for (const frame of frames) {
      if (this.closed) {
        if (frame.kind !== FRAME_CONTROL) pieceBuffers.give(frame.data);
        continue;
      }
      try {
        if (frame.kind === FRAME_CONTROL) this.onMessage(frame.message);
        else if (!this.settle(this.pendingPieces, frame.id, frame satisfies ReceivedPiece)) pieceBuffers.give(frame.data); // cancelled meanwhile
      } catch (err) {
        // A rule broken (a ProtocolError) keeps its code; a bug in a handler costs this connection, not the process.
        this.close(err instanceof ProtocolError ? err : new ProtocolError('internal', `internal error: ${errorMessage(err)}`));
      }
    }
  }

  private onMessage(raw: unknown): void {
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
      const type = typeof (raw as { type?: unknown }).type === 'string' ? (raw as { type: string }).type : '?';
      this.close(new ProtocolError('bad_message', `invalid "${type.slice(0, 32)}" message${where}: ${issue?.message ?? 'rejected'}`));
      return;
    }
    const message = parsed.data as In;
    if (REPLY_TYPES.has(message.type) && message.id !== undefined) {
      const call = this.pending.get(message.id) ?? this.pendingPieces.get(message.id);
      if (call) {
        if (message.type === 'error') {
          const err = message as unknown as { code: ProtocolError['code']; message: string };
          this.pending.delete(message.id);
          this.pendingPieces.delete(message.id);
          clearTimeout(call.timer);
          call.reject(new EngineError(err.code, `remote: ${err.message}`));
        } else {
          this.settle(this.pending, message.id, message);
        }
        return;
      }
      if (message.type !== 'error') return; // a late reply to a call that timed out
    }
    this.emit('message', message);
  }

  /** False when no call waits for `id` (cancelled or timed out). */
  private settle(table: Map<number, PendingCall>, id: number, value: unknown): boolean {
    const call = table.get(id);
    if (!call) return false;
    table.delete(id);
    clearTimeout(call.timer);
    call.resolve(value);
    return true;
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, so one host has one spelling. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

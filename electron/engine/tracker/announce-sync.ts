import { setTimeout as sleep } from 'node:timers/promises';
import type { FileAnnouncement } from '../../../shared/protocol/messages.js';
import { announceBatches, type AnnounceBatch } from '../control/announce-codec.js';
import { EngineError, errorCode, errorMessage } from '../errors.js';
import { silentLogger, type Logger } from '../logger.js';

/** Coalesce bursts of folder changes into one announce. */
export const ANNOUNCE_DEBOUNCE_MS = 100;
/** ANNOUNCE batches awaiting their ACK at once (after the reset batch, which goes alone). */
const BATCHES_IN_FLIGHT = 8;
/**
 * Our own pace for ANNOUNCE datagrams, well under a tracker's per-source budget (SourceLimiter:
 * 200/s, burst 400), so a large share does not get itself rate-limited, retransmit, and give up.
 */
const BATCHES_PER_SECOND = 100;
const BATCH_BURST = 32;

export interface AnnounceSyncOptions {
  /** Current truth of what we share; read at the start of every sync. */
  files: () => Iterable<FileAnnouncement>;
  /** Sends one batch and resolves at its ACK; rejects when it was refused or never answered. */
  send: (batch: AnnounceBatch, reset: boolean) => Promise<void>;
  /** Entries that fit no datagram: the stream channel takes them from here. */
  oversized: (batch: AnnounceBatch) => void;
  /** The tracker refused a batch for a cap a person should hear about (tracker_full, too_many_files). */
  refused: (err: EngineError) => void;
  logger?: Logger;
}

/**
 * Keeps a tracker's view of our files in step with ours over the control plane: after each
 * JOIN everything with reset, then only the difference, in ANNOUNCE batches. Delivery rules
 * (UDP may lose and reorder): the reset batch is ACKed before any other is sent, since a
 * retransmitted reset arriving late would wipe them; syncs run one at a time, so a path is
 * never in flight as both an add and a remove. `announced` holds only what the tracker ACKed.
 */
export class AnnounceSync {
  private announced = new Map<string, FileAnnouncement>();
  private syncing: Promise<void> = Promise.resolve();
  private debounce: NodeJS.Timeout | undefined;
  /** Bumped per session: a sync of an older session stops sending and records nothing. */
  private round = 0;
  private active = false;
  private tokens = BATCH_BURST;
  private tokensAt = Date.now();
  private readonly logger: Logger;

  constructor(private readonly options: AnnounceSyncOptions) {
    this.logger = options.logger ?? silentLogger;
  }

  /** A new session (after WELCOME): announce everything again, with reset. */
  restart(): void {
    this.round++;
    this.active = true;
    this.cancelDebounce();
    this.queue(true);
  }

  /** The session ended: send nothing until the next restart(). */
  pause(): void {
    this.round++;
    this.active = false;
    this.cancelDebounce();
  }

  /** Our files changed: send the difference soon. */
  changed(): void {
    if (!this.active || this.debounce) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      this.queue(false);
    }, ANNOUNCE_DEBOUNCE_MS);
    this.debounce.unref();
  }

  /** Resolves once every change queued so far is ACKed (or its session ended). */
  flush(): Promise<void> {
    if (this.debounce) {
      this.cancelDebounce();
      this.queue(false);
    }
    return this.syncing;
  }

  private cancelDebounce(): void {
    clearTimeout(this.debounce);
    this.debounce = undefined;
  }

  private queue(reset: boolean): void {
    const round = this.round;
    this.syncing = this.syncing
      .then(() => this.sync(reset, round))
      // The client hears of a lost tracker from the request itself and re-joins; nothing to add here.
      .catch((err: unknown) => this.logger.debug(`announce stopped: ${errorMessage(err)}`));
  }

  private async sync(reset: boolean, round: number): Promise<void> {
    if (round !== this.round) return;
    const desired = new Map<string, FileAnnouncement>();
    for (const file of this.options.files()) desired.set(file.path, file);
    if (reset) this.announced = new Map();
    const add: FileAnnouncement[] = [];
    const remove: string[] = [];
    for (const [path, file] of desired) {
      const known = this.announced.get(path);
      if (!known || known.hash !== file.hash || known.size !== file.size) add.push(file);
    }
    for (const path of this.announced.keys()) if (!desired.has(path)) remove.push(path);
    if (!reset && add.length === 0 && remove.length === 0) return;

    const { batches, oversized } = announceBatches(add, remove);
    if (oversized.add.length > 0 || oversized.remove.length > 0) {
      this.options.oversized(oversized);
      this.record(oversized);
    }
    if (reset) await this.sendBatch(batches.shift() ?? { add: [], remove: [] }, true, round);
    let next = 0;
    let failure: unknown;
    const worker = async (): Promise<void> => {
      while (next < batches.length && failure === undefined) {
        const batch = batches[next++]!;
        await this.pace();
        await this.sendBatch(batch, false, round).catch((err: unknown) => {
          failure ??= err;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCHES_IN_FLIGHT, batches.length) }, worker));
    if (failure !== undefined) throw failure;
  }

  private async sendBatch(batch: AnnounceBatch, reset: boolean, round: number): Promise<void> {
    if (round !== this.round) throw new EngineError('tracker_unreachable', 'the session ended');
    try {
      await this.options.send(batch, reset);
    } catch (err) {
      const code = errorCode(err);
      if (!(err instanceof EngineError) || (code !== 'tracker_full' && code !== 'too_many_files')) throw err;
      // A cap: the removes before it were applied, the adds may not have been; the next sync tries them again.
      this.options.refused(err);
      if (round === this.round) this.record({ add: [], remove: batch.remove });
      return;
    }
    if (round === this.round) this.record(batch);
  }

  private record(batch: AnnounceBatch): void {
    for (const path of batch.remove) this.announced.delete(path);
    for (const file of batch.add) this.announced.set(file.path, file);
  }

  /** Waits for a token of our own announce budget. */
  private async pace(): Promise<void> {
    for (;;) {
      const now = Date.now();
      this.tokens = Math.min(BATCH_BURST, this.tokens + ((now - this.tokensAt) * BATCHES_PER_SECOND) / 1000);
      this.tokensAt = now;
      if (this.tokens >= 1) {
        this.tokens--;
        return;
      }
      await sleep(Math.ceil(((1 - this.tokens) * 1000) / BATCHES_PER_SECOND), undefined, { ref: false });
    }
  }
}

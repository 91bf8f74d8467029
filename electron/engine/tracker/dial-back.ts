import { peerReply } from '../../../shared/protocol/messages.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logger.js';
import type { PeerIdentity } from '../security/peer-identity.js';
import { clientHandshake } from '../wire/handshake.js';
import type { Transport } from '../wire/transport.js';

/** One dial-back: connect, then the peer's handshake, within this. */
const DIAL_TIMEOUT_MS = 3000;
/** Dial-backs in flight at once; more wait in the queue. */
const MAX_RUNNING = 8;
/** New dials per second: a join storm (a restarted tracker refilling) is checked over minutes, not at once. */
const MAX_DIALS_PER_SECOND = 20;
/** Members waiting for one; past this a join goes unchecked (the member keeps its own guess). */
const MAX_QUEUED = 20_000;
/** A result holds this long for the same member at the same address (its re-joins aren't dialled again). */
const RESULT_MS = 10 * 60_000;
const MAX_RESULTS = 20_000;

export interface DialResult {
  reachable: boolean;
  host: string;
  port: number;
}

export interface DialBackOptions {
  transport: Transport;
  identity: PeerIdentity;
  logger: Logger;
  /** Tells the member what the dial found (the control plane's REACH). */
  tell: (peerId: string, result: DialResult) => void;
  timeoutMs?: number;
}

interface Job {
  peerId: string;
  host: string;
  port: number;
}

/**
 * The AutoNAT idea (docs/PROTOCOL.md §20.7): when a member joins, the tracker dials the address it
 * lists the member at and checks that the member itself answers (its handshake proves its peer
 * id). Only then is it "reachable directly"; a NAT that forwards nothing, a firewall, or another
 * machine behind the same address is not. Bounded: MAX_RUNNING at once, MAX_DIALS_PER_SECOND,
 * MAX_QUEUED waiting, results kept per address.
 */
export class DialBack {
  private readonly queue: Job[] = [];
  private readonly results = new Map<string, DialResult & { at: number }>();
  private running = 0;
  private stopped = false;
  private windowStart = 0;
  private windowDials = 0;
  private wake: NodeJS.Timeout | undefined;
  /** Dials made (ops figures; tests read it). */
  dialled = 0;

  constructor(private readonly options: DialBackOptions) {}

  /** Checks `peerId` at `host:port`, or tells it a recent result for that address at once. */
  check(peerId: string, host: string, port: number): void {
    if (this.stopped) return;
    const key = `${peerId}@${host}:${port}`;
    const known = this.results.get(key);
    if (known && Date.now() - known.at < RESULT_MS) {
      // After the WELCOME this join is about to get: a REACH before it would be about no session yet.
      setImmediate(() => this.options.tell(peerId, { reachable: known.reachable, host, port }));
      return;
    }
    if (this.queue.length >= MAX_QUEUED) return;
    this.queue.push({ peerId, host, port });
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.queue.length = 0;
    clearTimeout(this.wake);
  }

  private pump(): void {
    while (!this.stopped && this.running < MAX_RUNNING && this.queue.length > 0) {
      const now = Date.now();
      if (now - this.windowStart >= 1000) {
        this.windowStart = now;
        this.windowDials = 0;
      }
      if (this.windowDials >= MAX_DIALS_PER_SECOND) {
        if (!this.wake) {
          this.wake = setTimeout(() => {
            this.wake = undefined;
            this.pump();
          }, this.windowStart + 1000 - now);
          this.wake.unref();
        }
        return;
      }
      this.windowDials++;
      const job = this.queue.shift()!;
      this.running++;
      void this.dial(job).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async dial(job: Job): Promise<void> {
    const { transport, identity, logger } = this.options;
    const timeoutMs = this.options.timeoutMs ?? DIAL_TIMEOUT_MS;
    this.dialled++;
    let reachable = false;
    try {
      const opened = await transport.connect(job.host, job.port, timeoutMs);
      const { conn, welcome } = await clientHandshake(opened, { peerId: identity.peerId, listenPort: 0, agent: 'p2ptracker dial-back' }, peerReply, { idleTimeoutMs: 0, callTimeoutMs: timeoutMs }, identity);
      // Someone else answering at that address (another host behind the same NAT) is not the member.
      reachable = welcome.peerId === job.peerId;
      conn.send({ type: 'bye' });
      conn.close();
    } catch (err) {
      logger.debug(`dial-back to ${job.peerId.slice(0, 8)} at ${job.host}:${job.port}: ${errorMessage(err)}`);
    }
    if (this.stopped) return;
    if (this.results.size >= MAX_RESULTS) this.results.delete(this.results.keys().next().value!);
    this.results.set(`${job.peerId}@${job.host}:${job.port}`, { reachable, host: job.host, port: job.port, at: Date.now() });
    logger.debug(`dial-back: ${job.peerId.slice(0, 8)} at ${job.host}:${job.port} is ${reachable ? 'reachable' : 'not reachable'}`);
    this.options.tell(job.peerId, { reachable, host: job.host, port: job.port });
  }
}

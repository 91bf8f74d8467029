import { DatagramType } from '../../../shared/protocol/datagram.js';
import type { DatagramBody, ErrorBody } from '../control/datagram-codec.js';
import { EngineError } from '../errors.js';

/** First wait for a reply before sending again; doubled on every try. */
export const DEFAULT_RETRANSMIT_MS = 1000;
/** Tries per request before the tracker counts as unreachable. */
export const DEFAULT_ATTEMPTS = 4;
/** No single wait is longer than this, whatever the doubling says. */
const MAX_RETRANSMIT_MS = 8000;
/** Each wait is stretched by up to this fraction at random, so peers that lost the same tracker do not retry in step. */
const RETRANSMIT_JITTER = 0.25;

/** One try of a request: the datagram and the reference its reply carries (seq, or the nonce's low 4 bytes). */
export type Attempt = { ref: number; datagram: Buffer };

export interface RequestOptions<R extends DatagramBody> {
  /** Builds one try. Called again for every retransmission: a try needs a fresh seq (the tracker refuses one it has seen). */
  attempt: () => Attempt;
  /** The reply this request waits for, beyond the matching ref (type, nonce, hash…). An ERROR with our ref always counts. */
  accepts: (reply: DatagramBody) => reply is R;
  attempts?: number;
  timeoutMs?: number;
}

interface Pending {
  ref: number;
  accepts: (reply: DatagramBody) => boolean;
  settle: (reply: DatagramBody | Error) => void;
}

/**
 * The requests waiting for a tracker's reply, retransmitted on loss with exponential backoff
 * and jitter. Only the newest try of a request is answerable: a late reply to an older try
 * (a WELCOME with a token the tracker has since replaced, say) is ignored like any reply that
 * matches nothing outstanding.
 */
export class RetransmitQueue {
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly options: {
      send: (datagram: Buffer) => void;
      timeoutMs: number;
      attempts: number;
      /** Names the tracker in the unreachable error. */
      address: string;
    },
  ) {}

  get size(): number {
    return this.pending.size;
  }

  /** Resolves with the accepted reply or an ERROR that names our ref; rejects `tracker_unreachable` after the last try. */
  request<R extends DatagramBody>(request: RequestOptions<R>): Promise<R | ErrorBody> {
    const attempts = request.attempts ?? this.options.attempts;
    const baseMs = request.timeoutMs ?? this.options.timeoutMs;
    return new Promise<R | ErrorBody>((resolve, reject) => {
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const entry: Pending = {
        ref: -1,
        accepts: request.accepts,
        settle: (reply) => {
          clearTimeout(timer);
          this.forget(entry);
          if (reply instanceof Error) reject(reply);
          else resolve(reply as R | ErrorBody);
        },
      };
      const fire = (): void => {
        this.forget(entry);
        if (tries === attempts) {
          entry.settle(new EngineError('tracker_unreachable', `tracker ${this.options.address} is unreachable: no answer after ${attempts} tries`));
          return;
        }
        let attempt: Attempt;
        try {
          attempt = request.attempt();
        } catch (err) {
          entry.settle(err instanceof Error ? err : new Error(String(err)));
          return;
        }
        entry.ref = attempt.ref;
        this.pending.set(attempt.ref, entry);
        const waitMs = Math.min(MAX_RETRANSMIT_MS, baseMs * 2 ** tries) * (1 + Math.random() * RETRANSMIT_JITTER);
        tries++;
        timer = setTimeout(fire, waitMs);
        timer.unref();
        this.options.send(attempt.datagram);
      };
      fire();
    });
  }

  /** Hands a validated reply to the request it answers; false when it answers none (ignored). */
  deliver(reply: DatagramBody): boolean {
    const ref = replyRef(reply);
    const entry = ref === undefined ? undefined : this.pending.get(ref);
    if (!entry) return false;
    if (reply.type !== DatagramType.ERROR && !entry.accepts(reply)) return false;
    entry.settle(reply);
    return true;
  }

  /** Fails every outstanding request with `err` (the session ended, the client stopped). */
  cancelAll(err: Error): void {
    for (const entry of [...this.pending.values()]) entry.settle(err);
    this.pending.clear();
  }

  private forget(entry: Pending): void {
    if (this.pending.get(entry.ref) === entry) this.pending.delete(entry.ref);
  }
}

/** The reference a reply carries: the request's seq, or the low 4 bytes of its client nonce. */
function replyRef(reply: DatagramBody): number | undefined {
  switch (reply.type) {
    case DatagramType.ACK:
    case DatagramType.PEERS:
    case DatagramType.CONNECTING:
      return reply.seq;
    case DatagramType.ERROR:
      return reply.ref;
    case DatagramType.COOKIE:
    case DatagramType.WELCOME:
      return nonceRef(reply.clientNonce);
    default:
      return undefined;
  }
}

/** How an ERROR refers to an INIT or JOIN, which have no seq. */
export function nonceRef(clientNonce: Buffer): number {
  return clientNonce.readUInt32BE(4);
}

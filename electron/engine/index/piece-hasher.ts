import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * SHA-256 of pieces on worker threads, so indexing a folder hashes (about
 * 1.5 GB/s per core) beside the event loop that reads the next pieces.
 * (Received pieces are hashed as they arrive instead: see FrameDecoder.) A piece's
 * memory is moved to the worker and back, not copied: the caller gets the
 * bytes back as a new Buffer and must not touch the one it passed in.
 * Only memory the caller owns outright may move (`movable`); anything else,
 * such as a slice of a socket chunk, is hashed on the calling thread.
 */
export interface HashedPiece {
  digest: Buffer;
  /** The same bytes as the input, now owned by the caller again. */
  data: Buffer;
}

// Inline so it runs the same from TypeScript sources, the built files and a packaged app.
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
parentPort.on('message', ({ id, buffer, offset, length }) => {
  const digest = createHash('sha256').update(new Uint8Array(buffer, offset, length)).digest();
  parentPort.postMessage({ id, buffer, digest: digest.buffer, digestOffset: digest.byteOffset }, [buffer]);
});
`;

interface Job {
  resolve(piece: HashedPiece): void;
  reject(err: Error): void;
  offset: number;
  length: number;
}

interface Lane {
  worker: Worker;
  jobs: Map<number, Job>;
}

export class PieceHasher {
  private lanes: Lane[] | undefined;
  private nextId = 1;
  private failed = false;

  constructor(private readonly threads = Math.max(1, Math.min(2, availableParallelism() - 1))) {}

  /** `movable`: no one else holds `data`'s ArrayBuffer, so it may be moved to a worker and back. */
  async hash(data: Buffer, movable: boolean): Promise<HashedPiece> {
    const lane = movable && data.buffer instanceof ArrayBuffer && !this.failed ? this.pickLane() : undefined;
    if (!lane) return { digest: createHash('sha256').update(data).digest(), data };
    const id = this.nextId++;
    return new Promise<HashedPiece>((resolve, reject) => {
      if (lane.jobs.size === 0) lane.worker.ref();
      lane.jobs.set(id, { resolve, reject, offset: data.byteOffset, length: data.byteLength });
      lane.worker.postMessage({ id, buffer: data.buffer, offset: data.byteOffset, length: data.byteLength }, [data.buffer as ArrayBuffer]);
    });
  }

  /** Stops the workers; pending hashes reject. */
  async close(): Promise<void> {
    const lanes = this.lanes ?? [];
    this.lanes = undefined;
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
  }

  private pickLane(): Lane | undefined {
    if (!this.lanes) {
      try {
        this.lanes = Array.from({ length: this.threads }, () => this.startLane());
      } catch {
        this.failed = true; // no worker threads here: hash on the event loop
        return undefined;
      }
    }
    return this.lanes.reduce((best, lane) => (lane.jobs.size < best.jobs.size ? lane : best));
  }

  private startLane(): Lane {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const lane: Lane = { worker, jobs: new Map() };
    worker.on('message', (reply: { id: number; buffer: ArrayBuffer; digest: ArrayBuffer; digestOffset: number }) => {
      const job = lane.jobs.get(reply.id);
      if (!job) return;
      lane.jobs.delete(reply.id);
      if (lane.jobs.size === 0) lane.worker.unref();
      job.resolve({ digest: Buffer.from(reply.digest, reply.digestOffset, 32), data: Buffer.from(reply.buffer, job.offset, job.length) });
    });
    const fail = (err: Error) => {
      for (const job of lane.jobs.values()) job.reject(err);
      lane.jobs.clear();
      this.lanes = this.lanes?.filter((l) => l !== lane);
      if (this.lanes?.length === 0) this.lanes = undefined;
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new Error('hash worker exited')));
    // After the listeners: adding a 'message' listener refs the worker again. An idle hasher
    // never keeps the process alive; it is ref'd only while it has work.
    worker.unref();
    return lane;
  }
}

/** One hasher for the process: pieces of every download share its threads. */
export const pieceHasher = new PieceHasher();

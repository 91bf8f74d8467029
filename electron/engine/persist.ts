import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** Writes through a temp file and a rename: a crash leaves the old file, never half a new one. */
export async function writeFileAtomic(file: string, body: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, body);
  await rename(tmp, file);
}

/**
 * Coalesces saves of one file: `schedule()` writes once after `delayMs`,
 * `flush()` writes now when something is pending (or always, if asked), and
 * writes never overlap. A failed write is dropped: what this keeps (caches,
 * resume records) costs only a re-check when lost.
 */
export class DebouncedWriter {
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly write: () => Promise<void>,
    private readonly delayMs: number,
  ) {}

  schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.enqueue();
    }, this.delayMs);
    this.timer.unref();
  }

  async flush(options: { always?: boolean } = {}): Promise<void> {
    if (this.timer || options.always) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.enqueue();
    }
    await this.writing;
  }

  /** Drops a pending write and waits for one in progress. */
  async cancel(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.writing;
  }

  private enqueue(): void {
    this.writing = this.writing.then(() => this.write()).catch(() => {});
  }
}

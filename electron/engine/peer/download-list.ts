import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { errorCode } from '../errors.js';
import { writeFileAtomic } from '../persist.js';

const savedDownload = z.object({
  hash: z.string().regex(/^[0-9a-f]{64}$/),
  name: z.string().min(1),
  size: z.number().int().nonnegative(),
  destDir: z.string().min(1),
  paused: z.boolean(),
  done: z.boolean().default(false),
});
const listFile = z.object({ version: z.literal(1), downloads: z.array(savedDownload) });

/** One download as remembered across restarts: enough to recreate it and its place in the list. */
export type SavedDownload = z.infer<typeof savedDownload>;

/**
 * The download list kept on disk (`downloads.json`), in the order the person
 * added them. Every change is written at once, atomically, and writes never
 * overlap: a crash loses at most the change in flight, never the list.
 * Without a file (the CLI's one-shot `-get`) the list lives in memory only.
 */
export class DownloadList {
  private entries: SavedDownload[] = [];
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string | undefined) {}

  /** Reads the file; a missing one is an empty list, an unreadable one is reported and kept aside. */
  async load(): Promise<{ warning?: string }> {
    if (!this.file) return {};
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return {};
      return { warning: `Cannot read the download list ${this.file}: ${(err as Error).message}` };
    }
    const parsed = listFile.safeParse(safeJson(text));
    if (!parsed.success) return { warning: `The download list ${this.file} is damaged; starting with an empty list.` };
    this.entries = parsed.data.downloads;
    return {};
  }

  /** Seeds a list that has no file yet (a download list moved from an older settings file). */
  async adopt(entries: readonly SavedDownload[]): Promise<void> {
    if (this.entries.length > 0) return;
    this.entries = entries.flatMap((e) => (savedDownload.safeParse(e).success ? [{ ...e }] : []));
    await this.save();
  }

  all(): readonly SavedDownload[] {
    return this.entries;
  }

  get(hash: string): SavedDownload | undefined {
    return this.entries.find((e) => e.hash === hash);
  }

  /** Adds a download at the end, replacing an earlier (failed or cancelled) one of the same content. */
  async put(entry: SavedDownload): Promise<void> {
    this.entries = [...this.entries.filter((e) => e.hash !== entry.hash), entry];
    await this.save();
  }

  async update(hash: string, change: Partial<Pick<SavedDownload, 'paused' | 'done'>>): Promise<void> {
    const entry = this.get(hash);
    if (!entry) return;
    Object.assign(entry, change);
    await this.save();
  }

  async remove(hashes: readonly string[]): Promise<void> {
    const before = this.entries.length;
    this.entries = this.entries.filter((e) => !hashes.includes(e.hash));
    if (this.entries.length !== before) await this.save();
  }

  /** Resolves when every change made so far is on disk. */
  flushed(): Promise<void> {
    return this.writing;
  }

  private save(): Promise<void> {
    const file = this.file;
    if (!file) return Promise.resolve();
    const body = `${JSON.stringify({ version: 1, downloads: this.entries }, null, 2)}\n`;
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(file, body));
    return this.writing;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

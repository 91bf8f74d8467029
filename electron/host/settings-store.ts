import { readFile, rename } from 'node:fs/promises';
import { z } from 'zod';
import { settingsSchema, type Settings } from '../../shared/ipc/contract.js';
import { writeFileAtomic } from '../engine/api.js';

const persisted = z.object({
  version: z.literal(1),
  // Partial: a file from an older version lacks newer settings, which take their defaults.
  settings: settingsSchema.partial(),
  folders: z.array(z.string()),
  // Versions before the engine kept its own downloads.json held the list here; it moves there at the next start.
  downloads: z
    .array(z.object({ hash: z.string(), name: z.string(), size: z.number(), destDir: z.string(), paused: z.boolean(), done: z.boolean().default(false) }))
    .optional(),
});
/** On disk settings may be partial (older files); in memory they are always complete. */
export type PersistedState = Omit<z.infer<typeof persisted>, 'settings'> & { settings: Settings };

/**
 * Settings and shared folders, kept in one JSON file in
 * the app's data folder and written atomically on every change.
 */
export class SettingsStore {
  private writing: Promise<void> = Promise.resolve();
  state: PersistedState;
  /** True when no saved state existed: the first start of this install. */
  firstRun = false;

  constructor(
    private readonly file: string,
    defaults: { settings: Settings; folders: string[] },
  ) {
    this.state = { version: 1, settings: defaults.settings, folders: defaults.folders };
  }

  async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch {
      this.firstRun = true;
      return;
    }
    try {
      const saved = persisted.parse(JSON.parse(text));
      this.state = { ...saved, settings: { ...this.state.settings, ...stripUndefined(saved.settings) } as Settings };
    } catch {
      // A damaged file: keep it aside for the person to inspect, start from defaults.
      await rename(this.file, `${this.file}.damaged`).catch(() => {});
      this.firstRun = true;
    }
  }

  get settings(): Settings {
    return this.state.settings;
  }

  update(change: (state: PersistedState) => void): Promise<void> {
    change(this.state);
    return this.save();
  }

  save(): Promise<void> {
    const body = JSON.stringify(this.state, null, 2);
    // Saves run in order; a failed one is reported to its caller without blocking the next.
    this.writing = this.writing.catch(() => {}).then(() => writeFileAtomic(this.file, body));
    return this.writing;
  }
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

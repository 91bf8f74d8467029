import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * One peer identity, one process. A second engine on the same data dir (say
 * `p2pclient -get` run beside a p2pclient sharing the same folder) would have
 * the same peer id, and a tracker, which lets a reconnecting peer replace its
 * old session, would pass the session back and forth between the two. The
 * first process holds `instance.lock`; a second one is told so and runs under
 * a temporary identity.
 *
 * The lock names its holder by pid and, where the system tells (Linux), the
 * process's start time, so a lock left by a process that died is taken over
 * even when its pid has been reused since (containers restart as pid 1).
 * It is created whole in one step (written aside, then hard-linked into
 * place), and a takeover moves the stale lock aside first and checks it was
 * the stale one, so two processes starting at once cannot both hold it.
 */
export type LockResult = { lock: InstanceLock } | { heldBy: number } | { unlocked: string };

/** Data dirs this process holds (a second engine in the same process is a second instance too). */
const heldHere = new Set<string>();

export class InstanceLock {
  private constructor(
    private readonly file: string,
    private readonly content: string,
  ) {}

  /**
   * The lock; or the pid of the live process that holds it; or, when the data dir
   * cannot be written (read-only), `unlocked` with the reason: go on without a lock.
   */
  static async acquire(dataDir: string): Promise<LockResult> {
    const file = path.join(dataDir, 'instance.lock');
    const content = `${process.pid} ${startTimeOf(process.pid) ?? ''}\n`;
    try {
      await mkdir(dataDir, { recursive: true });
      for (let attempt = 0; attempt < 5; attempt++) {
        if (await createWhole(file, content)) {
          heldHere.add(file);
          return { lock: new InstanceLock(file, content) };
        }
        const existing = await readFile(file, 'utf8').catch(() => undefined);
        if (existing === undefined) continue; // released meanwhile: try again
        const holder = liveHolder(existing, file);
        if (holder !== undefined) return { heldBy: holder };
        await takeOver(file, existing);
      }
      return { heldBy: 0 }; // others keep winning the race: behave as a second instance
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return { unlocked: `${dataDir} is not writable (${code})` };
      throw err;
    }
  }

  /** Removes the lock if it is still ours. */
  async release(): Promise<void> {
    heldHere.delete(this.file);
    const now = await readFile(this.file, 'utf8').catch(() => undefined);
    if (now === this.content) await unlink(this.file).catch(() => {});
  }
}

/** Writes `content` aside and links it into place: false if a lock is already there. */
async function createWhole(file: string, content: string): Promise<boolean> {
  const aside = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}`;
  await writeFile(aside, content);
  try {
    await link(aside, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  } finally {
    await unlink(aside).catch(() => {});
  }
}

/** Moves a stale lock aside; if what moved was not the stale lock (another process took over first), puts it back. */
async function takeOver(file: string, stale: string): Promise<void> {
  const aside = `${file}.stale.${process.pid}`;
  try {
    await rename(file, aside);
  } catch {
    return; // gone already
  }
  const moved = await readFile(aside, 'utf8').catch(() => stale);
  if (moved !== stale) await link(aside, file).catch(() => {});
  await unlink(aside).catch(() => {});
}

/** The pid of the live process a lock names, or undefined when the lock is stale. */
function liveHolder(content: string, file: string): number | undefined {
  const [pidText, started] = content.trim().split(' ');
  const pid = Number(pidText);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (pid === process.pid) return heldHere.has(file) ? pid : undefined;
  if (!isAlive(pid)) return undefined;
  const now = startTimeOf(pid);
  return started && now !== undefined && now !== started ? undefined : pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, but belongs to someone else
  }
}

/** Start time of a process in clock ticks since boot (Linux /proc); undefined elsewhere. */
function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22, counted after the command name, which is in parentheses and may hold spaces.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

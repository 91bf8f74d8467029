import { readFileSync } from 'node:fs';
import { link, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * An exclusive lock on one file name, across processes and within this one.
 *
 * The lock file names its holder by pid and, where the system tells (Linux),
 * the process's start time, so a lock left by a process that died is taken
 * over even when its pid has been reused since (containers restart as pid 1).
 * It is created whole in one step (written aside, then hard-linked into
 * place), and a stale lock is removed by one process at a time, under a
 * takeover guard, so two processes starting at once cannot both hold it.
 * Inside this process, a lock already held is refused like any other.
 */
export type LockResult = { lock: ProcessLock } | { heldBy: number } | { unlocked: string };

/** Attempts before giving up to others who keep winning the race. */
const ACQUIRE_ATTEMPTS = 10;
/**
 * Where hard links are not supported (FAT, exFAT), a lock is created empty and
 * then written; one found empty or unreadable is being written, unless it is older than this.
 */
const UNWRITTEN_LOCK_GRACE_MS = 5000;
/** A takeover guard older than this was left by a process that died during its takeover. */
const TAKEOVER_GUARD_MS = 5000;
/** Who loses the race for the guard looks again after this long (by then the winner has usually finished). */
const TAKEOVER_RETRY_MS = 20;
/** Errors of link(2) that mean "this file system has no hard links". */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EMLINK']);

/** Lock files this process holds. */
const heldHere = new Set<string>();

export class ProcessLock {
  private released = false;

  private constructor(
    readonly file: string,
    private readonly content: string,
  ) {}

  /**
   * The lock; or the pid of the live process that holds it (this process's own pid
   * when another owner in this process has it); or, when the folder cannot be
   * written (read-only), `unlocked` with the reason, for callers that may go on without.
   */
  static async acquire(file: string): Promise<LockResult> {
    const content = `${process.pid} ${startTimeOf(process.pid) ?? ''}\n`;
    if (heldHere.has(file)) return { heldBy: process.pid };
    try {
      await mkdir(path.dirname(file), { recursive: true });
      for (let attempt = 0; attempt < ACQUIRE_ATTEMPTS; attempt++) {
        if (heldHere.has(file)) return { heldBy: process.pid };
        if (await createWhole(file, content)) {
          heldHere.add(file);
          return { lock: new ProcessLock(file, content) };
        }
        const existing = await readFile(file, 'utf8').catch(() => undefined);
        if (existing === undefined) continue; // released meanwhile: try again
        const holder = liveHolder(existing, file) ?? (await beingWritten(existing, file));
        if (holder !== undefined) return { heldBy: holder };
        await takeOver(file, existing, content);
      }
      return { heldBy: 0 };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EROFS' || code === 'EACCES' || code === 'EPERM') return { unlocked: `${path.dirname(file)} is not writable (${code})` };
      throw err;
    }
  }

  /** True while the lock file on disk is still this lock (nobody removed or replaced it). */
  async held(): Promise<boolean> {
    if (this.released) return false;
    return (await readFile(this.file, 'utf8').catch(() => undefined)) === this.content;
  }

  /** Removes the lock if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.file);
    if (await readFile(this.file, 'utf8').then((now) => now === this.content, () => false)) await unlink(this.file).catch(() => {});
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
    const code = (err as NodeJS.ErrnoException).code ?? '';
    if (code === 'EEXIST') return false;
    if (NO_HARD_LINKS.has(code)) return createExclusive(file, content);
    throw err;
  } finally {
    await unlink(aside).catch(() => {});
  }
}

/** Without hard links: create-if-absent, then write (readers allow for the moment in between). */
async function createExclusive(file: string, content: string): Promise<boolean> {
  try {
    await writeFile(file, content, { flag: 'wx' });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

/** A lock with no readable holder yet, made moments ago, is being written: treat it as held. */
async function beingWritten(content: string, file: string): Promise<number | undefined> {
  if (Number.isInteger(Number(content.trim().split(' ')[0])) && content.trim() !== '') return undefined;
  const made = await stat(file).then((s) => s.mtimeMs, () => 0);
  return Date.now() - made < UNWRITTEN_LOCK_GRACE_MS ? 0 : undefined;
}

/**
 * Removes a stale lock, one process at a time: only the holder of `FILE.takeover` may, and it
 * removes the lock only if it is still the stale one. (Moving the lock aside and putting it back
 * when it turned out live left a moment with no lock, in which a third process could take it
 * while the first still held it.) Nobody can replace a stale lock meanwhile: creating one fails
 * while it exists. A guard left by a process that died mid-takeover expires.
 */
async function takeOver(file: string, stale: string, content: string): Promise<void> {
  const guard = `${file}.takeover`;
  if (!(await createWhole(guard, content))) {
    const made = await stat(guard).then((s) => s.mtimeMs, () => Date.now());
    if (Date.now() - made > TAKEOVER_GUARD_MS) await unlink(guard).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, TAKEOVER_RETRY_MS));
    return;
  }
  try {
    if ((await readFile(file, 'utf8').catch(() => undefined)) === stale) await unlink(file).catch(() => {});
  } finally {
    await unlink(guard).catch(() => {});
  }
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

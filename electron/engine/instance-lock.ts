import { mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * One peer identity, one process. A second engine on the same data dir (say
 * `p2pclient -get` run beside a p2pclient sharing the same folder) would have
 * the same peer id, and a tracker, which lets a reconnecting peer replace its
 * old session, would pass the session back and forth between the two. The
 * first process holds `instance.lock` (its pid); a second one is told so and
 * runs under a temporary identity. A lock left by a process that died is taken over.
 */
export class InstanceLock {
  private constructor(private readonly file: string) {}

  /** The lock, or the pid of the live process that holds it. */
  static async acquire(dataDir: string): Promise<InstanceLock | { heldBy: number }> {
    const file = path.join(dataDir, 'instance.lock');
    await mkdir(dataDir, { recursive: true });
    for (let attempt = 0; ; attempt++) {
      try {
        await writeFile(file, `${process.pid}\n`, { flag: 'wx' });
        return new InstanceLock(file);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw err;
      }
      const holder = Number.parseInt(await readFile(file, 'utf8').catch(() => ''), 10);
      if (Number.isInteger(holder) && holder > 0 && isAlive(holder)) return { heldBy: holder };
      await unlink(file).catch(() => {}); // left by a process that is gone
    }
  }

  async release(): Promise<void> {
    await unlink(this.file).catch(() => {});
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, but belongs to someone else
  }
}

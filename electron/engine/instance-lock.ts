import path from 'node:path';
import { ProcessLock } from './process-lock.js';

/**
 * One peer identity, one process. A second engine on the same data dir (say
 * `p2pclient -get` run beside a p2pclient sharing the same folder) would have
 * the same peer id, and a tracker, which lets a reconnecting peer replace its
 * old session, would pass the session back and forth between the two. The
 * first process holds `instance.lock`; a second one is told so and runs under
 * a temporary identity.
 */
export type LockResult = { lock: InstanceLock } | { heldBy: number } | { unlocked: string };

export class InstanceLock {
  private constructor(private readonly lock: ProcessLock) {}

  /**
   * The lock; or the pid of the live process that holds it; or, when the data dir
   * cannot be written (read-only), `unlocked` with the reason: go on without a lock.
   */
  static async acquire(dataDir: string): Promise<LockResult> {
    const result = await ProcessLock.acquire(path.join(dataDir, 'instance.lock'));
    return 'lock' in result ? { lock: new InstanceLock(result.lock) } : result;
  }

  release(): Promise<void> {
    return this.lock.release();
  }
}

import { createHash } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

const APP_DIR = 'p2pshare';

/** Per-user data folder: $P2P_DATA_DIR, else the platform's usual place. */
export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.P2P_DATA_DIR) return path.resolve(env.P2P_DATA_DIR);
  const home = os.homedir();
  if (process.platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), APP_DIR);
  if (process.platform === 'darwin') return path.join(home, 'Library', 'Application Support', APP_DIR);
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), APP_DIR);
}

/**
 * Each shared folder gets its own state (peer id, hash cache, downloads) under
 * the data dir, so two clients on one machine sharing different folders don't
 * step on each other.
 */
export function instanceDataDir(base: string, folder: string): string {
  const key = createHash('sha256').update(path.resolve(folder)).digest('hex').slice(0, 16);
  return path.join(base, 'clients', key);
}

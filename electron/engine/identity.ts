import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A stable random id per data dir, so the tracker recognises a restarted peer. */
export async function loadPeerId(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'peer-id');
  try {
    const id = (await readFile(file, 'utf8')).trim();
    if (/^[0-9a-f]{32}$/.test(id)) return id;
  } catch {
    // first start
  }
  const id = randomBytes(16).toString('hex');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${id}\n`, { mode: 0o600 });
  return id;
}

// Debian's opentracker for the benchmarks. Debian builds it in whitelist mode
// (README.Debian), so every info hash a benchmark uses is listed. As root it chroots
// into its folder and drops to `nobody`, who must be able to read the list.
// HTTP, and with { udp: true } also BEP 15 UDP on the same port number (bench/tracker-scale.mjs).
import { chmod, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SpawnedProcess, freePort } from '../../test/support/processes.mjs';

/** Starts opentracker on 127.0.0.1 with `infoHashesHex` whitelisted; `dir` must exist. Without `udp` it binds no UDP port. */
export async function startOpentracker(dir, infoHashesHex, { udp = false } = {}) {
  await writeFile(path.join(dir, 'whitelist.txt'), `${infoHashesHex.join('\n')}\n`);
  await chmod(dir, 0o755);
  await chmod(path.join(dir, 'whitelist.txt'), 0o644);
  const port = await freePort();
  const asRoot = process.getuid?.() === 0;
  const args = ['-i', '127.0.0.1', '-p', String(port), ...(udp ? ['-P', String(port)] : []), ...(asRoot ? ['-d', dir, '-u', 'nobody', '-w', '/whitelist.txt'] : ['-w', path.join(dir, 'whitelist.txt')])];
  return { proc: SpawnedProcess.spawn('opentracker', args), port };
}

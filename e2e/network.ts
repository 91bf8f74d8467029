import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI, CliScratch, SpawnedProcess } from '../test/support/processes.mjs';

/** Real processes on loopback for the end-to-end specs: trackers, peers and the headless host. */
export class TestNetwork {
  private readonly scratch = new CliScratch('p2p-e2e-');
  /** Every process of one test shares this network key (TLS on every connection). */
  readonly key = randomBytes(32).toString('base64url');

  tempDir(prefix = 'p2p-e2e-'): Promise<string> {
    return this.scratch.temp(prefix);
  }

  spawn(script: string, args: string[], env: Record<string, string> = {}): SpawnedProcess {
    return this.scratch.track(SpawnedProcess.node(script, args, { env: { P2P_KEY: this.key, ...env } }));
  }

  async tracker(port = 0): Promise<{ proc: SpawnedProcess; port: number }> {
    const proc = this.spawn(CLI.tracker, ['-port', String(port), '-host', '127.0.0.1', '-peer-timeout', '3'], { P2P_DATA_DIR: await this.tempDir('p2p-e2e-tracker-') });
    return { proc, port: Number((await proc.waitFor(/listening on [^:]+:(\d+)/))[1]) };
  }

  /** A plain peer process sharing `folder`. */
  async peer(folder: string, trackerPort: number, extra: string[] = []): Promise<{ proc: SpawnedProcess; port: number }> {
    const proc = this.spawn(CLI.client, ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, ...extra], {
      P2P_DATA_DIR: await this.tempDir('p2p-e2e-data-'),
    });
    return { proc, port: Number((await proc.waitFor(/listening on port (\d+)/))[1]) };
  }

  /** The headless host with the web UI; resolves with its URL (token included). */
  async host(folder: string, dataDir: string, args: string[]): Promise<{ proc: SpawnedProcess; url: string; port: number }> {
    const proc = this.spawn(CLI.client, ['-folder', folder, '-ui', '0', ...args], { P2P_DATA_DIR: dataDir });
    const url = (await proc.waitFor(/web UI: (\S+)/))[1]!;
    const port = Number((await proc.waitFor(/listening on port (\d+)/))[1]);
    return { proc, url, port };
  }

  /** Kills every process and removes every temp folder of the test. */
  close(): Promise<void> {
    return this.scratch.cleanup();
  }
}

export async function randomFile(file: string, size: number): Promise<string> {
  await mkdir(path.dirname(file), { recursive: true });
  const data = randomBytes(size);
  await writeFile(file, data);
  return createHash('sha256').update(data).digest('hex');
}

export async function sha256Of(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}

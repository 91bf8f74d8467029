// Our own processes for the benchmarks, started the way a person runs them (the CLI).
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp } from 'node:fs/promises';
import path from 'node:path';
import { CLI, SpawnedProcess } from '../../test/support/processes.mjs';
import { MiB } from './stats.mjs';

/** Writes `bytes` of random data to `file` (random, so nothing downstream can compress it). */
export async function randomFile(file, bytes) {
  await mkdir(path.dirname(file), { recursive: true });
  const out = createWriteStream(file);
  for (let left = bytes; left > 0; left -= 4 * MiB) {
    if (!out.write(randomBytes(Math.min(4 * MiB, left)))) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r) => out.end(r));
}

/**
 * A network of our processes: `secure` uses a fresh network key (TLS), otherwise -open.
 * Every process gets its own data dir under `work`; stop() ends them all.
 */
export class P2PNetwork {
  constructor(work, { secure = true } = {}) {
    this.work = work;
    this.secure = secure;
    this.key = randomBytes(32).toString('base64url');
    this.processes = [];
  }

  get keyArgs() {
    return this.secure ? [] : ['-open'];
  }

  get env() {
    return this.secure ? { P2P_KEY: this.key } : {};
  }

  async tracker() {
    const tracker = SpawnedProcess.node(CLI.tracker, ['-port', '0', '-host', '127.0.0.1', ...this.keyArgs], { env: { ...this.env, P2P_DATA_DIR: await this.dataDir('tracker') } });
    this.processes.push(tracker);
    this.trackerAddress = `127.0.0.1:${(await tracker.waitFor(/listening on [^:]+:(\d+)/, 60_000, 'output'))[1]}`;
    return tracker;
  }

  /** A peer sharing `folder`, ready once its files are indexed and it listens. */
  async seeder(folder, extraArgs = []) {
    const peer = SpawnedProcess.node(CLI.client, ['-folder', folder, '-port', '0', '-tracker', this.trackerAddress, '-quiet', ...this.keyArgs, ...extraArgs], { env: { ...this.env, P2P_DATA_DIR: await this.dataDir('seeder') } });
    this.processes.push(peer);
    await peer.waitFor(/listening on port/, 600_000, 'output');
    return peer;
  }

  /** Starts `p2pclient -get name` into a fresh folder; `done` resolves with the elapsed ms once the file is verified. */
  async get(name, extraArgs = [], { seed = false } = {}) {
    const folder = await mkdtemp(path.join(this.work, 'get-'));
    const started = performance.now();
    const args = ['-folder', folder, '-port', '0', '-tracker', this.trackerAddress, '-get', name, '-quiet', ...this.keyArgs, ...extraArgs, ...(seed ? ['-seed'] : [])];
    const proc = SpawnedProcess.node(CLI.client, args, { env: { ...this.env, P2P_DATA_DIR: path.join(folder, '.data') } });
    this.processes.push(proc);
    const done = seed
      ? proc.waitFor(/^done: .* verified/m, 600_000, 'output').then(() => performance.now() - started)
      : proc.exited.then((code) => {
          if (code !== 0) throw new Error(`p2pclient -get failed (${code}):\n${proc.output.slice(-2000)}`);
          return performance.now() - started;
        });
    return { proc, folder, file: path.join(folder, name), done };
  }

  async dataDir(role) {
    return mkdtemp(path.join(this.work, `${role}-data-`));
  }

  async stop() {
    await Promise.all(this.processes.map((p) => p.stop()));
    this.processes = [];
  }
}

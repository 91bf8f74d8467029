import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Real processes on loopback for the end-to-end specs: trackers, peers and the headless host. */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const CLI = {
  tracker: path.join(ROOT, 'dist/electron/cli/p2ptracker.js'),
  client: path.join(ROOT, 'dist/electron/cli/p2pclient.js'),
};

export class Proc {
  out = '';
  exitCode: number | null | undefined;
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.out += d));
    this.exited = new Promise((r) => child.once('exit', (code) => r((this.exitCode = code))));
  }
  async waitFor(re: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.out.match(re);
      if (m) return m;
      if (this.exitCode !== undefined) throw new Error(`process exited (${this.exitCode}) before ${re}:\n${this.out}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${re}:\n${this.out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.exitCode === undefined) {
      this.child.kill(signal);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

export class TestNetwork {
  private readonly procs: Proc[] = [];
  private readonly dirs: string[] = [];
  /** Every process of one test shares this network key (TLS on every connection). */
  readonly key = randomBytes(32).toString('base64url');

  async tempDir(prefix = 'p2p-e2e-'): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    this.dirs.push(dir);
    return dir;
  }

  spawn(script: string, args: string[], env: Record<string, string> = {}): Proc {
    const proc = new Proc(spawn(process.execPath, [script, ...args], { env: { ...process.env, P2P_KEY: this.key, ...env }, stdio: 'pipe' }));
    this.procs.push(proc);
    return proc;
  }

  async tracker(port = 0): Promise<{ proc: Proc; port: number }> {
    const proc = this.spawn(CLI.tracker, ['-port', String(port), '-host', '127.0.0.1', '-peer-timeout', '3'], { P2P_DATA_DIR: await this.tempDir('p2p-e2e-tracker-') });
    return { proc, port: Number((await proc.waitFor(/listening on [^:]+:(\d+)/))[1]) };
  }

  /** A plain peer process sharing `folder`. */
  async peer(folder: string, trackerPort: number, extra: string[] = []): Promise<{ proc: Proc; port: number }> {
    const proc = this.spawn(CLI.client, ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, ...extra], {
      P2P_DATA_DIR: await this.tempDir('p2p-e2e-data-'),
    });
    return { proc, port: Number((await proc.waitFor(/listening on port (\d+)/))[1]) };
  }

  /** The headless host with the web UI; resolves with its URL (token included). */
  async host(folder: string, dataDir: string, args: string[]): Promise<{ proc: Proc; url: string; port: number }> {
    const proc = this.spawn(CLI.client, ['-folder', folder, '-ui', '0', ...args], { P2P_DATA_DIR: dataDir });
    const url = (await proc.waitFor(/web UI: (\S+)/))[1]!;
    const port = Number((await proc.waitFor(/listening on port (\d+)/))[1]);
    return { proc, url, port };
  }

  async close(): Promise<void> {
    await Promise.all(this.procs.map((p) => p.stop('SIGKILL')));
    await Promise.all(this.dirs.map((d) => rm(d, { recursive: true, force: true })));
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

export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const CLI = {
  tracker: path.join(ROOT, 'dist/electron/cli/p2ptracker.js'),
  client: path.join(ROOT, 'dist/electron/cli/p2pclient.js'),
};

export function assertBuilt(): void {
  if (!existsSync(CLI.tracker) || !existsSync(CLI.client)) throw new Error('dist/ is missing: run `npm run build` first (npm test does)');
}

/** A spawned CLI process with its output collected, killed by `stop()`. */
export class CliProcess {
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;
  exitCode: number | null | undefined;

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    child.stdout.setEncoding('utf8').on('data', (d: string) => (this.stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve((this.exitCode = code))));
  }

  static start(script: string, args: string[], env: NodeJS.ProcessEnv = {}): CliProcess {
    return new CliProcess(spawn(process.execPath, [script, ...args], { env: { ...process.env, ...env }, stdio: 'pipe' }));
  }

  async waitFor(pattern: RegExp, timeoutMs = 15_000, stream: 'stdout' | 'stderr' = 'stdout'): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = this[stream].match(pattern);
      if (match) return match;
      if (this.exitCode !== undefined) throw new Error(`process exited (${this.exitCode}) before ${pattern}: ${this.stdout} ${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; stdout: ${this.stdout} stderr: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.exitCode === undefined) this.child.kill(signal);
  }

  async stop(): Promise<void> {
    this.kill('SIGKILL');
    await this.exited;
  }
}

/** The temp folders and CLI processes of one test file, all stopped and removed after each test. */
export class CliScratch {
  private readonly procs: CliProcess[] = [];
  private readonly dirs: string[] = [];

  constructor(private readonly prefix: string) {}

  async temp(): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), this.prefix));
    this.dirs.push(dir);
    return dir;
  }

  /** Stops `proc` with the rest after the test. */
  track(proc: CliProcess): CliProcess {
    this.procs.push(proc);
    return proc;
  }

  async cleanup(): Promise<void> {
    await Promise.all(this.procs.splice(0).map((p) => p.stop()));
    await Promise.all(this.dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
  }
}

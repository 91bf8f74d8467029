// Real child processes for the tests, the end-to-end specs and the benchmarks, and where the
// built commands live. Plain ESM so that bench/ (run by node, no compiler) imports it as it is;
// processes.d.mts gives the TypeScript side its types.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** How long waitFor / waitForLine wait when not told. */
const DEFAULT_WAIT_MS = 20_000;
/** How long stop() gives a process after its signal before SIGKILL. */
const DEFAULT_STOP_GRACE_MS = 5_000;
/** After 'exit', how long the output pipes may stay open (a grandchild can hold them) before the process counts as ended. */
const PIPE_CLOSE_GRACE_MS = 2_000;

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The build output (`npm run build`). */
export const DIST = path.join(ROOT, 'dist');
const { bin } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
/** The built commands, at the paths package.json's `bin` installs. */
export const CLI = Object.freeze({
  tracker: path.join(ROOT, bin.p2ptracker),
  client: path.join(ROOT, bin.p2pclient),
});
/** `npm start` without its build step. */
export const START_SCRIPT = path.join(ROOT, 'scripts/start.mjs');

export function assertBuilt() {
  const missing = Object.values(CLI).filter((file) => !existsSync(file));
  if (missing.length > 0) throw new Error(`dist/ is missing ${missing.join(', ')}: run \`npm run build\` first (npm test does)`);
}

/** A port that was free a moment ago on 127.0.0.1 (listen on 0, then close). */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A child process with its output collected as text; see processes.d.mts for the contract. */
export class SpawnedProcess {
  stdout = '';
  stderr = '';
  /** stdout and stderr interleaved as they arrived. */
  output = '';
  /** { code, signal } once ended, undefined while running. */
  exit = undefined;
  startedAt = Date.now();
  #watchers = new Set();
  #group;

  /** Runs `command args`; `env` is laid over this process's environment (an undefined value removes a variable). */
  static spawn(command, args = [], { env = {}, cwd, group = false, label } = {}) {
    // P2P_NO_UPNP, P2P_NO_LAN: no SSDP search or mDNS from the machine's own network in tests and benchmarks; the NAT lab unsets them inside its namespaces.
    const child = spawn(command, args, { cwd, env: { ...process.env, P2P_NO_UPNP: '1', P2P_NO_LAN: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: group });
    return new SpawnedProcess(child, { label: label ?? [path.basename(command), ...args].join(' '), group });
  }

  /** Runs a script with this Node binary. */
  static node(script, args = [], options = {}) {
    return SpawnedProcess.spawn(process.execPath, [script, ...args], { label: [path.basename(script), ...args].join(' '), ...options });
  }

  constructor(child, { label = child.spawnargs.join(' '), group = false } = {}) {
    this.child = child;
    this.label = label;
    this.#group = group;
    for (const name of ['stdout', 'stderr']) {
      child[name]?.setEncoding('utf8').on('data', (chunk) => {
        this[name] += chunk;
        this.output += chunk;
        this.#notify();
      });
    }
    this.ended = new Promise((resolve) => {
      let pipeTimer;
      const end = (exit) => {
        if (this.exit) return;
        clearTimeout(pipeTimer);
        this.exit = exit;
        this.#notify();
        resolve(exit);
      };
      // 'close' comes once the output is drained, so no line is lost.
      child.once('close', (code, signal) => end({ code, signal }));
      child.once('exit', (code, signal) => {
        pipeTimer = setTimeout(() => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          end({ code, signal });
        }, PIPE_CLOSE_GRACE_MS);
        pipeTimer.unref();
      });
      child.on('error', (err) => {
        if (child.pid !== undefined) return; // a failed kill(); the process itself still runs
        const text = `\n[spawn error: ${err.message}]`;
        this.stderr += text;
        this.output += text;
        end({ code: null, signal: null });
      });
    });
    this.exited = this.ended.then((exit) => exit.code);
  }

  get exitCode() {
    return this.exit?.code;
  }

  get alive() {
    return this.exit === undefined;
  }

  /** The label, pid, state and all output: what a failure message needs. */
  describe() {
    const state = this.exit ? `exited code=${this.exit.code} signal=${this.exit.signal}` : 'still running';
    return `${this.label} (pid ${this.child.pid}, ${state})\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /** Resolves with `check()`'s first defined value, re-checked on every chunk of output; fails if the process ends first or on timeout. */
  waitUntil(check, timeoutMs, what) {
    return new Promise((resolve, reject) => {
      const finish = (settle, value) => {
        clearTimeout(timer);
        this.#watchers.delete(test);
        settle(value);
      };
      const test = () => {
        const value = check();
        if (value !== undefined) finish(resolve, value);
        else if (!this.alive) finish(reject, new Error(`process ended while waiting for ${what}\n${this.describe()}`));
      };
      const timer = setTimeout(() => finish(reject, new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${this.describe()}`)), timeoutMs);
      this.#watchers.add(test);
      test();
    });
  }

  /** Waits until the text of `stream` so far matches `pattern`. */
  waitFor(pattern, timeoutMs = DEFAULT_WAIT_MS, stream = 'stdout') {
    return this.waitUntil(() => this[stream].match(pattern) ?? undefined, timeoutMs, `${stream} to match ${pattern}`);
  }

  /** Waits for one complete line of `stream` matching `pattern` (an unfinished last line is not a line yet). */
  waitForLine(pattern, timeoutMs = DEFAULT_WAIT_MS, stream = 'stdout') {
    const check = () => {
      const lines = this[stream].split('\n');
      lines.pop();
      for (const line of lines) {
        const match = pattern.exec(line);
        if (match) return match;
      }
      return undefined;
    };
    return this.waitUntil(check, timeoutMs, `a ${stream} line matching ${pattern}`);
  }

  /** Waits for the process to end; after `timeoutMs` kills it and fails with its output. */
  async waitForExit(timeoutMs) {
    let timer;
    const timeout = new Promise((_, reject) => {
      timer = setTimeout(() => {
        const description = this.describe();
        this.#signal('SIGKILL');
        reject(new Error(`process did not exit within ${timeoutMs} ms\n${description}`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([this.ended, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sends `signal` to the process alone (not its group): to see how it handles one. */
  kill(signal) {
    if (this.alive) this.child.kill(signal);
  }

  /** Ends the process and, when started as a group, everything it started: `signal`, then SIGKILL after `graceMs`. */
  async stop(signal = 'SIGTERM', graceMs = DEFAULT_STOP_GRACE_MS) {
    if (!this.alive) return;
    this.#signal(signal);
    const timer = setTimeout(() => this.#signal('SIGKILL'), graceMs);
    await this.ended;
    clearTimeout(timer);
  }

  #signal(signal) {
    if (!this.#group || this.child.pid === undefined) {
      this.child.kill(signal);
      return;
    }
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      // the group is gone already
    }
  }

  #notify() {
    for (const watcher of [...this.#watchers]) watcher();
  }
}

/** The temp folders and processes of one test (or one spec's network), all killed and removed by cleanup(). */
export class CliScratch {
  #procs = [];
  #dirs = [];

  constructor(prefix) {
    this.prefix = prefix;
  }

  async temp(prefix = this.prefix) {
    const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
    this.#dirs.push(dir);
    return dir;
  }

  /** Stops `proc` with the rest at cleanup. */
  track(proc) {
    this.#procs.push(proc);
    return proc;
  }

  async cleanup() {
    await Promise.all(this.#procs.splice(0).map((proc) => proc.stop('SIGKILL')));
    await Promise.all(this.#dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
  }
}

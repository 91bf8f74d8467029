// Child processes for benchmarks: start one, wait for a line of its output, stop it.
import { execFile, spawn } from 'node:child_process';
import net from 'node:net';
import { promisify } from 'node:util';

/**
 * Starts `command args`; output (stdout + stderr) is collected so callers can wait
 * for a readiness line. `node: true` runs a script with this Node binary.
 */
export function start(command, args = [], { env = {}, cwd, node = false } = {}) {
  const child = spawn(node ? process.execPath : command, node ? [command, ...args] : args, {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal)));
  const waitFor = (re, timeoutMs = 60_000) =>
    new Promise((resolve, reject) => {
      const deadline = Date.now() + timeoutMs;
      const tick = () => {
        const m = out.match(re);
        if (m) return resolve(m);
        if (child.exitCode !== null || child.signalCode !== null) return reject(new Error(`${command} exited early:\n${out.slice(-4000)}`));
        if (Date.now() > deadline) return reject(new Error(`timed out waiting for ${re} from ${command}:\n${out.slice(-4000)}`));
        setTimeout(tick, 20);
      };
      tick();
    });
  return { child, waitFor, exited, stop: () => stopChild(child, exited), output: () => out };
}

/** Stops a child process and waits until it is gone (SIGKILL after 3 s). `exited` resolves on its exit. */
export async function stopChild(child, exited) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}

/** A free TCP port on 127.0.0.1, for tools that cannot report a port they picked. */
export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid) {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(status.match(/VmRSS:\s+(\d+) kB/)?.[1]);
  return kb * 1024;
}

/**
 * Writes out the page cache's dirty pages (sync) before a timed run, so no run pays for
 * the writeback of the one before it.
 */
export async function flushDirtyPages() {
  await promisify(execFile)('sync');
}

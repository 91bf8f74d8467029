// Machine helpers for benchmarks. Child processes come from test/support/processes.mjs,
// the one harness the tests, the end-to-end specs and the benchmarks share.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident set size of a process in bytes, from /proc (Linux). */
export async function rssOf(pid) {
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

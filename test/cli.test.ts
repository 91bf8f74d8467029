/**
 * End-to-end tests of the two commands as real processes: `p2ptracker` and
 * `p2pclient` are spawned from dist/ (run `npm run build` first) and talk to
 * each other over 127.0.0.1. Every process is killed after each test, every
 * wait is bounded, and all state lives in per-test temp folders.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLI, SpawnedProcess, assertBuilt, freePort, type Exit } from './support/processes.mjs';

type Command = keyof typeof CLI;
const COMMAND_NAMES: Record<Command, string> = { tracker: 'p2ptracker', client: 'p2pclient' };

const NESTED = 'sub/naïve café.txt';
const HEX64 = /^[0-9a-f]{64}$/;

// ---------------------------------------------------------------------------
// Process handling
// ---------------------------------------------------------------------------

/** Per-test context: temp root, env, and everything to clean up. */
let tmp = '';
let fakeHome = '';
let dataDir = '';
let childEnv: NodeJS.ProcessEnv = {};
const procs = new Set<SpawnedProcess>();
const servers = new Set<net.Server>();

function spawnCli(command: Command, args: string[]): SpawnedProcess {
  const proc = SpawnedProcess.node(CLI[command], args, { cwd: tmp, env: childEnv, label: `${COMMAND_NAMES[command]} ${args.join(' ')}` });
  procs.add(proc);
  return proc;
}

interface RunResult extends Exit {
  stdout: string;
  stderr: string;
  ms: number;
  proc: SpawnedProcess;
}

/** Runs a command to completion (bounded) and returns its exit and output. */
async function run(command: Command, args: string[], timeoutMs = 20_000): Promise<RunResult> {
  const proc = spawnCli(command, args);
  const exit = await proc.waitForExit(timeoutMs);
  return { ...exit, stdout: proc.stdout, stderr: proc.stderr, ms: Date.now() - proc.startedAt, proc };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function killAll(): Promise<void> {
  await Promise.all([...procs].map((p) => p.stop('SIGKILL')));
  procs.clear();
  await Promise.all([...servers].map((s) => new Promise<void>((resolve) => (s.listening ? s.close(() => resolve()) : resolve()))));
  servers.clear();
}

// ---------------------------------------------------------------------------
// Network and file helpers
// ---------------------------------------------------------------------------

/** Holds a port on 127.0.0.1 for the rest of the test. */
async function occupyPort(): Promise<number> {
  const server = net.createServer((socket) => socket.destroy());
  servers.add(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as net.AddressInfo).port;
}

function canConnect(port: number, timeoutMs = 3000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

async function startTracker(args: string[] = ['-port', '0']): Promise<{ proc: SpawnedProcess; port: number }> {
  const proc = spawnCli('tracker', args);
  const match = await proc.waitForLine(/^p2ptracker listening on (\S+):(\d+)$/, 10_000);
  const port = Number(match[2]);
  expect(port).toBeGreaterThan(0);
  return { proc, port };
}

async function startClient(folder: string, trackerPort: number, extra: string[] = []): Promise<{ proc: SpawnedProcess; port: number }> {
  const proc = spawnCli('client', ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, ...extra]);
  const match = await proc.waitForLine(/^listening on port (\d+)$/, 15_000);
  await proc.waitForLine(new RegExp(`connected to tracker 127\\.0\\.0\\.1:${trackerPort}$`), 10_000, 'stderr');
  return { proc, port: Number(match[1]) };
}

interface Row {
  name: string;
  size: number;
  hash: string;
  peers: number;
}

async function listJson(trackerPort: number): Promise<Row[]> {
  const r = await run('client', ['-tracker', `127.0.0.1:${trackerPort}`, '-list', '-json', '-timeout', '5'], 15_000);
  expect(r.code, r.proc.describe()).toBe(0);
  const parsed: unknown = JSON.parse(r.stdout);
  expect(Array.isArray(parsed), r.stdout).toBe(true);
  return parsed as Row[];
}

/** Polls `-list -json` until `ok(rows)` holds; bounded. */
async function waitForListing(trackerPort: number, ok: (rows: Row[]) => boolean, timeoutMs = 10_000): Promise<Row[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: Row[] = [];
  for (;;) {
    rows = await listJson(trackerPort);
    if (ok(rows)) return rows;
    if (Date.now() > deadline) throw new Error(`listing did not reach the expected state within ${timeoutMs} ms; last listing:\n${JSON.stringify(rows, null, 2)}`);
    await sleep(200);
  }
}

const hasNames = (names: string[]) => (rows: Row[]) => names.every((n) => rows.some((r) => r.name === n));

function getArgs(folder: string, trackerPort: number, name: string): string[] {
  return ['-folder', folder, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`, '-get', name, '-timeout', '10'];
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function expectSameBytes(expectedPath: string, actualPath: string): Promise<void> {
  expect(existsSync(actualPath), `${actualPath} should exist`).toBe(true);
  const [want, got] = await Promise.all([readFile(expectedPath), readFile(actualPath)]);
  expect(got.length).toBe(want.length);
  expect(sha256(got)).toBe(sha256(want));
  expect(got.equals(want)).toBe(true);
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join('/'));
}

async function makeFolder(name: string, files: Record<string, Buffer | string> = {}): Promise<string> {
  const dir = path.join(tmp, name);
  await mkdir(dir, { recursive: true });
  for (const [rel, content] of Object.entries(files)) {
    const abs = path.join(dir, ...rel.split('/'));
    await mkdir(path.dirname(abs), { recursive: true });
    await writeFile(abs, content);
  }
  return dir;
}

// ---------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------

beforeAll(() => assertBuilt());

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'p2p-cli-test-'));
  fakeHome = path.join(tmp, 'home');
  dataDir = path.join(tmp, 'data');
  await mkdir(fakeHome);
  // One network key for every process of the test (the stored-key path has its own test in security-cli).
  // Nothing from the test runner's own Node setup should leak into the CLIs (undefined removes a variable).
  childEnv = { P2P_DATA_DIR: dataDir, HOME: fakeHome, USERPROFILE: fakeHome, P2P_KEY: randomBytes(32).toString('base64url'), NODE_OPTIONS: undefined, XDG_DATA_HOME: undefined };
});

afterEach(async () => {
  await killAll();
  if (tmp) await rm(tmp, { recursive: true, force: true, maxRetries: 3 });
  tmp = '';
});

afterAll(async () => {
  await killAll();
});

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

describe('p2pclient / p2ptracker as processes', () => {
  it('downloads every shared file byte-for-byte, by name and by content-hash prefix', async () => {
    const big = randomBytes(3 * 1024 * 1024);
    const a = await makeFolder('A', { 'big.bin': big, [NESTED]: 'Ünïcødé content – naïve café ☕\n', 'empty.txt': Buffer.alloc(0) });
    const b = await makeFolder('B');
    const tracker = await startTracker();
    const clientA = await startClient(a, tracker.port);
    expect(clientA.proc.stdout).toMatch(/^sharing 3 files /m);
    await startClient(b, tracker.port);
    const rows = await waitForListing(tracker.port, hasNames(['big.bin', NESTED, 'empty.txt']));

    for (const name of ['big.bin', NESTED, 'empty.txt']) {
      const r = await run('client', getArgs(b, tracker.port, name));
      expect(r.code, r.proc.describe()).toBe(0);
      expect(r.stdout).toContain(`done: ${path.join(b, ...name.split('/'))} verified`);
      await expectSameBytes(path.join(a, ...name.split('/')), path.join(b, ...name.split('/')));
    }
    // No partial download is left behind, and nothing else appeared.
    expect((await walk(b)).sort()).toEqual(['big.bin', 'empty.txt', NESTED].sort());

    // Asking again for something already on disk is a no-op success.
    const again = await run('client', getArgs(b, tracker.port, 'big.bin'));
    expect(again.code, again.proc.describe()).toBe(0);
    expect(again.stdout).toMatch(/already have big\.bin/);

    // By content-hash prefix (taken from -list -json), into a fresh folder.
    const bigRow = rows.find((r) => r.name === 'big.bin')!;
    const b2 = await makeFolder('B2');
    const byHash = await run('client', getArgs(b2, tracker.port, bigRow.hash.slice(0, 12)));
    expect(byHash.code, byHash.proc.describe()).toBe(0);
    await expectSameBytes(path.join(a, 'big.bin'), path.join(b2, 'big.bin'));

    // State went to P2P_DATA_DIR, and nothing was written to the (fake) home.
    expect(existsSync(dataDir)).toBe(true);
    expect(await readdir(fakeHome)).toEqual([]);
  }, 45_000);

  it('-list -json prints one JSON array; -list prints a table with the names', async () => {
    const a = await makeFolder('A', { 'alpha.txt': 'alpha\n', [NESTED]: 'café\n', 'empty.txt': '' });
    const tracker = await startTracker();
    await startClient(a, tracker.port);
    await waitForListing(tracker.port, hasNames(['alpha.txt', NESTED, 'empty.txt']));

    const json = await run('client', ['-tracker', `127.0.0.1:${tracker.port}`, '-list', '-json']);
    expect(json.code, json.proc.describe()).toBe(0);
    expect(json.stdout.trimEnd().split('\n')).toHaveLength(1);
    const rows = JSON.parse(json.stdout) as Row[];
    expect(Array.isArray(rows)).toBe(true);
    expect(rows).toHaveLength(3);
    const sizes: Record<string, number> = { 'alpha.txt': 6, [NESTED]: Buffer.byteLength('café\n'), 'empty.txt': 0 };
    for (const row of rows) {
      expect(Object.keys(row).sort()).toEqual(['hash', 'name', 'peers', 'size']);
      expect(typeof row.name).toBe('string');
      expect(row.size).toBe(sizes[row.name]);
      expect(row.hash).toMatch(HEX64);
      expect(typeof row.peers).toBe('number');
      expect(row.peers).toBe(1);
    }

    const table = await run('client', ['-tracker', `127.0.0.1:${tracker.port}`, '-list']);
    expect(table.code, table.proc.describe()).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/SIZE\s+PEERS\s+HASH\s+NAME/);
    for (const row of rows) {
      const line = lines.find((l) => l.endsWith(`  ${row.name}`));
      expect(line, `table row for ${row.name}:\n${table.stdout}`).toBeDefined();
      expect(line).toContain(row.hash.slice(0, 12));
    }
    expect(table.stdout).toMatch(/^3 files$/m);
    expect(() => JSON.parse(table.stdout)).toThrow();
  }, 30_000);

  it('-list keeps what it printed: with the tracker gone, the next -list prints that listing, marked stale', async () => {
    const a = await makeFolder('A', { 'kept.txt': 'kept\n' });
    const tracker = await startTracker();
    const seeder = await startClient(a, tracker.port);
    await waitForListing(tracker.port, hasNames(['kept.txt']));
    await seeder.proc.stop();
    await tracker.proc.stop();
    // No tracker answers now; the copy saved by the -list of waitForListing is what is left.
    const r = await run('client', ['-tracker', `127.0.0.1:${tracker.port}`, '-list', '-json', '-timeout', '2'], 20_000);
    expect(r.code, r.proc.describe()).toBe(0);
    expect((JSON.parse(r.stdout) as Row[]).map((row) => row.name)).toEqual(['kept.txt']);
    expect(r.stderr).toMatch(/no tracker answered: this is the listing saved .* \(stale\)/);
  }, 40_000);

  it('-get of a name shared with two different contents fails and lists both hashes', async () => {
    const a = await makeFolder('A', { 'same.txt': 'version one\n' });
    const c = await makeFolder('C', { 'same.txt': 'version two, longer\n' });
    const d = await makeFolder('D');
    const tracker = await startTracker();
    await startClient(a, tracker.port);
    await startClient(c, tracker.port);
    const rows = await waitForListing(tracker.port, (rs) => rs.filter((r) => r.name === 'same.txt').length === 2);
    const hashes = rows.filter((r) => r.name === 'same.txt').map((r) => r.hash);
    expect(new Set(hashes).size).toBe(2);

    const r = await run('client', getArgs(d, tracker.port, 'same.txt'));
    expect(r.code, r.proc.describe()).not.toBe(0);
    expect(r.code).not.toBeNull();
    for (const hash of hashes) expect(r.stderr).toContain(hash);
    expect(r.stderr).toContain('same.txt');
    expect(await walk(d)).toEqual([]);
  }, 30_000);

  it('-get of a name nobody has fails with a message naming it', async () => {
    const a = await makeFolder('A', { 'present.txt': 'here\n' });
    const d = await makeFolder('D');
    const tracker = await startTracker();
    await startClient(a, tracker.port);
    await waitForListing(tracker.port, hasNames(['present.txt']));

    const r = await run('client', getArgs(d, tracker.port, 'absent-file-42.txt'));
    expect(r.code, r.proc.describe()).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('absent-file-42.txt');
    expect(await walk(d)).toEqual([]);
  }, 30_000);

  it('a missing -folder fails at once, naming the folder, before opening any port or tracker connection', async () => {
    const blocked = await occupyPort();
    const closed = await freePort();
    const r = await run('client', ['-folder', '/nonexistent/x', '-port', String(blocked), '-tracker', `127.0.0.1:${closed}`], 10_000);
    expect(r.code, r.proc.describe()).not.toBe(0);
    expect(r.code).not.toBeNull();
    expect(r.stderr).toContain('/nonexistent/x');
    // Had it got as far as the network it would complain about the port or the tracker instead.
    expect(r.stderr).not.toMatch(/in use|unreachable|retrying/i);
    expect(r.stdout).not.toMatch(/listening on port/);
    expect(r.ms).toBeLessThan(5000);
  }, 15_000);

  it('a port already in use is a clear error for the client and the tracker', async () => {
    const port = await occupyPort();
    const dir = await makeFolder('A', { 'x.txt': 'x' });
    const closed = await freePort();

    const client = await run('client', ['-folder', dir, '-port', String(port), '-tracker', `127.0.0.1:${closed}`], 10_000);
    expect(client.code, client.proc.describe()).not.toBe(0);
    expect(client.code).not.toBeNull();
    expect(client.stderr).toMatch(/in use/i);
    expect(client.stderr).toContain(String(port));
    expect(client.stdout).not.toMatch(/listening on port/);

    const tracker = await run('tracker', ['-port', String(port)], 10_000);
    expect(tracker.code, tracker.proc.describe()).not.toBe(0);
    expect(tracker.code).not.toBeNull();
    expect(tracker.stderr).toMatch(/in use/i);
    expect(tracker.stderr).toContain(String(port));
    expect(tracker.stdout).not.toMatch(/listening on/);

    // The tracker's control plane needs the UDP port of the same number: taken, it says so in the same words.
    const udp = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, resolve));
    const udpPort = udp.address().port;
    try {
      const r = await run('tracker', ['-port', String(udpPort)], 10_000);
      expect(r.code, r.proc.describe()).not.toBe(0);
      expect(r.stderr).toMatch(new RegExp(`UDP port ${udpPort} .*already in use`));
    } finally {
      udp.close();
    }
  }, 25_000);

  it('keeps serving while the tracker is unreachable, then joins once it comes up', async () => {
    const trackerPort = await freePort();
    const dir = await makeFolder('A', { 'early.txt': 'before the tracker\n' });
    const proc = spawnCli('client', ['-folder', dir, '-port', '0', '-tracker', `127.0.0.1:${trackerPort}`]);
    const listening = await proc.waitForLine(/^listening on port (\d+)$/, 15_000);
    await proc.waitForLine(/unreachable|retrying/i, 5000, 'stderr');
    const elapsed = Date.now() - proc.startedAt;
    if (elapsed < 2000) await sleep(2000 - elapsed);
    expect(proc.alive, proc.describe()).toBe(true);
    // It really serves: its peer port accepts connections.
    expect(await canConnect(Number(listening[1]))).toBe(true);

    const tracker = await startTracker(['-port', String(trackerPort)]);
    expect(tracker.port).toBe(trackerPort);
    const t0 = Date.now();
    await proc.waitForLine(new RegExp(`connected to tracker 127\\.0\\.0\\.1:${trackerPort}$`), 10_000, 'stderr');
    const reconnectMs = Date.now() - t0;
    expect(reconnectMs).toBeLessThan(10_000);
    await waitForListing(trackerPort, hasNames(['early.txt']), 5000);
    expect(proc.alive).toBe(true);
  }, 40_000);

  it('SIGTERM makes a serving client exit 0 promptly and leave the listing', async () => {
    const a = await makeFolder('A', { 'leaving.txt': 'bye\n', 'sub/also.txt': 'also\n' });
    const b = await makeFolder('B', { 'staying.txt': 'still here\n' });
    const tracker = await startTracker();
    const clientA = await startClient(a, tracker.port);
    await startClient(b, tracker.port);
    await waitForListing(tracker.port, hasNames(['leaving.txt', 'sub/also.txt', 'staying.txt']));

    const t0 = Date.now();
    clientA.proc.child.kill('SIGTERM');
    const exit = await clientA.proc.waitForExit(5000);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(exit, clientA.proc.describe()).toEqual({ code: 0, signal: null });

    const rows = await waitForListing(tracker.port, (rs) => !rs.some((r) => r.name === 'leaving.txt' || r.name === 'sub/also.txt'), 4000);
    expect(rows.map((r) => r.name)).toEqual(['staying.txt']);

    // The tracker itself also stops cleanly on SIGTERM.
    const t1 = Date.now();
    tracker.proc.child.kill('SIGTERM');
    const trackerExit = await tracker.proc.waitForExit(5000);
    expect(Date.now() - t1).toBeLessThan(5000);
    expect(trackerExit, tracker.proc.describe()).toEqual({ code: 0, signal: null });
  }, 30_000);

  it('-help exits 0 with usage; an unknown option exits 2', async () => {
    for (const [command, usage, option] of [
      ['client', 'Usage: p2pclient', '-folder DIR'],
      ['tracker', 'Usage: p2ptracker', '-port N'],
    ] as const) {
      for (const flag of ['-help', '--help']) {
        const r = await run(command, [flag], 10_000);
        expect(r.code, r.proc.describe()).toBe(0);
        expect(r.stdout).toContain(usage);
        expect(r.stdout).toContain(option);
        expect(r.stderr).toBe('');
      }
      const bad = await run(command, ['-no-such-option'], 10_000);
      expect(bad.code, bad.proc.describe()).toBe(2);
      expect(bad.stderr).toMatch(/unknown option -+no-such-option/);
      expect(bad.stdout).toBe('');
      const badDouble = await run(command, ['--frobnicate=1'], 10_000);
      expect(badDouble.code, badDouble.proc.describe()).toBe(2);
      expect(badDouble.stderr).toMatch(/frobnicate/);
    }
    // Relaying for others and using no relay at all contradict each other; a bad cap is refused.
    const folder = await makeFolder('R');
    const both = await run('client', ['-folder', folder, '-relay', '-no-relay'], 10_000);
    expect(both.code, both.proc.describe()).toBe(2);
    expect(both.stderr).toContain('-relay and -no-relay do not go together');
    const cap = await run('client', ['-folder', folder, '-relay', '-relay-limit', '-5'], 10_000);
    expect(cap.code, cap.proc.describe()).toBe(2);
    expect(cap.stderr).toContain('-relay-limit must be between 0 and 10000000 KiB/s');
  }, 30_000);

  it('accepts --name VALUE and --name=VALUE as well as -name VALUE', async () => {
    const a = await makeFolder('A', { 'dd.txt': 'double dash\n' });
    const b = await makeFolder('B');
    const tracker = await startTracker(['--port=0']);

    const proc = spawnCli('client', ['--folder', a, '--port=0', `--tracker=127.0.0.1:${tracker.port}`]);
    const listening = await proc.waitForLine(/^listening on port (\d+)$/, 15_000);
    expect(Number(listening[1])).toBeGreaterThan(0);
    await proc.waitForLine(/connected to tracker/, 10_000, 'stderr');
    await waitForListing(tracker.port, hasNames(['dd.txt']));

    const list = await run('client', ['--tracker', `127.0.0.1:${tracker.port}`, '--list', '--json']);
    expect(list.code, list.proc.describe()).toBe(0);
    expect((JSON.parse(list.stdout) as Row[]).map((r) => r.name)).toEqual(['dd.txt']);

    const get = await run('client', [`--folder=${b}`, '--port', '0', '--tracker', `127.0.0.1:${tracker.port}`, '--get=dd.txt']);
    expect(get.code, get.proc.describe()).toBe(0);
    await expectSameBytes(path.join(a, 'dd.txt'), path.join(b, 'dd.txt'));
  }, 30_000);
});

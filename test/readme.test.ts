import { spawn, spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, symlink } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, CLI, ROOT } from './support/processes.mjs';

/** The README's set-up claims, checked against the package and the built bins. */
const requireHere = createRequire(import.meta.url);
const readme = () => readFile(path.join(ROOT, 'README.md'), 'utf8');

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});
beforeAll(assertBuilt);

describe('README set-up', () => {
  it('npx p2ptracker in the clone reuses the build, and an interrupted first call leaves npx working', async () => {
    const cache = await mkdtemp(path.join(os.tmpdir(), 'p2p-npx-cache-'));
    dirs.push(cache);
    const env = { ...process.env, npm_config_cache: cache, npm_config_yes: 'true', npm_config_update_notifier: 'false' };
    const builtAt = (await stat(CLI.tracker)).mtimeMs;
    // A first call killed part-way (as Ctrl-C would), then the real one.
    const first = spawn('npx', ['p2ptracker', '-genkey'], { cwd: ROOT, env, stdio: 'ignore', detached: true });
    await new Promise((r) => setTimeout(r, 300));
    try {
      process.kill(-first.pid!, 'SIGKILL');
    } catch {
      // already done
    }
    const run = spawnSync('npx', ['p2ptracker', '-genkey'], { cwd: ROOT, env, encoding: 'utf8', timeout: 60_000 });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout.trim().split('\n').at(-1)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect((await stat(CLI.tracker)).mtimeMs).toBe(builtAt); // not rebuilt by npx's install
  });

  it('states the Node versions that are true: the engines floor, and 22.12 for packaging because of @electron/rebuild and node-abi', async () => {
    const text = await readme();
    const engines = (requireHere('../package.json') as { engines: { node: string } }).engines.node;
    expect(text).toContain(`Node.js ${engines.replace(/^>=/, '')} or newer runs, builds and tests everything`);
    for (const dep of ['@electron/rebuild', 'node-abi']) {
      const manifest = JSON.parse(await readFile(path.join(ROOT, 'node_modules', dep, 'package.json'), 'utf8')) as { engines: { node: string } };
      const floor = manifest.engines.node;
      expect(text).toContain(`\`node ${floor}\``);
    }
  });

  it('the bins run through a symlink on PATH, as `npm link` installs them', async () => {
    const bin = await mkdtemp(path.join(os.tmpdir(), 'p2p-bin-'));
    dirs.push(bin);
    for (const [name, target] of Object.entries({ p2ptracker: CLI.tracker, p2pclient: CLI.client })) {
      await chmod(target, 0o755); // npm link marks bin targets executable
      await symlink(target, path.join(bin, name));
      const run = spawnSync(name, ['-help'], { env: { ...process.env, PATH: `${bin}${path.delimiter}${path.dirname(process.execPath)}${path.delimiter}/usr/bin:/bin` }, encoding: 'utf8', timeout: 15_000 });
      expect(run.status, `${name} -help: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`Usage: ${name}`));
    }
  });
});

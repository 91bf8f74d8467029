import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/** House style: files aim at 300 lines and split before this. */
const MAX_SOURCE_LINES = 600;
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

async function sources(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(ROOT, dir), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.tsx?$/.test(entry.name)) out.push(path.join(entry.parentPath, entry.name));
  }
  return out;
}

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3] ?? m[4]!);
}

/** The product files a file imports by relative path, as source paths (`./x.js` → `x.ts`). */
async function localImportsOf(file: string): Promise<string[]> {
  return (await importsOf(file))
    .filter((spec) => spec.startsWith('.'))
    .map((spec) => path.resolve(path.dirname(file), spec).replace(/\.js$/, '.ts'))
    .map((target) => (target.endsWith('.ts') || existsSync(target) ? target : existsSync(`${target}.tsx`) ? `${target}.tsx` : `${target}.ts`));
}

describe('layout rules', () => {
  it('the engine and the CLI never import Electron or the Electron glue', async () => {
    const offenders: string[] = [];
    for (const file of [...(await sources('electron/engine')), ...(await sources('electron/cli'))]) {
      for (const spec of await importsOf(file)) {
        if (spec === 'electron' || spec.startsWith('electron/') || /\/(main|preload)\//.test(spec)) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('shared/ is pure TypeScript: no Node built-ins, no Electron', async () => {
    const offenders: string[] = [];
    for (const file of await sources('shared')) {
      for (const spec of await importsOf(file)) {
        if (spec.startsWith('node:') || spec === 'electron' || ['fs', 'path', 'net', 'os', 'crypto'].includes(spec)) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('engine floors: core/ imports no other floor, wire/ nothing from index/, index/ nothing from wire/', async () => {
    const engine = path.join(ROOT, 'electron/engine');
    const floorOf = (file: string) => path.relative(engine, file).split(path.sep)[0];
    const forbidden: Record<string, string[]> = {
      core: ['wire', 'index', 'peer', 'tracker', 'discovery', 'security'],
      wire: ['index'],
      index: ['wire'],
    };
    const offenders: string[] = [];
    for (const file of await sources('electron/engine')) {
      const banned = forbidden[floorOf(file)!];
      if (!banned) continue;
      for (const spec of await importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        if (target.startsWith(engine + path.sep) && banned.includes(floorOf(target)!)) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('tracker/compact/ holds memory structures only: it imports nothing of the tracker domain', async () => {
    const compact = path.join(ROOT, 'electron/engine/tracker/compact');
    const offenders: string[] = [];
    for (const file of await sources('electron/engine/tracker/compact')) {
      for (const spec of await importsOf(file)) {
        if (!spec.startsWith('.')) continue;
        const target = path.resolve(path.dirname(file), spec);
        const allowed = target.startsWith(compact + path.sep) || target.startsWith(path.join(ROOT, 'shared') + path.sep) || target === path.join(ROOT, 'electron/engine/errors.js');
        if (!allowed) offenders.push(`${path.relative(ROOT, file)} → ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the engine never imports the layers above it: host/, cli/, main/, preload/, renderer/', async () => {
    const above = ['host', 'cli', 'main', 'preload'].map((d) => path.join(ROOT, 'electron', d) + path.sep).concat(path.join(ROOT, 'renderer') + path.sep);
    const offenders: string[] = [];
    for (const file of await sources('electron/engine')) {
      for (const target of await localImportsOf(file)) {
        if (above.some((dir) => target.startsWith(dir))) offenders.push(`${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it('the host, the Electron glue and the CLIs reach the engine only through its facade, engine/api.ts', async () => {
    const engine = path.join(ROOT, 'electron/engine') + path.sep;
    const facade = path.join(ROOT, 'electron/engine/api.ts');
    const offenders: string[] = [];
    for (const dir of ['electron/host', 'electron/main', 'electron/cli', 'electron/preload']) {
      for (const file of await sources(dir)) {
        for (const target of await localImportsOf(file)) {
          if (target.startsWith(engine) && target !== facade) offenders.push(`${path.relative(ROOT, file)} → ${path.relative(ROOT, target)}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('no import cycle among the product modules', async () => {
    const files = [...(await sources('electron')), ...(await sources('shared'))].filter((f) => !/\.(test|d)\.tsx?$/.test(f));
    const edges = new Map<string, string[]>();
    for (const file of files) edges.set(file, (await localImportsOf(file)).filter((t) => t.endsWith('.ts')));
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (file: string): void => {
      state.set(file, 'open');
      stack.push(file);
      for (const next of edges.get(file) ?? []) {
        if (state.get(next) === 'open') cycles.push(stack.slice(stack.indexOf(next)).concat(next).map((f) => path.relative(ROOT, f)).join(' → '));
        else if (!state.has(next)) visit(next);
      }
      stack.pop();
      state.set(file, 'done');
    };
    for (const file of files) if (!state.has(file)) visit(file);
    expect(cycles).toEqual([]);
  });

  it('no product source file reaches 600 lines (split by responsibility before then)', async () => {
    const tooLong: string[] = [];
    for (const dir of ['electron', 'shared', 'renderer/src']) {
      for (const file of await sources(dir)) {
        if (/\.test\.tsx?$/.test(file)) continue;
        const lines = (await readFile(file, 'utf8')).split('\n').length;
        if (lines >= MAX_SOURCE_LINES) tooLong.push(`${path.relative(ROOT, file)}: ${lines} lines`);
      }
    }
    expect(tooLong).toEqual([]);
  });
});

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

const IMPORT = /(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|require\(\s*['"]([^'"]+)['"]\s*\)/g;

async function importsOf(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]!);
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

/**
 * The installed app runs from resources/app.asar, not from the repo: a file or package missing
 * from it only shows when the installed app crashes at start. This builds the real package
 * (electron-builder.yml, Linux "dir" target) offline with a stand-in Electron and checks the archive.
 */
import { access, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { lstatSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AsarContents, missingDependencies, packageDirs, walkModuleGraph, type ModuleGraph } from './support/asar-modules.js';
import { buildUnpackedLinuxApp, readFuses, writeElectronStandIn, type UnpackedApp } from './support/packaged-app.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** electron-builder takes about 10 s here; the margin is for a busy machine. */
const BUILD_TIMEOUT_MS = 120_000;
/** Loaded by path, not imported: PRELOAD, RENDERER_DIR and ICON in electron/main/index.ts. */
const PRELOAD = 'dist/preload/index.cjs';
const RENDERER_DIR = 'dist/renderer';
const WINDOW_ICON = 'build/icon.png';
/** What a sandboxed preload may require (Electron's sandbox polyfills only these). */
const SANDBOXED_PRELOAD_MODULES = ['electron', 'events', 'timers', 'url'];
/** The hole-punching transport's prebuild for the Linux x64 target this test builds. */
const NATIVE_ADDON = 'node_modules/udx-native/prebuilds/linux-x64/udx-native.node';
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** What the repo holds and the installed app must not: [what, test on an archive path outside node_modules]. */
const FORBIDDEN_APP_FILES: Array<[string, RegExp]> = [
  ['tests', /^(test|e2e)\/|\.(test|spec)\.[cm]?[jt]sx?$/],
  ['benchmarks', /^bench\//],
  ['docs', /^docs\//],
  ['sources', /^(electron|renderer|shared|scripts)\/|\.(ts|tsx|mts|cts)$/],
  ['tool configs', /^(tsconfig[^/]*\.json|[^/]+\.config\.[cm]?[jt]s|package-lock\.json|electron-builder\.yml|\.gitignore)$/],
];
/** Never wanted anywhere, packages included. */
const FORBIDDEN_EVERYWHERE: Array<[string, RegExp]> = [
  ['source maps', /\.map$/],
  ['CI scripts', /(^|\/)\.ci\//],
  ['TypeScript', /\.(ts|tsx|mts|cts)$/],
];

interface ProjectPackageJson {
  main: string;
  dependencies: Record<string, string>;
}

async function readJson<T>(file: string): Promise<T> {
  return JSON.parse(await readFile(file, 'utf8')) as T;
}

async function requireBuiltDist(files: string[]): Promise<void> {
  for (const file of files) {
    await access(path.join(ROOT, file)).catch(() => {
      throw new Error(`${file} is missing: run \`npm run build\` before this test (\`npm test\` builds first).`);
    });
  }
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(path.join(ROOT, dir), { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'));
}

/** electron-builder asks `npm ls` which packages to ship; through a symlinked node_modules npm sees none of their dependencies. */
function dependencyTreeHint(): string {
  const symlinked = lstatSync(path.join(ROOT, 'node_modules')).isSymbolicLink();
  return symlinked ? 'node_modules is a symlink, so `npm ls` (and electron-builder) cannot see the dependency tree; check in a checkout with its own node_modules' : '';
}

function offenders(files: Iterable<string>, rules: Array<[string, RegExp]>): string[] {
  return [...files].flatMap((file) => rules.filter(([, pattern]) => pattern.test(file)).map(([what]) => `${what}: ${file}`));
}

describe('packaged app (electron-builder.yml, Linux dir target, stand-in Electron)', () => {
  let tmp: string | undefined;
  let app: UnpackedApp;
  let asar: AsarContents;
  let project: ProjectPackageJson;
  let mainGraph: ModuleGraph;

  beforeAll(async () => {
    project = await readJson<ProjectPackageJson>(path.join(ROOT, 'package.json'));
    await requireBuiltDist([project.main, PRELOAD, `${RENDERER_DIR}/index.html`]);
    // electron-builder takes electronVersion from the installed electron package; the stand-in says the same.
    const { version } = await readJson<{ version: string }>(path.join(ROOT, 'node_modules', 'electron', 'package.json'));
    tmp = await mkdtemp(path.join(os.tmpdir(), 'p2pshare-packaging-'));
    await writeElectronStandIn(path.join(tmp, 'electron-dist'), version);
    app = await buildUnpackedLinuxApp(ROOT, path.join(tmp, 'electron-dist'), path.join(tmp, 'out'));
    asar = new AsarContents(app.asarPath);
    mainGraph = walkModuleGraph(asar, [project.main]);
  }, BUILD_TIMEOUT_MS);

  afterAll(async () => {
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('holds package.json and the main entry, and every import from main resolves inside the archive', () => {
    expect(asar.has('package.json')).toBe(true);
    expect(asar.has(project.main)).toBe(true);
    expect(mainGraph.unresolved, dependencyTreeHint()).toEqual([]);
    // The engine and the host are loaded through main's imports, not listed by hand.
    const appModules = [...mainGraph.modules].filter((file) => file.startsWith('dist/'));
    expect(appModules.some((file) => file.startsWith('dist/electron/engine/'))).toBe(true);
    expect(appModules.some((file) => file.startsWith('dist/electron/host/'))).toBe(true);
  });

  it('ships every package main imports, declared in dependencies, with all that each depends on', () => {
    const imported = [...mainGraph.appImports].sort();
    expect(imported.length).toBeGreaterThan(0);
    expect(imported.filter((name) => !(name in project.dependencies))).toEqual([]);
    for (const name of imported) expect(asar.has(`node_modules/${name}/package.json`), name).toBe(true);
    expect(missingDependencies(asar, ['', ...packageDirs(asar)]), dependencyTreeHint()).toEqual([]);
  });

  it('holds the preload bundle, which requires nothing a sandboxed preload cannot', () => {
    expect(asar.has(PRELOAD)).toBe(true);
    const required = ts.preProcessFile(asar.text(PRELOAD), true, true).importedFiles.map((file) => file.fileName);
    expect(required.filter((name) => !SANDBOXED_PRELOAD_MODULES.includes(name))).toEqual([]);
  });

  it('holds the renderer build: every file of dist/renderer and everything index.html references', async () => {
    const built = (await filesUnder(RENDERER_DIR)).filter((file) => !file.endsWith('.map'));
    expect(built.filter((file) => !asar.has(file))).toEqual([]);
    const html = asar.text(`${RENDERER_DIR}/index.html`);
    const references = [...html.matchAll(/\s(?:src|href)="([^"]+)"/g)].map((match) => match[1]!).filter((ref) => !/^([a-z]+:|#|\/\/)/i.test(ref));
    expect(references.length).toBeGreaterThan(0);
    const unresolved = references.filter((ref) => !asar.has(path.posix.join(RENDERER_DIR, ref.replace(/^\//, ''))));
    expect(unresolved).toEqual([]);
  });

  it('holds the window icon main loads, as a PNG', () => {
    expect(asar.has(WINDOW_ICON)).toBe(true);
    expect(asar.bytes(WINDOW_ICON).subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)).toBe(true);
  });

  it('holds no tests, benchmarks, sources, source maps, CI scripts, docs or tool configs', () => {
    const appFiles = [...asar.files].filter((file) => !file.startsWith('node_modules/'));
    expect(offenders(appFiles, FORBIDDEN_APP_FILES)).toEqual([]);
    expect(offenders(asar.files, FORBIDDEN_EVERYWHERE)).toEqual([]);
  });

  it('holds one native addon, udx-native, as Node-API prebuilds for the target architecture, unpacked so it loads, so skipping the native rebuild changes nothing', async () => {
    const addons = [...asar.files].filter((file) => /\.node$|(^|\/)binding\.gyp$/.test(file));
    // Node-API binaries load in any Node or Electron of that platform: nothing to rebuild against Electron's headers.
    expect(addons).toContain(NATIVE_ADDON);
    expect(addons.filter((file) => !/^node_modules\/udx-native\/prebuilds\/(linux|darwin|win32)-x64\/udx-native\.node$/.test(file))).toEqual([]);
    expect(asar.unpacked(NATIVE_ADDON)).toBe(true);
    const binary = await readFile(path.join(path.dirname(app.asarPath), 'app.asar.unpacked', NATIVE_ADDON));
    expect(binary.subarray(0, 4).equals(Buffer.from([0x7f, 0x45, 0x4c, 0x46])), 'an ELF shared object').toBe(true);
    expect(binary.includes('napi_register_module_v1'), 'a Node-API module').toBe(true);
  });

  it('flips the fuses of the security checklist in the packaged executable', async () => {
    expect(await readFuses(app.executablePath)).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });
});

/**
 * Reads an app.asar and follows the module graph inside it the way Node would at run time:
 * relative imports, bare imports through node_modules lookup and package "exports"/"main".
 * Nothing is executed; specifiers come from TypeScript's import scanner.
 */
import { extractFile, listPackage, statFile } from '@electron/asar';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

const posix = path.posix;
/** Node's conditions for each way of loading (Electron's Node also matches "module-sync"). */
const IMPORT_CONDITIONS = ['node', 'import', 'module-sync', 'default'];
const REQUIRE_CONDITIONS = ['node', 'require', 'module-sync', 'default'];
/** Provided by Electron itself, like a Node built-in. */
const ELECTRON_BUILTINS = new Set(['electron']);

interface PackageJson {
  name?: string;
  type?: string;
  main?: string;
  exports?: unknown;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The files of an archive, as paths from its root with '/' separators. */
export class AsarContents {
  readonly files = new Set<string>();

  constructor(readonly archivePath: string) {
    for (const entry of listPackage(archivePath, { isPack: false })) {
      const file = entry.split(path.sep).join('/').replace(/^\//, '');
      if (!('files' in statFile(archivePath, file))) this.files.add(file);
    }
  }

  has(file: string): boolean {
    return this.files.has(file);
  }

  /** Stored beside the archive in app.asar.unpacked (where the OS loader can open it), not inside it. */
  unpacked(file: string): boolean {
    const entry = statFile(this.archivePath, file) as { unpacked?: boolean };
    return entry.unpacked === true;
  }

  bytes(file: string): Buffer {
    return extractFile(this.archivePath, file);
  }

  text(file: string): string {
    return this.bytes(file).toString('utf8');
  }

  packageJson(dir: string): PackageJson {
    return JSON.parse(this.text(posix.join(dir, 'package.json'))) as PackageJson;
  }
}

/** Splits 'name/sub/path' or '@scope/name/sub/path' into the package name and './sub/path'. */
export function splitBareSpecifier(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const nameParts = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(nameParts).join('/');
  return { name: parts.slice(0, nameParts).join('/'), subpath: rest ? `./${rest}` : '.' };
}

/** A folder and each of its parents, up to the archive root (''). */
function* ancestors(dir: string): Generator<string> {
  for (let current = dir === '.' ? '' : dir; ; current = posix.dirname(current) === '.' ? '' : posix.dirname(current)) {
    yield current;
    if (current === '') return;
  }
}

/** Node's node_modules lookup: fromDir/node_modules/name, then each parent's. */
export function findPackageDir(asar: AsarContents, fromDir: string, name: string): string | undefined {
  for (const dir of ancestors(fromDir)) {
    if (posix.basename(dir) === 'node_modules') continue;
    const candidate = posix.join(dir, 'node_modules', name);
    if (asar.has(`${candidate}/package.json`)) return candidate;
  }
  return undefined;
}

/** Every package folder in the archive (a package.json right under a node_modules/ entry). */
export function packageDirs(asar: AsarContents): string[] {
  return [...asar.files].filter((file) => /(^|\/)node_modules\/(@[^/]+\/)?[^/@][^/]*\/package\.json$/.test(file)).map((file) => posix.dirname(file));
}

function conditionalTarget(target: unknown, conditions: string[]): string | undefined {
  if (typeof target === 'string') return target;
  if (Array.isArray(target)) return target.map((item) => conditionalTarget(item, conditions)).find((item) => item !== undefined);
  if (target && typeof target === 'object') {
    for (const [condition, value] of Object.entries(target)) {
      if (!conditions.includes(condition)) continue;
      const resolved = conditionalTarget(value, conditions);
      if (resolved !== undefined) return resolved;
    }
  }
  return undefined;
}

/** The file a package subpath points at, per "exports" (exact keys and "*" patterns) or "main". */
function packageTarget(pkg: PackageJson, subpath: string, conditions: string[]): string | undefined {
  if (pkg.exports === undefined) return subpath === '.' ? (pkg.main ?? 'index.js') : subpath;
  const exportsField = pkg.exports;
  const isSubpathMap = typeof exportsField === 'object' && exportsField !== null && !Array.isArray(exportsField) && Object.keys(exportsField).some((key) => key.startsWith('.'));
  if (!isSubpathMap) return subpath === '.' ? conditionalTarget(exportsField, conditions) : undefined;
  const map = exportsField as Record<string, unknown>;
  if (subpath in map) return conditionalTarget(map[subpath], conditions);
  for (const [key, value] of Object.entries(map)) {
    const star = key.indexOf('*');
    if (star < 0) continue;
    const [prefix, suffix] = [key.slice(0, star), key.slice(star + 1)];
    if (!subpath.startsWith(prefix) || !subpath.endsWith(suffix)) continue;
    const target = conditionalTarget(value, conditions);
    return target?.replaceAll('*', subpath.slice(prefix.length, subpath.length - suffix.length));
  }
  return undefined;
}

/** CommonJS file resolution: exact, added extensions, then a folder's package.json "main" or index. */
function resolveLoosely(asar: AsarContents, file: string): string | undefined {
  for (const candidate of [file, `${file}.js`, `${file}.json`, `${file}.node`]) if (asar.has(candidate)) return candidate;
  if (asar.has(`${file}/package.json`)) {
    const main = asar.packageJson(file).main;
    const resolved = main ? resolveLoosely(asar, posix.join(file, main)) : undefined;
    if (resolved) return resolved;
  }
  for (const candidate of [`${file}/index.js`, `${file}/index.json`, `${file}/index.node`]) if (asar.has(candidate)) return candidate;
  return undefined;
}

export interface ModuleGraph {
  /** Every file reached from the entries. */
  modules: Set<string>;
  /** Bare specifiers the app's own code (outside node_modules) imports. */
  appImports: Set<string>;
  /** 'importer → specifier' for each import that would fail at run time. */
  unresolved: string[];
}

/** Follows every import and require reachable from the entries, as Node would resolve them. */
export function walkModuleGraph(asar: AsarContents, entries: string[]): ModuleGraph {
  const graph: ModuleGraph = { modules: new Set(), appImports: new Set(), unresolved: [] };
  const packageTypes = new Map<string, string | undefined>();
  /** Node reads "type" from the nearest package.json, which may be a nested one (zod/v4/package.json). */
  const nearestPackageType = (file: string): string | undefined => {
    for (const dir of ancestors(posix.dirname(file))) {
      if (asar.has(posix.join(dir, 'package.json'))) return asar.packageJson(dir).type;
    }
    return undefined;
  };
  const isEsm = (file: string): boolean => {
    if (file.endsWith('.mjs')) return true;
    if (!file.endsWith('.js')) return false;
    const dir = posix.dirname(file);
    if (!packageTypes.has(dir)) packageTypes.set(dir, nearestPackageType(file));
    return packageTypes.get(dir) === 'module';
  };

  const pending = [...entries];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (graph.modules.has(file)) continue;
    graph.modules.add(file);
    if (!/\.(c|m)?js$/.test(file)) continue;
    const esm = isEsm(file);
    const fromNodeModules = /(^|\/)node_modules\//.test(file);
    const ownerDir = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1];
    for (const { fileName: specifier } of ts.preProcessFile(asar.text(file), true, true).importedFiles) {
      if (isBuiltin(specifier) || ELECTRON_BUILTINS.has(specifier)) continue;
      let resolved: string | undefined;
      if (specifier.startsWith('.') || specifier.startsWith('/')) {
        const target = posix.join(posix.dirname(file), specifier);
        // ESM never guesses extensions or index files.
        resolved = esm ? (asar.has(target) ? target : undefined) : resolveLoosely(asar, target);
      } else {
        const { name, subpath } = splitBareSpecifier(specifier);
        if (!fromNodeModules) graph.appImports.add(name);
        const packageDir = findPackageDir(asar, posix.dirname(file), name);
        if (packageDir === undefined) {
          // Packages probe for optional helpers in try/catch (ws → bufferutil, debug → supports-color):
          // a miss only matters for what the importer declares it depends on.
          const declared = ownerDir === undefined ? {} : (asar.packageJson(ownerDir).dependencies ?? {});
          if (!fromNodeModules || name in declared) graph.unresolved.push(`${file} → ${specifier}`);
          continue;
        }
        const target = packageTarget(asar.packageJson(packageDir), subpath, esm ? IMPORT_CONDITIONS : REQUIRE_CONDITIONS);
        resolved = target === undefined ? undefined : resolveLoosely(asar, posix.join(packageDir, target));
      }
      if (resolved === undefined) graph.unresolved.push(`${file} → ${specifier}`);
      else pending.push(resolved);
    }
  }
  return graph;
}

/** 'package → dependency' for each declared (non-optional) dependency Node could not find from that package. */
export function missingDependencies(asar: AsarContents, dirs: string[]): string[] {
  const missing: string[] = [];
  for (const dir of dirs) {
    const pkg = asar.packageJson(dir);
    const optional = pkg.optionalDependencies ?? {};
    for (const name of Object.keys(pkg.dependencies ?? {})) {
      if (!(name in optional) && findPackageDir(asar, dir, name) === undefined) missing.push(`${dir || '(app)'} → ${name}`);
    }
  }
  return missing;
}

/**
 * Builds the unpacked Linux app with the project's own electron-builder.yml, offline:
 * Electron's binary can't be downloaded here, so a stand-in Electron folder takes its place.
 */
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Arch, build, Platform } from 'electron-builder';

/** @electron/fuses looks for this marker in the binary; the fuse wire follows it. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const FUSE_WIRE_VERSION = 1;
/** FuseV1Options in @electron/fuses order, and Electron's default for each ('1' on, '0' off). */
export const FUSE_NAMES = [
  'runAsNode',
  'enableCookieEncryption',
  'enableNodeOptionsEnvironmentVariable',
  'enableNodeCliInspectArguments',
  'enableEmbeddedAsarIntegrityValidation',
  'onlyLoadAppFromAsar',
  'loadBrowserProcessSpecificV8Snapshot',
  'grantFileProtocolExtraPrivileges',
] as const;
const ELECTRON_DEFAULT_FUSES = '10110001';
/** Any download attempt goes here and fails at once instead of reaching the internet. */
const NO_DOWNLOADS = 'http://127.0.0.1:9/';

export type FuseName = (typeof FUSE_NAMES)[number];

/**
 * The layout electron-builder copies for a Linux "electronDist": an `electron` executable
 * (here a few bytes holding a fuse wire set to Electron's defaults), `version`, `resources/`, `locales/`.
 */
export async function writeElectronStandIn(dir: string, electronVersion: string): Promise<void> {
  await mkdir(path.join(dir, 'resources'), { recursive: true });
  await mkdir(path.join(dir, 'locales'), { recursive: true });
  await writeFile(path.join(dir, 'locales', 'en-US.pak'), '');
  await writeFile(path.join(dir, 'version'), electronVersion);
  const wire = Buffer.from(ELECTRON_DEFAULT_FUSES, 'latin1');
  const binary = Buffer.concat([Buffer.from('electron stand-in\0'), Buffer.from(FUSE_SENTINEL), Buffer.from([FUSE_WIRE_VERSION, wire.length]), wire]);
  await writeFile(path.join(dir, 'electron'), binary);
  await chmod(path.join(dir, 'electron'), 0o755);
}

export interface UnpackedApp {
  appOutDir: string;
  asarPath: string;
  executablePath: string;
}

/**
 * `electron-builder --linux dir` with electron-builder.yml from projectDir and only these overrides:
 * the stand-in Electron, an output folder outside the repo, and no native rebuild (which would fetch
 * Electron headers; the test checks that the only native module is a Node-API prebuild).
 */
export async function buildUnpackedLinuxApp(projectDir: string, electronDist: string, outputDir: string): Promise<UnpackedApp> {
  await build({
    projectDir,
    targets: Platform.LINUX.createTarget('dir', Arch.x64),
    publish: 'never',
    config: {
      electronDist,
      electronDownload: { mirror: NO_DOWNLOADS },
      directories: { output: outputDir },
      npmRebuild: false,
    },
  });
  const appOutDir = path.join(outputDir, 'linux-unpacked');
  const executables = (await readdir(appOutDir, { withFileTypes: true })).filter((entry) => entry.isFile() && entry.name !== 'version');
  if (executables.length !== 1) throw new Error(`expected one executable in ${appOutDir}, found ${executables.map((entry) => entry.name).join(', ')}`);
  return { appOutDir, asarPath: path.join(appOutDir, 'resources', 'app.asar'), executablePath: path.join(appOutDir, executables[0]!.name) };
}

/** Reads the fuse wire back from the packaged executable: true = on, false = off. */
export async function readFuses(executablePath: string): Promise<Record<FuseName, boolean>> {
  const binary = await readFile(executablePath);
  const at = binary.indexOf(FUSE_SENTINEL);
  if (at < 0) throw new Error(`no fuse wire in ${executablePath}`);
  const length = binary[at + FUSE_SENTINEL.length + 1]!;
  const wire = binary.subarray(at + FUSE_SENTINEL.length + 2, at + FUSE_SENTINEL.length + 2 + length).toString('latin1');
  return Object.fromEntries(FUSE_NAMES.map((name, i) => [name, wire[i] === '1'])) as Record<FuseName, boolean>;
}

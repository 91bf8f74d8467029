// npm packages used only as references (webtorrent, bittorrent-tracker). They are
// installed into bench/.references, outside the app's dependencies, with install
// scripts off (a dependency's script insists on pnpm) and exact versions, so each run
// measures the same code.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REFERENCES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '.references');
export const REFERENCE_VERSIONS = { webtorrent: '3.0.21', 'bittorrent-tracker': '11.2.3' };

/** Installs the named reference packages when missing; returns the folder holding node_modules. */
export async function ensureNpmReferences(names) {
  const missing = names.filter((n) => !existsSync(path.join(REFERENCES_DIR, 'node_modules', n, 'package.json')));
  if (missing.length > 0) {
    await mkdir(REFERENCES_DIR, { recursive: true });
    if (!existsSync(path.join(REFERENCES_DIR, 'package.json'))) {
      await writeFile(path.join(REFERENCES_DIR, 'package.json'), `${JSON.stringify({ name: 'bench-references', private: true, type: 'module' }, null, 2)}\n`);
    }
    const specs = missing.map((n) => `${n}@${REFERENCE_VERSIONS[n]}`);
    console.log(`installing reference packages: ${specs.join(' ')}`);
    execFileSync('npm', ['install', '--ignore-scripts', '--no-audit', '--no-fund', '--save-exact', ...specs], { cwd: REFERENCES_DIR, stdio: 'inherit' });
  }
  return REFERENCES_DIR;
}

/** require() rooted in the references folder. */
export const referenceRequire = () => createRequire(path.join(REFERENCES_DIR, 'package.json'));

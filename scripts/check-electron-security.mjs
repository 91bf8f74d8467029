// Runs electronegativity (Electron's security checklist, statically) over the
// Electron glue and the renderer's HTML, and fails on any HIGH finding.
// Usage: node scripts/check-electron-security.mjs
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const stage = mkdtempSync(path.join(os.tmpdir(), 'p2p-eneg-'));
const report = path.join(stage, 'report.csv');
try {
  cpSync(path.join(root, 'electron/main'), path.join(stage, 'app/main'), { recursive: true });
  cpSync(path.join(root, 'electron/preload'), path.join(stage, 'app/preload'), { recursive: true });
  cpSync(path.join(root, 'renderer/index.html'), path.join(stage, 'app/index.html'));
  const electronVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const bin = path.join(root, 'node_modules/.bin/electronegativity');
  const run = spawnSync(bin, ['-i', path.join(stage, 'app'), '-e', electronVersion, '-r', '-o', report], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(run.stdout, run.stderr);
    process.exit(run.status ?? 1);
  }
  const rows = readFileSync(report, 'utf8').trim().split('\n').slice(1).filter(Boolean);
  const findings = rows.map((r) => {
    const [check, severity, confidence, file, location] = r.split(',').map((c) => c.replace(/^"|"$/g, ''));
    return { check, severity, confidence, file, location };
  });
  for (const f of findings) console.log(`electronegativity: ${f.severity.padEnd(13)} ${f.check} ${f.file}:${f.location}`);
  const high = findings.filter((f) => f.severity === 'HIGH' || f.severity === 'CRITICAL');
  console.log(`electronegativity: ${findings.length} findings, ${high.length} high`);
  process.exit(high.length === 0 ? 0 : 1);
} finally {
  rmSync(stage, { recursive: true, force: true });
}

// `npm start`: the desktop app where Electron's binary is installed, else the
// same host headless with its UI served to a browser (URL printed).
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The web UI's port unless P2P_UI_PORT says otherwise (6969 is the tracker's, 5000 the peers'). */
const DEFAULT_UI_PORT = 7070;
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let electronBinary;
try {
  electronBinary = createRequire(import.meta.url)('electron');
} catch {
  electronBinary = undefined;
}

const run = (cmd, args) => {
  const child = spawn(cmd, args, { stdio: 'inherit', cwd: root });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code) => process.exit(code ?? 0));
};

// P2P_HEADLESS=1 runs the headless host even where Electron is installed (a server, a test).
if (!process.env.P2P_HEADLESS && typeof electronBinary === 'string' && existsSync(electronBinary)) {
  run(electronBinary, ['.']);
} else {
  const folder = path.join(os.homedir(), 'P2P Share');
  mkdirSync(folder, { recursive: true });
  console.log('Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD?): starting the headless host; open the web UI address below.');
  // No -port: the listening port saved in Settings wins (5000 on the first start).
  // The UI port is fixed so a bookmark keeps working; the host moves it only when it is taken.
  run(process.execPath, [
    path.join(root, 'dist/electron/cli/p2pclient.js'),
    '-folder', folder, '-ui', process.env.P2P_UI_PORT || String(DEFAULT_UI_PORT), '-host-tracker', ...process.argv.slice(2),
  ]);
}

// `npm install` in the clone builds dist/. `npx p2pclient` run inside the clone
// installs the project into npx's cache and runs this again: there dist/ is
// already built (the cache links to this folder), so rebuilding would only make
// the first npx call slow and, if interrupted, leave npx's cache broken.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

const built = ['dist/electron/cli/p2pclient.js', 'dist/electron/cli/p2ptracker.js'].every((f) => existsSync(f));
if (process.env.npm_command === 'exec' && built) process.exit(0);
const result = spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' });
process.exit(result.status ?? 1);

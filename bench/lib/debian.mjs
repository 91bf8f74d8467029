// Installs the Debian packages a reference tool needs, once per run, when missing.
// Returns which commands are usable; a benchmark whose tool can't be had reports
// itself as unavailable (with the reason) instead of failing the whole run.
import { execFileSync, spawnSync } from 'node:child_process';

const have = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
let updated = false;

/**
 * ensureCommands({ aria2c: 'aria2', opentracker: 'opentracker' }) → { aria2c: true, ... , reason }.
 * Installs with apt-get (as root) the packages of the commands not on PATH.
 */
export function ensureCommands(commandToPackage) {
  const missing = Object.entries(commandToPackage).filter(([command]) => !have(command));
  const result = { reason: '' };
  if (missing.length > 0) {
    const packages = [...new Set(missing.map(([, pkg]) => pkg))];
    if (process.getuid?.() !== 0) {
      result.reason = `not root: install ${packages.join(' ')} with apt-get`;
    } else {
      try {
        const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
        console.log(`installing Debian packages: ${packages.join(' ')}`);
        if (!updated) execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
        updated = true;
        // policy-rc.d 101 keeps package scripts from starting system services (transmission-daemon, opentracker).
        execFileSync('sh', ['-c', `printf '#!/bin/sh\\nexit 101\\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d; apt-get install -y -qq --no-install-recommends ${packages.join(' ')}; s=$?; rm -f /usr/sbin/policy-rc.d; exit $s`], { stdio: 'inherit', env });
      } catch (error) {
        result.reason = `apt-get install ${packages.join(' ')} failed: ${error.message}`;
      }
    }
  }
  for (const command of Object.keys(commandToPackage)) result[command] = have(command);
  return result;
}

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { defineConfig } from '@playwright/test';

const electronBinary = (() => {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin);
  } catch {
    return false;
  }
})();
if (!electronBinary && !process.env.PLAYWRIGHT_QUIET_ELECTRON) {
  process.env.PLAYWRIGHT_QUIET_ELECTRON = '1'; // the config is loaded by every worker: say it once
  console.log("electron project: skipped, Electron's binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD); the browser project runs the same specs against the headless host.");
}

/**
 * End-to-end specs drive the real UI against real processes on loopback.
 * `browser`: Debian's Chromium against the headless host (p2pclient -ui).
 * `electron`: the same flows in the desktop app, where Electron's binary exists.
 */
export default defineConfig({
  testDir: 'e2e',
  timeout: 90_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [['list']],
  outputDir: 'test-results',
  use: {
    headless: true,
    viewport: { width: 1280, height: 800 },
    actionTimeout: 15_000,
    trace: 'off',
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'],
    },
  },
  projects: [
    { name: 'browser', testIgnore: /electron\.spec\.ts/ },
    // The same UI specs, in the desktop app; each skips with its reason where Electron's binary is missing.
    { name: 'electron', testMatch: [/app\.spec\.ts/, /scale\.spec\.ts/, /electron\.spec\.ts/] },
  ],
});

import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { test as base, _electron, type Page } from '@playwright/test';
import { ROOT, type SpawnedProcess } from '../test/support/processes.mjs';
import { TestNetwork } from './network';

function electronBinary(): string | undefined {
  try {
    const bin = createRequire(import.meta.url)('electron') as unknown;
    return typeof bin === 'string' && existsSync(bin) ? bin : undefined;
  } catch {
    return undefined;
  }
}
export const ELECTRON_BINARY = electronBinary();

export interface AppOptions {
  folder: string;
  dataDir: string;
  trackers: string[];
  /** Extra command-line options for the headless host (browser project only). */
  hostArgs?: string[];
}

export interface RunningApp {
  page: Page;
  /** Stops the app cleanly (as Quit does) and starts it again on the same data. */
  restart(): Promise<Page>;
  /** The host process (browser project), for its output. */
  proc?: SpawnedProcess;
}

interface Fixtures {
  net: TestNetwork;
  openApp: (options: AppOptions) => Promise<RunningApp>;
}

/**
 * `openApp` starts the app the way the current project runs it: the headless
 * host plus Chromium (`browser`), or the Electron app (`electron`). Specs are
 * written once against the UI and run in both.
 */
export const test = base.extend<Fixtures>({
  // eslint-disable-next-line no-empty-pattern -- Playwright reads the fixture signature
  net: async ({}, use) => {
    const net = new TestNetwork();
    await use(net);
    await net.close();
  },
  openApp: async ({ net, browser }, use, testInfo) => {
    const closers: Array<() => Promise<void>> = [];
    const electron = testInfo.project.name === 'electron';
    if (electron && !ELECTRON_BINARY) {
      testInfo.skip(true, "Electron's binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD), so the desktop project cannot run; the browser project covers the same UI against the same host.");
    }
    const open = async (o: AppOptions): Promise<RunningApp> => {
      if (electron) {
        await mkdir(o.dataDir, { recursive: true });
        await writeFile(
          path.join(o.dataDir, 'settings.json'),
          JSON.stringify({
            version: 1,
            settings: { trackers: o.trackers, listenPort: 0, downloadDir: o.folder, theme: 'light', uploadLimitKiB: 0, downloadLimitKiB: 0, hostTracker: false, hostTrackerPort: 6969, openMode: false, dht: false },
            folders: [o.folder],
            downloads: [],
          }),
        );
        await writeFile(path.join(o.dataDir, 'network.key'), `${net.key}\n`, { mode: 0o600 });
        const launch = async () => {
          const app = await _electron.launch({ executablePath: ELECTRON_BINARY, args: [ROOT], env: { ...process.env, P2P_USER_DATA: o.dataDir } });
          closers.push(() => app.close());
          const page = await app.firstWindow();
          return { app, page };
        };
        let current = await launch();
        return {
          page: current.page,
          restart: async () => {
            await current.app.close();
            current = await launch();
            return current.page;
          },
        };
      }
      const args = ['-port', '0', '-tracker', o.trackers.join(','), ...(o.hostArgs ?? [])];
      let host = await net.host(o.folder, o.dataDir, args);
      const context = await browser.newContext();
      closers.push(() => context.close());
      let page = await context.newPage();
      await page.goto(host.url);
      const running: RunningApp = {
        page,
        proc: host.proc,
        restart: async () => {
          await host.proc.stop('SIGTERM');
          host = await net.host(o.folder, o.dataDir, args);
          running.proc = host.proc;
          page = await context.newPage();
          await page.goto(host.url);
          running.page = page;
          return page;
        },
      };
      return running;
    };
    await use(open);
    for (const close of closers.reverse()) await close().catch(() => {});
  },
});

export { expect } from '@playwright/test';

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EventPayload, Settings } from '../../shared/ipc/contract.js';
import { defaultSettings } from '../../shared/settings-defaults.js';
import { EngineError, errorMessage, type Logger, type NetworkKey } from '../engine/api.js';
import { AppHost } from '../host/app-host.js';
import { browserIntegration } from '../host/desktop-integration.js';
import { UiServer } from '../host/ui-server.js';

const here = path.dirname(fileURLToPath(import.meta.url));
/** dist/electron/cli → dist/renderer */
export const RENDERER_DIR = path.resolve(here, '../../renderer');

export function appVersion(): string {
  try {
    return (createRequire(import.meta.url)('../../../package.json') as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

export interface HeadlessHostOptions {
  folder: string;
  port: number;
  uiPort: number;
  uiHost: string;
  trackers: string[];
  dataDir: string;
  limits: { up: number; down: number };
  /** -dht: its bootstrap nodes. */
  dht?: { port: number; bootstrap: string[] } | undefined;
  /** From -key/-keyfile/P2P_KEY/the stored key; undefined with -open. */
  networkKey: NetworkKey | undefined;
  /** Host a tracker on this port (the app's "Host tracker" setting). */
  hostTracker?: number | undefined;
  /** Options present on the command line: they override saved settings on every start. */
  given: Set<string>;
  logger: Logger;
  signalled: Promise<NodeJS.Signals>;
}

/**
 * The web UI's access token, kept (owner-only) in the data folder so an open
 * browser tab reconnects after the host restarts.
 */
async function loadUiToken(dataDir: string): Promise<string> {
  const file = path.join(dataDir, 'ui-token');
  try {
    const token = (await readFile(file, 'utf8')).trim();
    if (/^[A-Za-z0-9_-]{32,}$/.test(token)) return token;
  } catch {
    // first start
  }
  const token = randomBytes(24).toString('base64url');
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/**
 * Starts the web UI on `requested` so that a bookmark keeps working: when that
 * port is taken, on the port the last run used, else on any free one; the
 * port used is remembered in the data folder. 0 means any free port, every time.
 * Returns a line to print when the UI is not where it was asked to be.
 */
async function startUi(ui: UiServer, requested: number, dataDir: string): Promise<string | undefined> {
  if (requested === 0) {
    await ui.start(0);
    return undefined;
  }
  const file = path.join(dataDir, 'ui-port');
  const remembered = Number((await readFile(file, 'utf8').catch(() => '')).trim()) || 0;
  const candidates = [...new Set([requested, remembered, 0])];
  let refusal: EngineError | undefined;
  for (const port of candidates) {
    try {
      await ui.start(port);
      break;
    } catch (err) {
      if (!(err instanceof EngineError && err.code === 'port_in_use') || port === 0) throw err;
      refusal ??= err;
    }
  }
  if (ui.port !== remembered) await writeFile(file, `${ui.port}\n`);
  return refusal ? `port ${requested} is in use: the web UI listens on port ${ui.port} instead` : undefined;
}

/** What another machine needs to join the tracker hosted here, as the Invite panel shows it. */
async function inviteLines(host: AppHost): Promise<string> {
  try {
    const { link } = await host.handlers['network:invite']({});
    return `invite: ${link}\n(on another machine: npm start, open its web UI and paste this in Network → Join a network)\n`;
  } catch (err) {
    return `no invite: ${errorMessage(err)}\n`;
  }
}

/** `p2pclient -ui PORT`: the app's host without a window, its UI served to a browser. */
export async function runHeadlessHost(o: HeadlessHostOptions): Promise<number> {
  const app = defaultSettings(o.folder);
  // A first start does what the command line says, the app's defaults elsewhere.
  const defaults: Settings = {
    ...app,
    trackers: o.trackers,
    listenPort: o.port,
    uploadLimitKiB: o.limits.up,
    downloadLimitKiB: o.limits.down,
    hostTracker: o.hostTracker !== undefined,
    hostTrackerPort: o.hostTracker ?? app.hostTrackerPort,
    openMode: o.networkKey === undefined,
    dht: o.dht !== undefined,
  };
  const overrides: Partial<Settings> = {};
  if (o.given.has('tracker')) overrides.trackers = o.trackers;
  if (o.given.has('port')) overrides.listenPort = o.port;
  if (o.given.has('limit-up')) overrides.uploadLimitKiB = o.limits.up;
  if (o.given.has('limit-down')) overrides.downloadLimitKiB = o.limits.down;
  if (o.dht) overrides.dht = true;
  // -no-upnp turns port mapping off for this run and the saved settings; without it the saved choice stands.
  if (o.given.has('no-upnp')) overrides.upnp = false;
  if (o.given.has('no-punch')) overrides.punch = false;
  if (o.given.has('no-relay')) overrides.relay = false;
  if (o.given.has('relay')) overrides.relayForOthers = true;
  if (o.given.has('no-lan')) overrides.lan = false;
  if (o.hostTracker !== undefined) overrides.hostTracker = true;
  // The hosted tracker's port is the saved one unless the command line names it.
  if (o.hostTracker !== undefined && o.given.has('host-tracker-port')) overrides.hostTrackerPort = o.hostTracker;
  const host = new AppHost({
    dataDir: o.dataDir,
    integration: browserIntegration,
    version: appVersion(),
    logger: o.logger,
    defaults: { settings: defaults, folders: [o.folder] },
    overrides: { settings: overrides, folders: [o.folder] },
    networkKey: o.networkKey ?? null,
    ...(o.dht ? { dhtBootstrap: o.dht.bootstrap } : {}),
  });
  await host.start();
  const ui = new UiServer({ host, staticDir: RENDERER_DIR, port: o.uiPort, bindHost: o.uiHost, logger: o.logger, token: await loadUiToken(o.dataDir) });
  let uiMoved: string | undefined;
  try {
    uiMoved = await startUi(ui, o.uiPort, o.dataDir);
  } catch (err) {
    await host.stop();
    throw err;
  }
  process.stdout.write(`sharing ${o.folder}\nlistening on port ${host.engine.port}\n`);
  if (uiMoved) process.stdout.write(`${uiMoved}\n`);
  process.stdout.write(`web UI: ${ui.url}\n`);
  if (host.status().hostedTracker.running) process.stdout.write(await inviteLines(host));
  // The router's public address comes seconds later (or never): the invite is printed again with it.
  let addresses = host.status().hostedTracker.addresses.join(',');
  const unsubscribe = host.subscribe((event, payload) => {
    if (event !== 'status:changed') return;
    const hosted = (payload as EventPayload<'status:changed'>).hostedTracker;
    const now = hosted.addresses.join(',');
    if (!hosted.running || now === addresses) return;
    addresses = now;
    void inviteLines(host).then((lines) => process.stdout.write(lines));
  });
  const signal = await o.signalled;
  unsubscribe();
  o.logger.info(`${signal}: stopping`);
  await ui.stop();
  await host.stop();
  return 0;
}

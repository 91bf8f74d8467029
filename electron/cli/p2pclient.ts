#!/usr/bin/env node
import { existsSync } from 'node:fs';
import path from 'node:path';
import { stat } from 'node:fs/promises';
import { DEFAULT_TRACKER_ADDRESS } from '../../shared/protocol/limits.js';
import type { ListingItem } from '../../shared/protocol/messages.js';
import type { DownloadProgress, PeerRoute } from '../../shared/types.js';
import { adoptMembership, DEFAULT_RELAY_LIMIT_KIBPS, defaultDataDir, storedKeyPath, writeKeyFile, Engine, EngineError, loadMemberCard, instanceDataDir, parseHostPort, PUBLIC_BOOTSTRAP, streamLogger } from '../engine/api.js';
import { givenOptions, helpText, parseArgs, parsePort, UsageError } from './args.js';
import { chooseNetworkKey, KEY_OPTIONS } from './network-key-options.js';
import { formatBytes, plural } from './format.js';
import { ProgressBar } from './progress-bar.js';
import { runMain, untilSignal } from './run.js';
import { joinWithInvite } from './membership-commands.js';

const OPTIONS = {
  folder: { type: 'string', value: 'DIR', description: 'folder to share (recursively); downloads land here' },
  port: { type: 'number', value: 'N', description: 'TCP port to serve other peers on; 0 picks a free one', default: 5000 },
  tracker: { type: 'string', value: 'HOST:PORT[,…]', description: 'tracker address(es)', default: DEFAULT_TRACKER_ADDRESS },
  get: { type: 'string', value: 'NAME', description: 'download NAME (a listed path or a content-hash prefix) into DIR, then exit' },
  seed: { type: 'boolean', description: 'with -get: keep sharing after the download' },
  list: { type: 'boolean', description: "print the network's files and exit" },
  json: { type: 'boolean', description: 'with -list: print one JSON array' },
  search: { type: 'string', value: 'TEXT', description: 'with -list: only names containing TEXT' },
  timeout: { type: 'number', value: 'SECONDS', description: 'with -get/-list: how long to wait for a tracker', default: 30 },
  'max-peers': { type: 'number', value: 'N', description: 'peers one download uses at once', default: 4 },
  'limit-up': { type: 'number', value: 'KiB/s', description: 'upload rate limit, 0 for none', default: 0 },
  'limit-down': { type: 'number', value: 'KiB/s', description: 'download rate limit, 0 for none', default: 0 },
  ...KEY_OPTIONS,
  dht: { type: 'boolean', description: 'also find peers on the Mainline DHT (without -tracker: DHT only, no tracker)' },
  'dht-port': { type: 'number', value: 'N', description: 'UDP port of the DHT node (0 = any free one)', default: 0 },
  bootstrap: { type: 'string', value: 'HOST:PORT[,…]', description: 'DHT bootstrap nodes (default: the public ones)' },
  ui: { type: 'number', value: 'PORT', description: 'serve the app\'s UI to a browser on PORT (0 = any free port); prints the address with its access token' },
  'ui-host': { type: 'string', value: 'ADDR', description: 'address the web UI listens on', default: '127.0.0.1' },
  'host-tracker': { type: 'boolean', description: 'with -ui: also host a tracker (port from -host-tracker-port)' },
  'host-tracker-port': { type: 'number', value: 'N', description: 'port of the hosted tracker', default: 6969 },
  'include-hidden': { type: 'boolean', description: 'also share dotfiles and dot-folders' },
  'no-lan': { type: 'boolean', description: "don't find, or be found by, members on this network (mDNS) (also: P2P_NO_LAN=1)" },
  'no-upnp': { type: 'boolean', description: "don't ask the router (UPnP) to forward the peer port (also: P2P_NO_UPNP=1)" },
  'no-punch': { type: 'boolean', description: "don't reach peers behind NATs by UDP hole punching" },
  'no-relay': { type: 'boolean', description: "don't use or answer for a tracker's relay" },
  relay: { type: 'boolean', description: 'relay for other members that reach each other no other way (used once a tracker finds this peer reachable)' },
  'relay-limit': { type: 'number', value: 'KiB/s', description: 'with -relay: cap of all the relaying for others together, 0 for none (at most 8 connections at once)', default: DEFAULT_RELAY_LIMIT_KIBPS },
  join: { type: 'string', value: 'INVITE', description: 'join a managed network with a member invite (p2p://…/join#…), keep the certificate and key in the data dir, and exit' },
  name: { type: 'string', value: 'NAME', description: 'with -join: the name other members see (default: this machine\'s name)' },
  data: { type: 'string', value: 'DIR', description: 'state folder (hash cache, resume records); default per user, or $P2P_DATA_DIR' },
  verbose: { type: 'boolean', description: 'log protocol details' },
  quiet: { type: 'boolean', description: 'log only warnings and errors' },
  help: { type: 'boolean', description: 'show this help' },
} as const;

runMain('p2pclient', async () => {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) {
    process.stdout.write(
      helpText(
        'Usage: p2pclient -folder DIR [-port N] [-tracker HOST:PORT] [-get NAME [-seed]]\n       p2pclient [-tracker HOST:PORT] -list [-json]',
        'Shares a folder with the network and downloads files from other peers.',
        OPTIONS,
        `Without -tracker the client uses ${DEFAULT_TRACKER_ADDRESS} (a tracker on this machine).`,
      ),
    );
    return 0;
  }
  const given = givenOptions(process.argv.slice(2));
  const baseDataDir = args.data ? path.resolve(args.data) : defaultDataDir();
  if (args.join !== undefined) return void (await joinWithInvite(baseDataDir, args.join, args.name));
  if (args.name !== undefined) throw new UsageError('-name goes with -join');
  // A member (p2pclient -join) uses the identity its certificate names, and by default the trackers it joined through.
  const card = await loadMemberCard(baseDataDir);
  // With -dht and no -tracker, discovery is DHT only.
  const trackerText = args.dht && !given.has('tracker') ? '' : ((given.has('tracker') ? args.tracker : card?.trackers.join(',')) || DEFAULT_TRACKER_ADDRESS);
  const trackers = trackerText.split(',').map((t) => t.trim()).filter(Boolean);
  const dht = args.dht
    ? { port: parsePort(args['dht-port'], 'dht-port'), bootstrap: args.bootstrap ? args.bootstrap.split(',').map((b) => b.trim()).filter(Boolean) : PUBLIC_BOOTSTRAP }
    : undefined;
  if (!args.dht && (given.has('dht-port') || given.has('bootstrap'))) throw new UsageError('-dht-port and -bootstrap go with -dht');
  for (const t of trackers) {
    try {
      parseHostPort(t);
    } catch (err) {
      throw new UsageError(`-tracker: ${(err as Error).message}`);
    }
  }
  if (trackers.length === 0 && !dht) throw new UsageError('-tracker needs at least one HOST:PORT');
  const timeoutMs = Math.max(1, args.timeout ?? 30) * 1000;
  const maxPeers = args['max-peers'] ?? 4;
  if (!Number.isInteger(maxPeers) || maxPeers < 1 || maxPeers > 64) throw new UsageError('-max-peers must be from 1 to 64');
  const limitUp = args['limit-up'] ?? 0;
  const limitDown = args['limit-down'] ?? 0;
  for (const [name, v] of [['limit-up', limitUp], ['limit-down', limitDown]] as const) {
    if (!(v >= 0 && v <= 10_000_000)) throw new UsageError(`-${name} must be a rate in KiB/s from 0 (unlimited) up`);
  }
  if (args.relay && args['no-relay']) throw new UsageError('-relay and -no-relay do not go together');
  const relayLimit = args['relay-limit'] ?? DEFAULT_RELAY_LIMIT_KIBPS;
  if (!(relayLimit >= 0 && relayLimit <= 10_000_000)) throw new UsageError('-relay-limit must be between 0 and 10000000 KiB/s');
  const logger = streamLogger(process.stderr, args.verbose ? 'debug' : args.quiet ? 'warn' : 'info');
  // P2P_NO_LAN=1: tests and CI, where nothing may multicast on the machine's real network.
  const lan = !args['no-lan'] && process.env.P2P_NO_LAN !== '1';

  if (args.list) {
    if (args.get) throw new UsageError('-list and -get do not go together');
    // Listing is a one-shot query: only problems are worth printing.
    const quiet = streamLogger(process.stderr, args.verbose ? 'debug' : 'warn');
    const { key } = await chooseNetworkKey(args, baseDataDir, 'client', quiet);
    const engine = new Engine({ dataDir: path.join(baseDataDir, 'query'), cacheDir: baseDataDir, port: 0, trackers, queryOnly: true, logger: quiet, networkKey: key, lan, identity: card?.identity });
    await engine.start();
    try {
      await waitForTrackerOrCache(engine, timeoutMs);
      const items = await engine.listAll(args.search ?? '');
      if (items.stale) process.stderr.write(`p2pclient: no tracker answered: this is the listing saved ${ago(items.stale.savedAt)} (stale)\n`);
      printListing(items, args.json);
    } finally {
      await engine.stop();
    }
    return 0;
  }

  if (!args.folder) throw new UsageError('-folder DIR is required (the folder to share)');
  if (args.json || args.search) throw new UsageError('-json and -search go with -list');
  if (args.seed && !args.get) throw new UsageError('-seed goes with -get');
  const folder = path.resolve(args.folder);
  const port = parsePort(args.port);
  // A missing folder is the first thing to report, before keys or ports.
  const folderStat = await stat(folder).catch(() => undefined);
  if (!folderStat?.isDirectory()) throw new EngineError('folder_unreadable', `cannot share ${folder}: ${folderStat ? 'that is not a folder' : 'that folder does not exist'}`);
  // Hosting the tracker (the app's default, and npm start's) makes this node the network's founder:
  // with no key anywhere it creates and stores one, as p2ptracker does.
  const { key: networkKey } = await chooseNetworkKey(args, baseDataDir, args['host-tracker'] ? 'tracker' : 'client', logger);
  if (args.ui !== undefined) {
    if (args.get) throw new UsageError('-ui and -get do not go together: download from the web UI');
    const given = givenOptions(process.argv.slice(2));
    // The web UI host (HTTP server, WebSocket, QR codes) loads only when asked for.
    const { runHeadlessHost } = await import('./headless-host.js');
    return runHeadlessHost({
      folder,
      port,
      uiPort: parsePort(args.ui, 'ui'),
      uiHost: args['ui-host'] ?? '127.0.0.1',
      trackers,
      dataDir: instanceDataDir(baseDataDir, folder),
      limits: { up: limitUp, down: limitDown },
      networkKey,
      dht,
      hostTracker: args['host-tracker'] ? parsePort(args['host-tracker-port'], 'host-tracker-port') : undefined,
      given,
      logger,
      signalled: untilSignal(),
    });
  }
  const engine = new Engine({
    identity: card?.identity,
    ownerKey: card?.ownerKey,
    revocationsFile: card ? path.join(baseDataDir, 'member', 'revocations.json') : undefined,
    dataDir: instanceDataDir(baseDataDir, folder),
    cacheDir: baseDataDir,
    dht,
    port,
    trackers,
    folders: [folder],
    logger,
    maxPeersPerDownload: maxPeers,
    includeHidden: args['include-hidden'],
    networkKey,
    uploadLimit: Math.round(limitUp * 1024),
    downloadLimit: Math.round(limitDown * 1024),
    // -get waits stalled for a holder to come back at most this long, then exits with no_peers.
    stallTimeoutMs: timeoutMs,
    // -get maps too: a holder that can't be dialled can then dial back to us (connection reversal).
    portMapping: !args['no-upnp'] && process.env.P2P_NO_UPNP !== '1',
    punch: !args['no-punch'],
    relay: !args['no-relay'],
    offerRelay: args.relay ? { limitKiBps: relayLimit } : false,
    lan,
  });
  // Our tracker turned managed membership on while we ran: keep the certificate, so later runs are members too.
  engine.on('membership', (membership) => {
    const identity = engine.identity;
    if (!identity) return;
    // The key too, so that later runs need no -key/-keyfile, as after -join.
    const keyKept = networkKey && !existsSync(storedKeyPath(baseDataDir)) ? writeKeyFile(storedKeyPath(baseDataDir), networkKey) : Promise.resolve();
    Promise.all([adoptMembership(baseDataDir, identity, { ...membership, trackers }), keyKept])
      .then(() => logger.info(`kept the member certificate in ${path.join(baseDataDir, 'member')}`))
      .catch((err: unknown) => logger.warn(`could not keep the member certificate: ${(err as Error).message}`));
  });
  engine.on('port-mapped', (mapped) => logger.info(`reachable from outside at ${mapped.host}:${mapped.port} (${mapped.method === 'upnp' ? 'UPnP' : 'NAT-PMP'} port mapping)`));
  const signalled = untilSignal();
  await engine.start();
  const shared = engine.folders()[0]!;
  process.stdout.write(`sharing ${plural(shared.files, 'file')} (${formatBytes(shared.bytes)}) from ${folder}\n`);
  process.stdout.write(`listening on port ${engine.port}\n`);

  if (args.get) {
    const outcome = await Promise.race([download(engine, args.get, folder, timeoutMs).then(() => 'done' as const), signalled]);
    if (outcome !== 'done') {
      logger.info(`${outcome}: stopping; verified pieces are kept for resume`);
      await engine.stop();
      return 130;
    }
    if (!args.seed) {
      await engine.stop();
      return 0;
    }
    await engine.flushAnnouncements();
    process.stdout.write('seeding; press Ctrl-C to stop\n');
  } else {
    process.stdout.write('serving; press Ctrl-C to stop\n');
  }
  const signal = await signalled;
  logger.info(`${signal}: leaving the network`);
  await engine.stop();
  return 0;
});

async function download(engine: Engine, name: string, folder: string, timeoutMs: number): Promise<void> {
  try {
    await waitForTrackerOrCache(engine, trackersGiven(engine) ? timeoutMs : 0);
    const item = await engine.resolve(name);
    const target = path.join(folder, ...item.name.split('/'));
    if (engine.hasContent(item.hash) && (await stat(target).then((s) => s.size === item.size, () => false))) {
      const existing = engine.folders().length ? target : '';
      process.stdout.write(`already have ${item.name} (${item.hash.slice(0, 12)}) at ${existing}\n`);
      return;
    }
    process.stdout.write(`downloading ${item.name} (${formatBytes(item.size)}, ${item.hash.slice(0, 12)}) from ${plural(item.peers, 'peer')}\n`);
    const bar = new ProgressBar(process.stdout);
    const onProgress = (rows: DownloadProgress[]) => {
      const row = rows.find((p) => p.hash === item.hash);
      if (row) bar.update(row);
    };
    engine.on('downloads', onProgress);
    try {
      const finalPath = await engine.fetch(item, folder);
      bar.finish();
      process.stdout.write(`done: ${finalPath} verified (${item.hash})\n`);
      const routes = engine.downloads().find((d) => d.hash === item.hash)?.routes;
      if (routes?.length) process.stdout.write(`${describeRoutes(routes)}\n`);
    } finally {
      bar.finish();
      engine.off('downloads', onProgress);
    }
  } catch (err) {
    await engine.stop();
    throw err instanceof EngineError ? err : new EngineError('io_error', String(err));
  }
}

/** "from: 1a2b3c4d punched 64.0 MiB, 5e6f7a8b direct 12.0 MiB": each peer, how it was reached, what it gave. */
function describeRoutes(routes: PeerRoute[]): string {
  return `from: ${routes.map((r) => `${r.peer} ${r.path} ${formatBytes(r.bytes)}`).join(', ')}`;
}

function printListing(items: ListingItem[], json: boolean): void {
  if (json) {
    process.stdout.write(`${JSON.stringify(items.map((i) => ({ name: i.name, size: i.size, hash: i.hash, peers: i.peers })))}\n`);
    return;
  }
  if (items.length === 0) {
    process.stdout.write('the network shares no files yet\n');
    return;
  }
  process.stdout.write(`${'SIZE'.padStart(10)}  ${'PEERS'.padStart(5)}  ${'HASH'.padEnd(12)}  NAME\n`);
  for (const i of items) {
    process.stdout.write(`${formatBytes(i.size).padStart(10)}  ${String(i.peers).padStart(5)}  ${i.hash.slice(0, 12)}  ${i.name}\n`);
  }
  process.stdout.write(`${plural(items.length, 'file')}\n`);
}

function trackersGiven(engine: Engine): boolean {
  return engine.trackers().length > 0;
}

/** How long a run with no tracker to wait for listens for members on this network. */
const LAN_WAIT_MS = 2000;

/**
 * Waits for a tracker, or for a member on this network (whichever answers first); if neither
 * does, carries on with the saved listing (or the DHT) and says so.
 */
async function waitForTrackerOrCache(engine: Engine, timeoutMs: number): Promise<void> {
  const lan = engine.lan;
  if (!trackersGiven(engine)) {
    await lan?.waitForPeers(LAN_WAIT_MS);
    return;
  }
  // Abandoned once a member here is enough: its timer would keep a finished -list alive.
  const abandon = new AbortController();
  const tracker = engine.waitForTracker(timeoutMs, undefined, abandon.signal);
  try {
    // A member found here is enough to list and download; a tracker that answers by then is used too.
    const member = lan ? lan.waitForPeers(timeoutMs).then((peers) => (peers.length ? undefined : tracker)) : tracker;
    await Promise.race([tracker, member]);
    // A tracker that answered first: members here (the better path) have had their moment too.
    await lan?.queried();
  } catch (err) {
    const members = lan?.peers().length ?? 0;
    // A wrong key or a refused membership is no outage: a saved listing would only hide it.
    const refused = err instanceof EngineError && (err.code === 'wrong_key' || err.code === 'not_member');
    if (members > 0 && !refused) {
      process.stderr.write(`p2pclient: ${(err as Error).message}; using the ${plural(members, 'member')} found on this network\n`);
      return;
    }
    if ((!engine.cache.listing && !engine.dht) || refused) throw err;
    process.stderr.write(`p2pclient: ${(err as Error).message}; using ${engine.cache.listing ? `the listing saved ${ago(engine.cache.listing.savedAt)}` : 'the DHT'} instead\n`);
  } finally {
    tracker.catch(() => {}); // settled later, or never looked at: not an unhandled rejection
    abandon.abort();
  }
}

function ago(at: number): string {
  const s = Math.max(0, Math.round((Date.now() - at) / 1000));
  return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`;
}

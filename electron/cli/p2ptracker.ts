#!/usr/bin/env node
import os from 'node:os';
import { DEFAULT_TRACKER_PORT } from '../../shared/protocol/limits.js';
import { streamLogger } from '../engine/logger.js';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_PEER_TIMEOUT_MS, TrackerServer } from '../engine/tracker/tracker-server.js';
import path from 'node:path';
import { defaultDataDir } from '../engine/data-dir.js';
import { formatNetworkKey, generateNetworkKey } from '../engine/security/network-key.js';
import { PeerIdentity } from '../engine/security/peer-identity.js';
import { throttledRefusals } from '../engine/wire/refusal-log.js';
import { tlsTransport } from '../engine/wire/tls-transport.js';
import { tcpTransport } from '../engine/wire/transport.js';
import { helpText, parseArgs, parsePort, UsageError } from './args.js';
import { chooseNetworkKey, KEY_OPTIONS } from './network-key-options.js';
import { runMain, untilSignal } from './run.js';

const OPTIONS = {
  port: { type: 'number', value: 'N', description: 'TCP port to listen on; 0 picks a free one', default: DEFAULT_TRACKER_PORT },
  host: { type: 'string', value: 'ADDR', description: 'address to listen on (default: all interfaces)' },
  ...KEY_OPTIONS,
  genkey: { type: 'boolean', description: 'print a new network key (last line) and exit' },
  data: { type: 'string', value: 'DIR', description: 'state folder (stored key, identity); default per user, or $P2P_DATA_DIR' },
  'peer-timeout': { type: 'number', value: 'SECONDS', description: 'drop a peer silent this long', default: DEFAULT_PEER_TIMEOUT_MS / 1000 },
  verbose: { type: 'boolean', description: 'log every connection and protocol detail' },
  quiet: { type: 'boolean', description: 'log only warnings and errors' },
  help: { type: 'boolean', description: 'show this help' },
} as const;

runMain('p2ptracker', async () => {
  const args = parseArgs(process.argv.slice(2), OPTIONS);
  if (args.help) {
    process.stdout.write(
      helpText(
        'Usage: p2ptracker [-port N] [-host ADDR]',
        'Keeps track of which peers share which files, and answers listings and lookups.',
        OPTIONS,
        `Peers join with: p2pclient -folder DIR -port N -tracker HOST:${DEFAULT_TRACKER_PORT}`,
      ),
    );
    return 0;
  }
  if (args.genkey) {
    // Only the key goes to stdout, so `p2ptracker -genkey > network.key` makes a usable key file.
    process.stderr.write('A new network key. Give it to the tracker (-keyfile) and to every member:\n');
    process.stdout.write(`${formatNetworkKey(generateNetworkKey())}\n`);
    return 0;
  }
  const port = parsePort(args.port);
  const baseDataDir = args.data ? path.resolve(args.data) : defaultDataDir();
  const timeout = args['peer-timeout'] ?? DEFAULT_PEER_TIMEOUT_MS / 1000;
  if (!(timeout >= 0.5 && timeout <= 3600)) throw new UsageError('-peer-timeout must be between 0.5 and 3600 seconds');
  const logger = streamLogger(process.stderr, args.verbose ? 'debug' : args.quiet ? 'warn' : 'info');
  const peerTimeoutMs = Math.round(timeout * 1000);
  const choice = await chooseNetworkKey(args, baseDataDir, 'tracker', logger);
  const transport = choice.key
    ? tlsTransport(choice.key, { onHandshakeFailure: throttledRefusals((line) => logger.warn(line)) })
    : tcpTransport;
  const tracker = new TrackerServer({
    port,
    host: args.host,
    transport,
    identity: await PeerIdentity.load(path.join(baseDataDir, 'tracker')),
    peerTimeoutMs,
    heartbeatMs: Math.min(DEFAULT_HEARTBEAT_MS, Math.max(100, Math.floor(peerTimeoutMs / 3))),
    logger,
  });
  const bound = await tracker.start();
  process.stdout.write(`p2ptracker listening on ${args.host ?? '0.0.0.0'}:${bound}\n`);
  const reachable = reachableAddresses();
  const joinAddress = `${reachable[0] ?? '127.0.0.1'}:${bound}`;
  if (choice.key) {
    if (choice.created) process.stdout.write(`created a network key and stored it in ${choice.source}\n`);
    process.stdout.write(`network key (from ${choice.source}): ${formatNetworkKey(choice.key)}\n`);
    process.stdout.write(`members join with: p2pclient -folder DIR -port N -tracker ${joinAddress} -keyfile FILE-WITH-THE-KEY\n`);
    process.stdout.write(`(on this machine, as this user, plain "p2pclient -folder DIR -port N" uses the stored key)\n`);
  } else {
    process.stdout.write(`peers join with: p2pclient -folder DIR -port N -tracker ${joinAddress} -open\n`);
  }
  if (reachable.length > 1) process.stdout.write(`(this machine's other addresses: ${reachable.slice(1).join(', ')})\n`);
  const signal = await untilSignal();
  logger.info(`${signal}: stopping`);
  await tracker.stop();
  return 0;
});

function reachableAddresses(): string[] {
  const out: string[] = [];
  for (const list of Object.values(os.networkInterfaces())) {
    for (const a of list ?? []) if (!a.internal && a.family === 'IPv4') out.push(a.address);
  }
  return out;
}
